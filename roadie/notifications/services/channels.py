"""Channels: create, change, enable or disable, and test them."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.customers.models import Organization
from roadie.notifications import delivery
from roadie.notifications.channels.addresses import is_allowed, literal_address
from roadie.notifications.errors import InvalidChannel
from roadie.notifications.models import (
    DEFAULT_RATE_LIMITS,
    Channel,
    ChannelKind,
)
from roadie.notifications.services.outbox import LANGUAGES, message_key

_URL_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")


def channel_validate_address(*, kind: str, url: str) -> str:
    """The cleaned URL (or e-mail address); raises InvalidChannel with a clear message."""
    url = url.strip()
    if kind not in ChannelKind.values:
        raise InvalidChannel(_("Unknown channel kind %(kind)s.") % {"kind": kind}, field="kind")
    if kind == ChannelKind.EMAIL:
        address = url.removeprefix("mailto:")
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidChannel(_("Enter a valid e-mail address."), field="url")
        return address
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidChannel(_("The URL must start with http:// or https://."), field="url")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 — raises ValueError for a port out of range
    except ValueError:
        host = None
    if not host or not _URL_HOST.match(parts.netloc.rsplit("@", 1)[-1]):
        raise InvalidChannel(_("The URL has no valid host name."), field="url")
    if any(c.isspace() for c in url):
        raise InvalidChannel(_("The URL must not contain spaces."), field="url")
    literal = literal_address(host)
    if literal is not None and not is_allowed(literal):
        raise InvalidChannel(
            _("Roadie does not send to private or local addresses such as %(address)s.")
            % {"address": literal},
            field="url",
        )
    return url


def _check_owner(organization: Organization | None, user: User | None) -> None:
    if organization is not None and user is not None:
        raise InvalidChannel(_("A channel belongs to an organization or to a person, not both."))


def channel_create(
    *,
    by: User | None,
    kind: str,
    name: str,
    url: str,
    secret: str = "",
    organization: Organization | None = None,
    user: User | None = None,
    rate_limit_per_minute: int | None = None,
    language: str = "zh-hans",
    timeout_seconds: int = 10,
    enabled: bool = True,
) -> Channel:
    """Create a channel; the rate limit defaults to the platform's (DingTalk 20/min, …)."""
    _check_owner(organization, user)
    url = channel_validate_address(kind=kind, url=url)
    name = name.strip()
    if not name:
        raise InvalidChannel(_("Give the channel a name."), field="name")
    if language not in LANGUAGES:
        raise InvalidChannel(_("Unknown language."), field="language")
    if not 1 <= timeout_seconds <= 60:
        raise InvalidChannel(_("The timeout must be 1 to 60 seconds."), field="timeout_seconds")
    if rate_limit_per_minute is None:
        rate_limit_per_minute = DEFAULT_RATE_LIMITS.get(kind, 0)
    if rate_limit_per_minute < 0:
        raise InvalidChannel(_("The rate limit cannot be negative."), field="rate_limit_per_minute")
    return Channel.objects.create(
        kind=kind,
        name=name[:200],
        url=url,
        secret=secret.strip(),
        organization=organization,
        user=user,
        rate_limit_per_minute=rate_limit_per_minute,
        language=language,
        timeout_seconds=timeout_seconds,
        enabled=enabled,
        created_by=by,
    )


def channel_update(
    *,
    channel: Channel,
    by: User,
    name: str,
    url: str,
    rate_limit_per_minute: int,
    language: str,
) -> Channel:
    """Change a channel's name, address, rate limit and language (the secret has its own door)."""
    channel.url = channel_validate_address(kind=channel.kind, url=url)
    if not name.strip():
        raise InvalidChannel(_("Give the channel a name."), field="name")
    if language not in LANGUAGES:
        raise InvalidChannel(_("Unknown language."), field="language")
    if rate_limit_per_minute < 0:
        raise InvalidChannel(_("The rate limit cannot be negative."), field="rate_limit_per_minute")
    channel.name = name.strip()[:200]
    channel.rate_limit_per_minute = rate_limit_per_minute
    channel.language = language
    channel.save(update_fields=["url", "name", "rate_limit_per_minute", "language", "updated_at"])
    return channel


def channel_set_secret(*, channel: Channel, by: User, secret: str) -> Channel:
    channel.secret = secret.strip()
    channel.save(update_fields=["secret", "updated_at"])
    return channel


def channel_set_enabled(*, channel: Channel, by: User, enabled: bool) -> Channel:
    """Enable or disable; pending messages of a disabled channel become dead letters."""
    channel.enabled = enabled
    channel.save(update_fields=["enabled", "updated_at"])
    return channel


@dataclass(frozen=True)
class ChannelTestResult:
    ok: bool
    detail: str


def channel_test(*, channel: Channel, by: User) -> ChannelTestResult:
    """Send a test message now (not through the outbox) and say what the platform answered."""
    with translation.override(channel.language or "zh-hans"):
        subject = _("Roadie test message")
        body = _("If you can read this, the channel %(name)s works.") % {"name": channel.name}
    outcome = delivery.send_now(
        channel=channel,
        subject=subject,
        body=body,
        key=message_key("test", f"c{channel.pk}", clock.now().strftime("%Y%m%d%H%M%S%f")),
        recipient=by.email if channel.kind == ChannelKind.EMAIL and not channel.url else "",
    )
    return ChannelTestResult(ok=outcome.ok, detail=outcome.detail)
