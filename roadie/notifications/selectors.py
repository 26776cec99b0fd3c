"""Reads: which channels a person may see, manage, or route their messages to."""

from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.db.models import Q, QuerySet

from roadie.accounts.models import Role, User
from roadie.notifications.models import Channel, NotificationPreference, OutboxMessage

CHANNEL_MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})


def may_manage_vendor_channels(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in CHANNEL_MANAGERS)


def channels_visible(*, viewer: User) -> QuerySet[Channel]:
    """Managers and admins see the vendor's and every organization's channels; customers their
    organization's; everyone their own personal ones. Other people's personal channels: never."""
    own = Q(user=viewer)
    if may_manage_vendor_channels(viewer):
        scope = own | Q(user__isnull=True)
    elif viewer.is_vendor_staff:
        scope = own | Q(user__isnull=True, organization__isnull=True)
    elif viewer.is_customer and viewer.organization_id is not None:
        scope = own | Q(user__isnull=True, organization_id=viewer.organization_id)
    else:
        scope = own
    return Channel.objects.filter(scope).select_related("organization", "user")


def channel_get(*, viewer: User, channel_id: int) -> Channel:
    """Raises Channel.DoesNotExist for a channel the viewer may not see."""
    return channels_visible(viewer=viewer).get(pk=channel_id)


def may_manage_channel(*, user: User, channel: Channel) -> bool:
    if channel.user_id is not None:
        return bool(channel.user_id == user.pk)
    if may_manage_vendor_channels(user):
        return True
    return bool(
        channel.organization_id is not None
        and user.role == Role.CUSTOMER_ADMIN
        and user.organization_id == channel.organization_id
    )


def channels_routable(*, user: User) -> QuerySet[Channel]:
    """Enabled channels a user may route their own notifications to: personal ones, plus the
    groups of their side (their organization's robots, or the vendor team's)."""
    if user.is_customer and user.organization_id is not None:
        groups = Q(user__isnull=True, organization_id=user.organization_id)
    elif user.is_vendor_staff:
        groups = Q(user__isnull=True, organization__isnull=True)
    else:
        groups = Q(pk__in=[])
    return Channel.objects.filter(Q(user=user) | groups, enabled=True).exclude(kind="email")


def may_route(*, user: User, channel: Channel) -> bool:
    """The rule of channels_routable for one channel already in hand (no query)."""
    if not channel.enabled or channel.kind == "email":
        return False
    if channel.user_id is not None:
        return bool(channel.user_id == user.pk)
    if user.is_customer:
        return user.organization_id is not None and channel.organization_id == user.organization_id
    return bool(user.is_vendor_staff and channel.organization_id is None)


def preference_of(*, user: User) -> NotificationPreference | None:
    return NotificationPreference.objects.filter(user=user).first()


def organization_preference_of(*, organization_id: int) -> NotificationPreference | None:
    return NotificationPreference.objects.filter(organization_id=organization_id).first()


def outbox_dead_letters(*, limit: int = 500) -> QuerySet[OutboxMessage]:
    return (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.DEAD)
        .select_related("channel", "channel__organization")
        .order_by("-created_at", "-pk")[:limit]
    )


def outbox_messages(*, status: str | None, limit: int = 500) -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.select_related("channel", "channel__organization")
    if status:
        messages = messages.filter(status=status)
    return messages.order_by("-created_at", "-pk")[:limit]


def masked_address(channel: Channel) -> str:
    """The channel's URL with its credentials (query values, hook ids) masked for display."""
    if channel.kind == "email":
        return channel.url
    parts = urlsplit(channel.url)
    query = "&".join(
        f"{name}={_mask(value)}" for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    segments = parts.path.split("/")
    if segments and len(segments[-1]) > 8:
        segments[-1] = _mask(segments[-1])
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, "/".join(segments), query, ""))


def _mask(value: str) -> str:
    return "…" + value[-4:] if len(value) > 4 else "…"
