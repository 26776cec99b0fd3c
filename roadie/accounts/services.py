"""Writes for users, API tokens and invitations."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from roadie.accounts.errors import (
    EmailTaken,
    InvalidPassword,
    InvalidRole,
    InvitationInvalid,
    NotAllowed,
)
from roadie.accounts.models import CUSTOMER_ROLES, STAFF_ROLES, ApiToken, Invitation, Role, User
from roadie.accounts.permissions import Action, can
from roadie.core import clock
from roadie.core.errors import InvalidInput
from roadie.customers.models import Organization

TOKEN_PREFIX = "rd_"
INVITATION_DAYS = 7


def hash_secret(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast unsalted hash is enough to make a leaked
    # table useless and keeps lookup a single indexed equality.
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{email!r} is not a valid e-mail address.", field="email")
    return email


def user_create(
    *,
    email: str,
    password: str | None,
    role: str,
    name: str = "",
    organization: Organization | None = None,
    check_password: bool = True,
) -> User:
    """Create a user; staff roles have no organization, customer roles exactly one."""
    email = _check_email(email)
    if role not in Role.values:
        raise InvalidRole(f"Unknown role {role!r}.", field="role")
    if role in CUSTOMER_ROLES and organization is None:
        raise InvalidRole("A customer user needs an organization.", field="organization")
    if role in STAFF_ROLES and organization is not None:
        raise InvalidRole("Vendor staff belong to no organization.", field="organization")
    if password is not None and check_password:
        try:
            validate_password(password)
        except ValidationError as error:
            raise InvalidPassword(" ".join(error.messages), field="password")
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email,
                password,
                role=role,
                name=name.strip(),
                organization=organization,
                is_superuser=role == Role.ADMIN,
            )
    except IntegrityError:
        raise EmailTaken(f"A user with e-mail {email} exists.", field="email")


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the plain token, which is never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=plain[:10], token_hash=hash_secret(plain)
    )
    return token, plain


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    if token.user_id != by.pk and not can(by, Action.MANAGE_USERS):
        raise NotAllowed("You can only revoke your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, plain: str) -> User | None:
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_secret(plain), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    # Touch last_used_at at most once a minute: a write per request would serialise SQLite.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def invitation_create(
    *, by: User, email: str, role: str = Role.CUSTOMER_MEMBER
) -> tuple[Invitation, str]:
    """A customer admin invites a colleague; returns the invitation and its one-time secret."""
    if not can(by, Action.INVITE_COLLEAGUES) or by.organization is None:
        raise NotAllowed("Only a customer admin can invite colleagues.")
    if role not in CUSTOMER_ROLES:
        raise InvalidRole("Colleagues are customer admins or members.", field="role")
    email = _check_email(email)
    if User.objects.filter(email=email).exists():
        raise EmailTaken(f"A user with e-mail {email} exists.", field="email")
    secret = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=by.organization,
        email=email,
        role=role,
        token_hash=hash_secret(secret),
        invited_by=by,
        expires_at=clock.now() + timedelta(days=INVITATION_DAYS),
    )
    return invitation, secret


def invitation_get(*, secret: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(token_hash=hash_secret(secret), accepted_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.expires_at < clock.now():
        raise InvitationInvalid("This invitation is invalid or has expired.")
    return invitation


@transaction.atomic
def invitation_accept(*, secret: str, name: str, password: str) -> User:
    invitation = invitation_get(secret=secret)
    user = user_create(
        email=invitation.email,
        password=password,
        role=invitation.role,
        name=name,
        organization=invitation.organization,
    )
    invitation.accepted_at = clock.now()
    invitation.save(update_fields=["accepted_at"])
    return user
