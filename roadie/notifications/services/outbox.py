"""The outbox: enqueue in the caller's transaction; delivery starts after the commit."""

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from roadie.core import clock
from roadie.notifications.channels import Item, Mentions, Outgoing
from roadie.notifications.channels.render import render
from roadie.notifications.models import (
    Channel,
    ChannelKind,
    OutboxMessage,
)
from roadie.notifications.tasks import deliver_outbox_message, deliver_outbox_messages

KEY_LENGTH = 200
TASK_CHUNK = 100
LANGUAGES = ("zh-hans", "en")


def message_key(*parts: object) -> str:
    key = ":".join(str(p) for p in parts)
    if len(key) <= KEY_LENGTH:
        return key
    return key[:150] + ":" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _schedule_delivery(message_ids: list[int]) -> None:
    if len(message_ids) == 1:
        deliver_outbox_message(message_ids[0])
        return
    for start in range(0, len(message_ids), TASK_CHUNK):
        deliver_outbox_messages(message_ids[start : start + TASK_CHUNK])


def insert_messages(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Insert, skipping keys already queued; delivery starts after the caller's commit."""
    if not rows:
        return []
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    keys = [row.idempotency_key for row in rows]
    stored: list[OutboxMessage] = []
    for start in range(0, len(keys), 500):
        stored.extend(OutboxMessage.objects.filter(idempotency_key__in=keys[start : start + 500]))
    stored.sort(key=lambda m: m.pk)
    now = clock.now()
    due = [
        m.pk
        for m in stored
        if m.status == OutboxMessage.Status.PENDING and m.next_attempt_at <= now
    ]
    if due:
        transaction.on_commit(lambda: _schedule_delivery(due))
    return stored


def outbox_enqueue_emails(
    *,
    recipients: Iterable[str],
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
    idempotency_key: str,
) -> list[OutboxMessage]:
    """Queue one e-mail per recipient; delivery starts once the caller's transaction commits."""
    now = clock.now()
    rows = [
        OutboxMessage(
            recipient=recipient,
            subject=subject[:400],
            body=body,
            headers=headers or {},
            idempotency_key=f"{idempotency_key}:{recipient}"[:KEY_LENGTH],
            next_attempt_at=now,
        )
        for recipient in sorted(set(recipients))
        if recipient
    ]
    return insert_messages(rows)


def message_payload(
    *,
    event: str,
    urgent: bool,
    links: dict[str, str] | None,
    language: str,
    mentions: Mentions | None = None,
) -> dict[str, object]:
    payload: dict[str, object] = {
        "event": event,
        "urgent": urgent,
        "links": dict(links or {}),
        "language": language,
    }
    if mentions:
        payload["mentions"] = {
            "mobiles": list(mentions.mobiles),
            "user_ids": list(mentions.user_ids),
            "everyone": mentions.everyone,
        }
    return payload


def message_for_channel(
    *,
    channel: Channel,
    subject: str,
    body: str,
    key: str,
    event: str,
    urgent: bool,
    links: dict[str, str] | None,
    language: str,
    mentions: Mentions | None,
    not_before: datetime,
) -> OutboxMessage:
    if channel.kind == ChannelKind.EMAIL:
        body = render_email_body(
            subject=subject, body=body, links=links, urgent=urgent, event=event, language=language
        )
    return OutboxMessage(
        kind=channel.kind,
        channel=channel,
        recipient=(channel.name if channel.kind != ChannelKind.EMAIL else channel.url)[:320],
        subject=subject[:400],
        body=body,
        payload=message_payload(
            event=event, urgent=urgent, links=links, language=language, mentions=mentions
        ),
        idempotency_key=key,
        next_attempt_at=not_before,
    )


def outbox_enqueue(
    *,
    channel: Channel,
    subject: str,
    body: str,
    idempotency_key: str,
    event: str = "",
    urgent: bool = False,
    links: dict[str, str] | None = None,
    language: str = "",
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue one message to one channel (any kind) in the caller's transaction."""
    [message] = insert_messages(
        [
            message_for_channel(
                channel=channel,
                subject=subject,
                body=body,
                key=message_key(idempotency_key, f"c{channel.pk}"),
                event=event,
                urgent=urgent,
                links=links,
                language=language or channel.language,
                mentions=None,
                not_before=not_before or clock.now(),
            )
        ]
    )
    return message


def outbox_retry(*, message: OutboxMessage) -> OutboxMessage:
    """Put a dead letter back in the queue (console retry button), with fresh attempts."""
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.PENDING,
        next_attempt_at=clock.now(),
        claimed_until=None,
        claim_token="",
        attempts=0,
    )
    transaction.on_commit(lambda: _schedule_delivery([message.pk]))
    message.refresh_from_db()
    return message


def render_email_body(
    *,
    subject: str,
    body: str,
    links: dict[str, str] | None,
    urgent: bool,
    event: str,
    language: str,
) -> str:
    outgoing = Outgoing(
        key="",
        items=(
            Item(
                key="",
                subject=subject,
                body=body,
                links=dict(links or {}),
                urgent=urgent,
                event=event,
            ),
        ),
        language=language,
    )
    return render("email", outgoing, extension="txt")
