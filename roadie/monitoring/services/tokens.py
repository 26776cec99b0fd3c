"""Ingest tokens: one deployment's credential for the ingest endpoints; shown once, hashed."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import Role, User
from roadie.accounts.services import hash_secret
from roadie.core import clock
from roadie.customers.models import Deployment
from roadie.monitoring.errors import NotAllowed
from roadie.monitoring.models import IngestToken

TOKEN_PREFIX = "rdi_"


def may_manage_tokens(*, user: User, deployment: Deployment) -> bool:
    """Vendor staff, and the customer admins of the deployment's organization."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_vendor_staff:
        return True
    return user.role == Role.CUSTOMER_ADMIN and user.organization_id == deployment.organization_id


@transaction.atomic
def ingest_token_create(
    *, deployment: Deployment, by: User, name: str = "", replace: bool = False
) -> tuple[IngestToken, str]:
    """A new token for `deployment`; returns the row and the plain token (never stored).

    `replace=True` rotates: every other active token of the deployment is revoked with it."""
    if not may_manage_tokens(user=by, deployment=deployment):
        raise NotAllowed(_("Only staff and the customer's admins manage ingest tokens."))
    now = clock.now()
    if replace:
        IngestToken.objects.filter(deployment=deployment, revoked_at__isnull=True).update(
            revoked_at=now
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = IngestToken.objects.create(
        deployment=deployment,
        name=(name or "").strip()[:100],
        prefix=plain[:12],
        token_hash=hash_secret(plain),
        created_by=by,
        created_at=now,
    )
    return token, plain


@transaction.atomic
def ingest_token_revoke(*, token: IngestToken, by: User) -> IngestToken:
    if not may_manage_tokens(user=by, deployment=token.deployment):
        raise NotAllowed(_("Only staff and the customer's admins manage ingest tokens."))
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


def ingest_token_authenticate(*, plain: str) -> IngestToken | None:
    """The active token `plain` names (with its deployment), or None."""
    if not plain or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    found = list(
        IngestToken.objects.select_related("deployment")
        .filter(token_hash=hash_secret(plain), revoked_at__isnull=True)
        .order_by()[:1]
    )
    if not found:
        return None
    token = found[0]
    now = clock.now()
    # At most one write a minute per token: a write per request would serialise SQLite.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        IngestToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
