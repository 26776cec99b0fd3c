"""Inviting a colleague from the portal: the invitation and its e-mail, in one transaction."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from roadie.accounts.models import Invitation, User
from roadie.accounts.services import INVITATION_DAYS, invitation_create
from roadie.notifications.services import outbox_enqueue_emails


def accept_url(secret: str) -> str:
    return settings.ROADIE_BASE_URL + reverse("invitation_accept", args=[secret])


@transaction.atomic
def invitation_send(*, by: User, email: str, role: str) -> Invitation:
    """Create an invitation (customer admins only) and queue its e-mail with the one-time link.

    The secret exists only in this e-mail: it is never stored, so it cannot be sent again.
    """
    invitation, secret = invitation_create(by=by, email=email, role=role)
    organization = invitation.organization
    subject = _("%(name)s invites you to %(organization)s on Roadie") % {
        "name": by.display_name,
        "organization": organization.name,
    }
    body = render_to_string(
        "portal/team/invitation_email.txt",
        {
            "invitation": invitation,
            "inviter": by,
            "organization": organization,
            "url": accept_url(secret),
            "days": INVITATION_DAYS,
        },
    )
    outbox_enqueue_emails(
        recipients=[invitation.email],
        subject=subject,
        body=body,
        idempotency_key=f"invitation:{invitation.pk}",
    )
    return invitation
