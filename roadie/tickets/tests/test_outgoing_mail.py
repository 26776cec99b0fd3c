"""Ticket e-mail through the outbox to a real SMTP server on 127.0.0.1, and back in by ingest."""

import re
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.conf import settings as django_settings

from roadie.core import clock
from roadie.core.tests import factories
from roadie.notifications.delivery import outbox_deliver_due
from roadie.notifications.models import OutboxMessage
from roadie.notifications.tests.smtp import SmtpSink, free_port, use_smtp
from roadie.tickets import mail, services
from roadie.tickets.models import Comment, InboundMail

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        use_smtp(settings, sink.port)
        yield sink


@pytest.fixture
def ticket(customer_a, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.make_ticket(requester=customer_a, title="直播推流中断")
        services.ticket_assign(ticket=ticket, assignee=agent, by=agent)
    return ticket


def domain() -> str:
    return django_settings.ROADIE_MAIL_DOMAIN


def test_filing_a_ticket_sends_the_acknowledgement_over_smtp(
    smtp, customer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.make_ticket(requester=customer_a, title="直播推流中断")

    [message] = smtp.to("admin@alpha.example")
    assert message["Subject"] == f"[{ticket.number}] 直播推流中断"
    assert re.fullmatch(
        rf"<rd-{ticket.pk}-[0-9a-f]{{12}}@{re.escape(domain())}>", message["Message-ID"]
    )
    assert message["References"] == f"<rd-{ticket.pk}@{domain()}>"
    assert ticket.number in message.get_content()
    outbox = OutboxMessage.objects.get(recipient="admin@alpha.example")
    assert outbox.status == OutboxMessage.Status.SENT and outbox.attempts == 1


def test_staff_public_reply_reaches_the_customer_in_the_ticket_thread(
    smtp, ticket, agent, django_capture_on_commit_callbacks
):
    smtp.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_comment(ticket=ticket, by=agent, body="请重启 SRS 服务后再试。")

    [message] = smtp.to("admin@alpha.example")
    assert message["Subject"] == f"[{ticket.number}] 直播推流中断"
    assert message["References"] == f"<rd-{ticket.pk}@{domain()}>"
    assert message["In-Reply-To"] == f"<rd-{ticket.pk}@{domain()}>"
    assert "请重启 SRS 服务后再试。" in message.get_content()
    assert smtp.to("agent@vendor.example") == []  # the author is not told about their own reply


def test_internal_note_sends_nothing_to_the_customer(
    smtp, ticket, agent, django_capture_on_commit_callbacks
):
    smtp.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_comment(
            ticket=ticket, by=agent, body="客户的服务器配置有问题", public=False
        )

    assert smtp.to("admin@alpha.example") == []
    assert not OutboxMessage.objects.filter(body__contains="客户的服务器配置有问题").exists()


def test_delivery_is_retried_once_the_smtp_server_is_back(
    settings, customer_a, django_capture_on_commit_callbacks
):
    use_smtp(settings, free_port())  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.make_ticket(requester=customer_a, title="直播推流中断")

    outbox = OutboxMessage.objects.get(recipient="admin@alpha.example")
    assert outbox.status == OutboxMessage.Status.PENDING
    assert outbox.attempts == 1
    assert outbox.last_error
    assert outbox.next_attempt_at > clock.now()

    with SmtpSink() as sink:
        settings.EMAIL_PORT = sink.port
        assert outbox_deliver_due() == 0  # not due yet: backoff
        OutboxMessage.objects.filter(pk=outbox.pk).update(
            next_attempt_at=clock.now() - timedelta(seconds=1)
        )
        assert outbox_deliver_due() == 1

    outbox.refresh_from_db()
    assert outbox.status == OutboxMessage.Status.SENT
    assert outbox.attempts == 2 and outbox.last_error == ""
    [message] = sink.to("admin@alpha.example")
    assert message["Subject"] == f"[{ticket.number}] 直播推流中断"


def _answer(outgoing: EmailMessage, text: str) -> bytes:
    """The customer's mail client answering `outgoing`, quoting it below the answer."""
    reply = EmailMessage()
    reply["From"] = "Alpha Admin <admin@alpha.example>"
    reply["To"] = outgoing["Reply-To"] or outgoing["From"]
    reply["Subject"] = f"Re: {outgoing['Subject']}"
    reply["Date"] = "Wed, 25 Nov 2026 10:30:00 +0800"
    reply["Message-ID"] = make_msgid(domain="alpha.example")
    reply["In-Reply-To"] = outgoing["Message-ID"]
    reply["References"] = f"{outgoing['References']} {outgoing['Message-ID']}"
    quoted = "\n".join(f"> {line}".rstrip() for line in outgoing.get_content().splitlines())
    reply.set_content(
        f"{text}\n\nOn Wed, Nov 25, 2026 at 10:00 AM Roadie <support@{domain()}> wrote:\n{quoted}\n"
    )
    return reply.as_bytes()


def test_customer_answer_to_a_reply_round_trips_onto_the_ticket(
    smtp, ticket, customer_a, agent, django_capture_on_commit_callbacks
):
    smtp.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_comment(ticket=ticket, by=agent, body="请重启 SRS 服务后再试。")
    [outgoing] = smtp.to("admin@alpha.example")

    with django_capture_on_commit_callbacks(execute=True):
        result = mail.mail_ingest(
            raw=_answer(outgoing, "重启后恢复了，谢谢！\nThe stream is back.")
        )

    assert result.status == InboundMail.Status.THREADED
    assert result.summary == f"{ticket.number}: reply added"
    answer = ticket.comments.order_by("id").last()
    assert answer.author == customer_a
    assert answer.source == Comment.Source.EMAIL
    assert answer.body == "重启后恢复了，谢谢！\nThe stream is back."
    # The assigned engineer hears about the answer by e-mail in the same thread.
    [notice] = smtp.to("agent@vendor.example")
    assert notice["Subject"] == f"[{ticket.number}] 直播推流中断"
    assert "重启后恢复了" in notice.get_content()
