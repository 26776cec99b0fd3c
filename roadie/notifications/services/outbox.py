"""The outbox: enqueue in the caller's transaction; delivery starts after the commit."""

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models.constants import OnConflict
from huey.contrib.djhuey import HUEY

from roadie.core import clock
from roadie.notifications.channels import Item, Mentions, Outgoing
from roadie.notifications.channels.render import render
from roadie.notifications.models import (
    Channel,
    ChannelKind,
    OutboxMessage,
)
from roadie.notifications.tasks import (
    URGENT_PRIORITY,
    deliver_outbox_message,
    deliver_outbox_messages,
)

KEY_LENGTH = 200
TASK_CHUNK = 100
INSERT_CHUNK = 500
LANGUAGES = ("zh-hans", "en")


def message_key(*parts: object) -> str:
    key = ":".join(str(p) for p in parts)
    if len(key) <= KEY_LENGTH:
        return key
    return key[:150] + ":" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _schedule_delivery(message_ids: list[int], urgent_ids: frozenset[int] = frozenset()) -> None:
    urgent = [pk for pk in message_ids if pk in urgent_ids]
    routine = [pk for pk in message_ids if pk not in urgent_ids]
    for pk in urgent:
        task = deliver_outbox_message.s(pk)
        task.priority = URGENT_PRIORITY
        HUEY.enqueue(task)
    if len(routine) == 1:
        deliver_outbox_message(routine[0])
        return
    for start in range(0, len(routine), TASK_CHUNK):
        deliver_outbox_messages(routine[start : start + TASK_CHUNK])


def insert_messages(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Insert, skipping keys already queued; delivery starts after the caller's commit.

    Returns what is stored under each key: the new rows, and for a key queued before, the
    message that was queued then.
    """
    if not rows:
        return []
    now = clock.now()
    inserted: dict[str, int] = {}
    fields = [f for f in OutboxMessage._meta.concrete_fields if not f.primary_key]
    key_field = OutboxMessage._meta.get_field("idempotency_key")
    returning = [OutboxMessage._meta.pk, key_field]
    for start in range(0, len(rows), INSERT_CHUNK):
        # INSERT … ON CONFLICT DO NOTHING RETURNING id, key (PostgreSQL and SQLite ≥ 3.35):
        # one statement tells which keys are new; bulk_create(ignore_conflicts=True) returns no
        # ids, which would cost a SELECT of every row back. _insert is what bulk_create runs.
        returned = OutboxMessage.objects._insert(
            rows[start : start + INSERT_CHUNK],
            fields=fields,
            returning_fields=returning,
            on_conflict=OnConflict.IGNORE,
        )
        # A single row that hit a conflict comes back as [None].
        inserted.update((key, pk) for pk, key in filter(None, returned))
    stored: list[OutboxMessage] = []
    for row in rows:
        # A key given twice in rows was inserted once: the first row stands for it.
        if inserted.get(row.idempotency_key) is not None:
            row.pk = inserted.pop(row.idempotency_key)
            row._state.adding, row._state.db = False, OutboxMessage.objects.db
            stored.append(row)
    new_keys = {m.idempotency_key for m in stored}
    seen_before = sorted(
        {row.idempotency_key for row in rows if row._state.adding} - new_keys
    )
    for start in range(0, len(seen_before), INSERT_CHUNK):
        chunk = seen_before[start : start + INSERT_CHUNK]
        stored.extend(OutboxMessage.objects.filter(idempotency_key__in=chunk))
    stored.sort(key=lambda m: m.pk)
    due_messages = [
        m for m in stored if m.status == OutboxMessage.Status.PENDING and m.next_attempt_at <= now
    ]
    due = [m.pk for m in due_messages]
    urgent = frozenset(m.pk for m in due_messages if (m.payload or {}).get("urgent"))
    if due:
        # robust: a broker that refuses the task must not stop the caller's other commit hooks
        # (its pages); the outbox sweep hands due messages to the worker again.
        transaction.on_commit(lambda: _schedule_delivery(due, urgent), robust=True)
    return stored


def email_rows(
    *,
    recipients: Iterable[str],
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
    idempotency_key: str,
) -> list[OutboxMessage]:
    """One unsaved e-mail message per recipient, for insert_messages."""
    now = clock.now()
    return [
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


def outbox_enqueue_emails(
    *,
    recipients: Iterable[str],
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
    idempotency_key: str,
) -> list[OutboxMessage]:
    """Queue one e-mail per recipient; delivery starts once the caller's transaction commits."""
    return insert_messages(
        email_rows(
            recipients=recipients,
            subject=subject,
            body=body,
            headers=headers,
            idempotency_key=idempotency_key,
        )
    )


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
    transaction.on_commit(lambda: _schedule_delivery([message.pk]), robust=True)
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
