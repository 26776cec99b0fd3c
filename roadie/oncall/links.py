"""Signed one-click acknowledgement links (django.core.signing, valid for 24 hours)."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.oncall.errors import AckLinkExpired, InvalidAckLink
from roadie.oncall.models import Page

ACK_SALT = "roadie.oncall.ack"
ACK_LINK_MAX_AGE = timedelta(hours=24)


def ack_token(*, page: Page, user: User) -> str:
    return signing.dumps({"p": page.pk, "u": user.pk}, salt=ACK_SALT, compress=True)


def ack_url(*, page: Page, user: User) -> str:
    path = reverse("console:oncall:ack", args=[ack_token(page=page, user=user)])
    return settings.ROADIE_BASE_URL + path


def ack_link_read(*, token: str) -> tuple[Page, User]:
    """The page and person a signed link names; AckLinkExpired / InvalidAckLink otherwise."""
    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=int(ACK_LINK_MAX_AGE.total_seconds()))
    except signing.SignatureExpired:
        raise AckLinkExpired(
            _("This acknowledgement link has expired. Open the page in the console instead.")
        )
    except signing.BadSignature:
        raise InvalidAckLink(_("This acknowledgement link is not valid."))
    if not isinstance(data, dict):
        raise InvalidAckLink(_("This acknowledgement link is not valid."))
    page = Page.objects.filter(pk=data.get("p")).first()
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if page is None or user is None or not user.is_vendor_staff:
        raise InvalidAckLink(_("This acknowledgement link is not valid."))
    return page, user
