"""Delivering outbox messages: claim, send, record; retried with backoff, then dead-lettered."""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage

from roadie.core import clock
from roadie.notifications.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120


def _claim(message_id: int) -> OutboxMessage | None:
    now = clock.now()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING)
        .exclude(claimed_until__gt=now)
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )
    if not claimed:
        return None
    return OutboxMessage.objects.get(pk=message_id)


def _backoff(attempts: int) -> timedelta:
    base = min(30 * 2 ** (attempts - 1), 3600)
    return timedelta(seconds=base * random.uniform(0.5, 1.0))


def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one message if it is pending and nobody else holds it; True when sent."""
    message = _claim(message_id)
    if message is None:
        return False
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers=message.headers,
    )
    try:
        email.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 — any transport failure is retried, not raised
        attempts = message.attempts + 1
        dead = attempts >= MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=attempts,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            status=OutboxMessage.Status.DEAD if dead else OutboxMessage.Status.PENDING,
            next_attempt_at=clock.now() + _backoff(attempts),
            claimed_until=None,
        )
        log.warning("outbox message %s failed (attempt %s): %s", message.pk, attempts, error)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENT,
        attempts=message.attempts + 1,
        sent_at=clock.now(),
        claimed_until=None,
        last_error="",
    )
    return True


def outbox_deliver_due(*, limit: int = 500) -> int:
    """Deliver pending messages whose next attempt is due; returns how many were sent."""
    due_ids = list(
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=clock.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbox_deliver(message_id=message_id) for message_id in due_ids)
