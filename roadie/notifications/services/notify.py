"""Notifying people and organizations on their channels, per their preferences."""

from collections.abc import Sequence

from roadie.accounts.models import User
from roadie.core import clock
from roadie.customers.models import Organization
from roadie.notifications.channels import Mentions
from roadie.notifications.models import (
    Channel,
    ChannelKind,
    NotificationPreference,
    OutboxMessage,
)
from roadie.notifications.quiet import quiet_until
from roadie.notifications.selectors import may_route
from roadie.notifications.services.outbox import (
    LANGUAGES,
    insert_messages,
    message_for_channel,
    message_key,
    message_payload,
    render_email_body,
)

EMAIL_TARGET = "email"
DEFAULT_TARGETS = [EMAIL_TARGET]


def _targets(preference: NotificationPreference | None, event: str) -> list[str]:
    if preference is None:
        return list(DEFAULT_TARGETS)
    routes = preference.routes or {}
    if event in routes:
        return [str(t) for t in routes[event]]
    return [str(t) for t in routes.get("*", DEFAULT_TARGETS)]


def _mentions(preference: NotificationPreference | None, channel: Channel) -> Mentions | None:
    if preference is None or channel.kind not in (
        ChannelKind.WECOM,
        ChannelKind.DINGTALK,
        ChannelKind.FEISHU,
        ChannelKind.SLACK,
    ):
        return None
    ids = preference.im_user_ids or {}
    user_id = str(ids.get(channel.kind, "")).strip()
    mobiles = (
        (preference.mobile,)
        if preference.mobile and channel.kind in (ChannelKind.WECOM, ChannelKind.DINGTALK)
        else ()
    )
    mentions = Mentions(mobiles=mobiles, user_ids=(user_id,) if user_id else ())
    return mentions or None


def _language(user: User) -> str:
    return user.language if user.language in LANGUAGES else "zh-hans"


def notify_users(
    *,
    users: Sequence[User],
    event: str,
    subject: str,
    body: str,
    urgent: bool = False,
    idempotency_key: str,
    links: dict[str, str] | None = None,
) -> list[OutboxMessage]:
    """notify_user for many people at once (one fan-out, one bulk insert)."""
    active = [u for u in users if u.is_active]
    if not active:
        return []
    now = clock.now()
    preferences = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(user_id__in=[u.pk for u in active])
    }
    wanted_ids = {
        int(t)
        for p in preferences.values()
        for t in _targets(p, event)
        if t != EMAIL_TARGET and str(t).isdigit()
    }
    channels = Channel.objects.in_bulk(wanted_ids) if wanted_ids else {}
    emails: dict[str, str] = {}
    rows: list[OutboxMessage] = []
    for user in active:
        preference = preferences.get(user.pk)
        language = _language(user)
        not_before = now
        if preference is not None and not urgent:
            not_before = (
                quiet_until(
                    now=now,
                    start=preference.quiet_start,
                    end=preference.quiet_end,
                    time_zone=preference.time_zone,
                )
                or now
            )
        targets: list[OutboxMessage] = []
        for target in dict.fromkeys(_targets(preference, event)):
            if target == EMAIL_TARGET:
                if language not in emails:
                    emails[language] = render_email_body(
                        subject=subject,
                        body=body,
                        links=links,
                        urgent=urgent,
                        event=event,
                        language=language,
                    )
                targets.append(
                    OutboxMessage(
                        kind=ChannelKind.EMAIL,
                        recipient=user.email,
                        subject=subject[:400],
                        body=emails[language],
                        payload=message_payload(
                            event=event, urgent=urgent, links=links, language=language
                        ),
                        idempotency_key=message_key(idempotency_key, f"u{user.pk}", EMAIL_TARGET),
                        next_attempt_at=not_before,
                    )
                )
                continue
            channel = channels.get(int(target)) if target.isdigit() else None
            if channel is None or not channel.enabled:
                continue
            if not may_route(user=user, channel=channel):
                continue
            targets.append(
                message_for_channel(
                    channel=channel,
                    subject=subject,
                    body=body,
                    key=message_key(idempotency_key, f"u{user.pk}", f"c{channel.pk}"),
                    event=event,
                    urgent=urgent,
                    links=links,
                    language=language if channel.user_id else channel.language,
                    mentions=_mentions(preference, channel),
                    not_before=not_before,
                )
            )
        if not targets and urgent:
            # Urgent messages never vanish: with every route muted or broken, e-mail still goes.
            targets.append(
                OutboxMessage(
                    kind=ChannelKind.EMAIL,
                    recipient=user.email,
                    subject=subject[:400],
                    body=render_email_body(
                        subject=subject,
                        body=body,
                        links=links,
                        urgent=urgent,
                        event=event,
                        language=language,
                    ),
                    payload=message_payload(
                        event=event, urgent=urgent, links=links, language=language
                    ),
                    idempotency_key=message_key(idempotency_key, f"u{user.pk}", EMAIL_TARGET),
                    next_attempt_at=now,
                )
            )
        rows.extend(targets)
    return insert_messages(rows)


def notify_user(
    *,
    user: User,
    event: str,
    subject: str,
    body: str,
    urgent: bool = False,
    idempotency_key: str,
    links: dict[str, str] | None = None,
) -> list[OutboxMessage]:
    """Queue `subject`/`body` to the user's channels for `event`, per their preferences.

    In the caller's transaction; delivered after commit. No preferences: e-mail. Quiet hours
    (the user's own time zone) delay a message to their end, never for `urgent`. The same
    `idempotency_key` twice queues nothing new. `links` maps a name ("acknowledge", "ticket",
    …) to a URL; templates show them as buttons or links. Returns the queued messages.
    """
    return notify_users(
        users=[user],
        event=event,
        subject=subject,
        body=body,
        urgent=urgent,
        idempotency_key=idempotency_key,
        links=links,
    )


def notify_organization(
    *,
    organization: Organization | None,
    event: str,
    subject: str,
    body: str,
    urgent: bool = False,
    idempotency_key: str,
    links: dict[str, str] | None = None,
) -> list[OutboxMessage]:
    """Queue a message to an organization's group robots and webhooks (None: the vendor team's
    own channels), routed by the organization's preferences; quiet hours never for urgent."""
    owner = Channel.objects.filter(user__isnull=True, enabled=True)
    if organization is None:
        owner = owner.filter(organization__isnull=True)
        preference = None
    else:
        owner = owner.filter(organization=organization)
        preference = NotificationPreference.objects.filter(organization=organization).first()
    channels = list(owner.order_by("pk"))
    if preference is not None:
        routes = preference.routes or {}
        chosen = routes.get(event, routes.get("*"))
        if chosen is not None:
            wanted = {str(t) for t in chosen}
            channels = [c for c in channels if str(c.pk) in wanted]
    now = clock.now()
    not_before = now
    if preference is not None and not urgent:
        not_before = (
            quiet_until(
                now=now,
                start=preference.quiet_start,
                end=preference.quiet_end,
                time_zone=preference.time_zone,
            )
            or now
        )
    scope = f"org{organization.pk}" if organization is not None else "vendor"
    return insert_messages(
        [
            message_for_channel(
                channel=channel,
                subject=subject,
                body=body,
                key=message_key(idempotency_key, scope, f"c{channel.pk}"),
                event=event,
                urgent=urgent,
                links=links,
                language=channel.language,
                mentions=Mentions(everyone=True) if urgent and channel.is_group else None,
                not_before=not_before,
            )
            for channel in channels
        ]
    )
