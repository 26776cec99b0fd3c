"""The staff account monitoring acts as: it files incident tickets and writes their notes."""

from django.conf import settings
from django.db import IntegrityError, transaction

from roadie.accounts.models import Role, User
from roadie.accounts.services import user_create


def monitoring_email() -> str:
    return f"monitoring@{settings.ROADIE_MAIL_DOMAIN}"


def monitoring_user() -> User:
    """The system engineer `monitoring@<ROADIE_MAIL_DOMAIN>` (no usable password), created once."""
    email = monitoring_email()
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return user_create(
                email=email,
                password=None,
                role=Role.ENGINEER,
                name="Roadie monitoring",
                check_password=False,
            )
    except IntegrityError:
        return User.objects.get(email=email)
