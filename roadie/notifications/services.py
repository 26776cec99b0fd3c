"""The outbox: enqueue in the caller's transaction, deliver after commit with retries."""

from collections.abc import Iterable

from django.db import transaction

from roadie.core import clock
from roadie.notifications.models import OutboxMessage
from roadie.notifications.tasks import deliver_outbox_message


def _schedule_delivery(message_ids: list[int]) -> None:
    for message_id in message_ids:
        deliver_outbox_message(message_id)


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
            idempotency_key=f"{idempotency_key}:{recipient}"[:200],
            next_attempt_at=now,
        )
        for recipient in sorted(set(recipients))
        if recipient
    ]
    if not rows:
        return []
    created = OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    keys = [row.idempotency_key for row in created]
    ids = list(OutboxMessage.objects.filter(idempotency_key__in=keys).values_list("pk", flat=True))
    transaction.on_commit(lambda: _schedule_delivery(ids))
    return created


def outbox_retry(*, message: OutboxMessage) -> OutboxMessage:
    """Put a dead letter back in the queue (console retry button)."""
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.PENDING, next_attempt_at=clock.now(), claimed_until=None
    )
    transaction.on_commit(lambda: _schedule_delivery([message.pk]))
    message.refresh_from_db()
    return message
