"""The outbox against a real SMTP server on 127.0.0.1: after commit, once, retried, dead."""

from datetime import timedelta

import pytest

from roadie.core import clock
from roadie.notifications import delivery
from roadie.notifications.models import OutboxMessage
from roadie.notifications.services import outbox_enqueue_emails, outbox_retry
from roadie.notifications.tests.smtp import SmtpSink, free_port, use_smtp

pytestmark = pytest.mark.django_db

HEADERS = {
    "Message-ID": "<rd-7-0123456789ab@roadie.localhost>",
    "References": "<rd-7@roadie.localhost>",
    "In-Reply-To": "<rd-7@roadie.localhost>",
}


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        use_smtp(settings, sink.port)
        yield sink


def enqueue(key: str = "ticket:7:created", recipients=("a@alpha.example",)):
    return outbox_enqueue_emails(
        recipients=recipients,
        subject="[RD-7] 直播推流中断",
        body="我们已收到您的工单。",
        headers=HEADERS,
        idempotency_key=key,
    )


def test_enqueue_is_idempotent_per_key_and_recipient(db):
    enqueue(recipients=["a@alpha.example", "b@alpha.example", "a@alpha.example", ""])
    enqueue(recipients=["a@alpha.example"])

    assert sorted(OutboxMessage.objects.values_list("recipient", flat=True)) == [
        "a@alpha.example",
        "b@alpha.example",
    ]


def test_delivery_waits_for_the_commit_then_sends_with_the_thread_headers(
    smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue()
    assert smtp.received == []

    for callback in callbacks:
        callback()

    [received] = smtp.received
    assert received.rcpt_tos == ["a@alpha.example"]
    message = received.message
    assert message["Subject"] == "[RD-7] 直播推流中断"
    assert message["Message-ID"] == HEADERS["Message-ID"]
    assert message["References"] == HEADERS["References"]
    assert message.get_content().strip() == "我们已收到您的工单。"
    row = OutboxMessage.objects.get()
    assert row.status == OutboxMessage.Status.SENT and row.sent_at is not None


def test_a_sent_message_is_never_sent_again(smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [row] = enqueue()
    row = OutboxMessage.objects.get()

    assert delivery.outbox_deliver(message_id=row.pk) is False
    assert delivery.outbox_deliver_due() == 0
    assert len(smtp.received) == 1


def test_a_message_claimed_by_another_worker_is_left_alone(smtp):
    enqueue()
    row = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=row.pk).update(
        claimed_until=clock.now() + timedelta(seconds=60)
    )

    assert delivery.outbox_deliver(message_id=row.pk) is False
    assert smtp.received == []


def test_failures_back_off_then_become_a_dead_letter(settings):
    use_smtp(settings, free_port())
    enqueue()
    row = OutboxMessage.objects.get()
    previous_wait = timedelta(0)
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=clock.now())
        assert delivery.outbox_deliver_due() == 0
        row.refresh_from_db()
        assert row.attempts == attempt and row.last_error
        wait = row.next_attempt_at - clock.now()
        if attempt < 4:  # the random jitter halves at most: the base doubles each time
            assert wait > previous_wait / 2
        previous_wait = wait

    assert row.status == OutboxMessage.Status.DEAD
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=clock.now())
    assert delivery.outbox_deliver_due() == 0
    row.refresh_from_db()
    assert row.attempts == delivery.MAX_ATTEMPTS


def test_retrying_a_dead_letter_delivers_it(settings, django_capture_on_commit_callbacks):
    enqueue()
    OutboxMessage.objects.update(
        status=OutboxMessage.Status.DEAD, attempts=delivery.MAX_ATTEMPTS, last_error="down"
    )
    row = OutboxMessage.objects.get()
    with SmtpSink() as sink:
        use_smtp(settings, sink.port)
        with django_capture_on_commit_callbacks(execute=True):
            outbox_retry(message=row)

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT and row.last_error == ""
    assert [r.rcpt_tos for r in sink.received] == [["a@alpha.example"]]
