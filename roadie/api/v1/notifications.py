"""Notification channels, the caller's own preferences, and the outbox's dead letters."""

from datetime import datetime, time
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from roadie.accounts.models import Role, User
from roadie.accounts.permissions import Action
from roadie.api.v1.common import require, require_staff, viewer
from roadie.core.errors import PermissionDenied
from roadie.customers.models import Organization
from roadie.notifications import selectors, services
from roadie.notifications.errors import NotDeadLetter
from roadie.notifications.events import EVENTS
from roadie.notifications.models import Channel, ChannelKind, OutboxMessage

router = Router(tags=["notifications"])

KindName = Literal["email", "webhook", "wecom", "dingtalk", "feishu", "slack"]


class ChannelIn(Schema):
    kind: KindName
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=1000)
    secret: str = Field("", max_length=500)
    organization: str | None = Field(None, description="slug; omit for the vendor team's own")
    personal: bool = Field(False, description="a channel of your own, for your preferences")
    rate_limit_per_minute: int | None = Field(None, ge=0, le=10_000)
    language: Literal["zh-hans", "en"] = "zh-hans"
    timeout_seconds: int = Field(10, ge=1, le=60)
    enabled: bool = True


class ChannelPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    url: str | None = Field(None, min_length=1, max_length=1000)
    secret: str | None = Field(None, max_length=500)
    rate_limit_per_minute: int | None = Field(None, ge=0, le=10_000)
    language: Literal["zh-hans", "en"] | None = None
    enabled: bool | None = None


class ChannelOut(Schema):
    id: int
    kind: str
    name: str
    url: str
    has_secret: bool
    organization: str | None
    personal: bool
    enabled: bool
    rate_limit_per_minute: int
    language: str
    timeout_seconds: int
    last_error: str
    last_success_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_url(obj: Channel) -> str:
        return selectors.masked_address(obj)

    @staticmethod
    def resolve_has_secret(obj: Channel) -> bool:
        return bool(obj.secret)

    @staticmethod
    def resolve_organization(obj: Channel) -> str | None:
        return obj.organization.slug if obj.organization else None

    @staticmethod
    def resolve_personal(obj: Channel) -> bool:
        return obj.user_id is not None


class ChannelList(Schema):
    items: list[ChannelOut]
    next: str | None = None


class TestResultOut(Schema):
    ok: bool
    detail: str


class ChoiceOut(Schema):
    id: str
    name: str
    kind: str


class PreferenceIn(Schema):
    routes: dict[str, list[str]] = Field(
        default_factory=dict,
        description='event → targets ("email" or a channel id); "*" for every other event',
    )
    quiet_start: time | None = None
    quiet_end: time | None = None
    time_zone: str = Field("Asia/Shanghai", max_length=64)
    mobile: str = Field("", max_length=32)
    im_user_ids: dict[str, str] = Field(default_factory=dict)


class PreferenceOut(Schema):
    routes: dict[str, list[str]]
    quiet_start: time | None
    quiet_end: time | None
    time_zone: str
    mobile: str
    im_user_ids: dict[str, str]
    events: dict[str, str]
    targets: list[ChoiceOut]


class OutboxOut(Schema):
    id: int
    kind: str
    channel_id: int | None
    channel_name: str | None
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str
    idempotency_key: str
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_channel_name(obj: OutboxMessage) -> str | None:
        return obj.channel.name if obj.channel else None


class OutboxList(Schema):
    items: list[OutboxOut]
    next: str | None = None


def _not_found() -> HttpError:
    return HttpError(404, "No such resource.")


def _owner(user: User, payload: ChannelIn) -> tuple[Organization | None, User | None]:
    """Who the new channel belongs to; customers only ever to their own organization."""
    if payload.personal:
        return None, user
    if user.is_customer:
        if user.role != Role.CUSTOMER_ADMIN:
            raise PermissionDenied("Only your organization's admins manage its channels.")
        if payload.organization not in (
            None,
            "",
            user.organization.slug if user.organization else None,
        ):
            raise _not_found()
        return user.organization, None
    if not selectors.may_manage_vendor_channels(user):
        raise PermissionDenied("Your role does not allow this.")
    if not payload.organization:
        return None, None
    organization = Organization.objects.filter(slug=payload.organization).first()
    if organization is None:
        raise _not_found()
    return organization, None


def _manageable(request: HttpRequest, channel_id: int) -> tuple[User, Channel]:
    user = viewer(request)
    channel = selectors.channel_get(viewer=user, channel_id=channel_id)
    if not selectors.may_manage_channel(user=user, channel=channel):
        raise PermissionDenied("Your role does not allow this.")
    return user, channel


@router.get("/channels", response=ChannelList)
def list_channels(request: HttpRequest) -> dict[str, object]:
    return {"items": list(selectors.channels_visible(viewer=viewer(request))), "next": None}


@router.post("/channels", response={201: ChannelOut})
def create_channel(request: HttpRequest, payload: ChannelIn) -> Status:
    user = viewer(request)
    organization, owner = _owner(user, payload)
    channel = services.channel_create(
        by=user,
        kind=payload.kind,
        name=payload.name,
        url=payload.url,
        secret=payload.secret,
        organization=organization,
        user=owner,
        rate_limit_per_minute=payload.rate_limit_per_minute,
        language=payload.language,
        timeout_seconds=payload.timeout_seconds,
        enabled=payload.enabled,
    )
    return Status(201, channel)


@router.get("/channels/{channel_id}", response=ChannelOut)
def get_channel(request: HttpRequest, channel_id: int) -> Channel:
    return selectors.channel_get(viewer=viewer(request), channel_id=channel_id)


@router.patch("/channels/{channel_id}", response=ChannelOut)
def update_channel(request: HttpRequest, channel_id: int, payload: ChannelPatch) -> Channel:
    user, channel = _manageable(request, channel_id)
    if any(
        v is not None
        for v in (payload.name, payload.url, payload.rate_limit_per_minute, payload.language)
    ):
        services.channel_update(
            channel=channel,
            by=user,
            name=payload.name if payload.name is not None else channel.name,
            url=payload.url if payload.url is not None else channel.url,
            rate_limit_per_minute=(
                payload.rate_limit_per_minute
                if payload.rate_limit_per_minute is not None
                else channel.rate_limit_per_minute
            ),
            language=payload.language or channel.language,
        )
    if payload.secret is not None:
        services.channel_set_secret(channel=channel, by=user, secret=payload.secret)
    if payload.enabled is not None and payload.enabled != channel.enabled:
        services.channel_set_enabled(channel=channel, by=user, enabled=payload.enabled)
    return channel


@router.post("/channels/{channel_id}/test", response=TestResultOut)
def test_channel(request: HttpRequest, channel_id: int) -> services.ChannelTestResult:
    user, channel = _manageable(request, channel_id)
    return services.channel_test(channel=channel, by=user)


def _preference_out(user: User) -> dict[str, object]:
    preference = selectors.preference_of(user=user)
    targets = [{"id": "email", "name": user.email, "kind": ChannelKind.EMAIL.value}] + [
        {"id": str(c.pk), "name": c.name, "kind": c.kind}
        for c in selectors.channels_routable(user=user)
    ]
    return {
        "routes": preference.routes if preference else {},
        "quiet_start": preference.quiet_start if preference else None,
        "quiet_end": preference.quiet_end if preference else None,
        "time_zone": preference.time_zone if preference else "Asia/Shanghai",
        "mobile": preference.mobile if preference else "",
        "im_user_ids": preference.im_user_ids if preference else {},
        "events": {name: str(label) for name, label in EVENTS.items()},
        "targets": targets,
    }


@router.get("/notification-preferences", response=PreferenceOut)
def get_preferences(request: HttpRequest) -> dict[str, object]:
    return _preference_out(viewer(request))


@router.put("/notification-preferences", response=PreferenceOut)
def put_preferences(request: HttpRequest, payload: PreferenceIn) -> dict[str, object]:
    user = viewer(request)
    services.preference_update(
        user=user,
        routes=payload.routes,
        quiet_start=payload.quiet_start,
        quiet_end=payload.quiet_end,
        time_zone=payload.time_zone,
        mobile=payload.mobile,
        im_user_ids=payload.im_user_ids,
    )
    return _preference_out(user)


@router.get("/outbox", response=OutboxList)
def list_outbox(
    request: HttpRequest,
    status: Literal["pending", "sent", "coalesced", "dead"] | None = None,
    limit: int = 100,
) -> dict[str, object]:
    require_staff(request)
    require(request, Action.MANAGE_CUSTOMERS)
    items = selectors.outbox_messages(status=status, limit=max(1, min(limit, 500)))
    return {"items": list(items), "next": None}


@router.post("/outbox/{message_id}/retry", response=OutboxOut)
def retry_outbox_message(request: HttpRequest, message_id: int) -> OutboxMessage:
    require_staff(request)
    require(request, Action.MANAGE_CUSTOMERS)
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        raise _not_found()
    if message.status != OutboxMessage.Status.DEAD:
        raise NotDeadLetter("Only a dead letter can be retried.")
    return services.outbox_retry(message=message)
