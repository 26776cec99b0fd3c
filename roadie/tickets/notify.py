"""E-mails about tickets, queued in the outbox inside the caller's transaction."""

import uuid
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from roadie.accounts.models import User
from roadie.notifications.models import OutboxMessage
from roadie.notifications.services import email_rows, insert_messages
from roadie.tickets.models import Comment, Ticket


def thread_id(ticket: Ticket) -> str:
    return f"<rd-{ticket.pk}@{settings.ROADIE_MAIL_DOMAIN}>"


def ticket_url(ticket: Ticket, for_staff: bool) -> str:
    name = "console:ticket" if for_staff else "portal:ticket"
    return settings.ROADIE_BASE_URL + reverse(name, args=[ticket.number])


def _send(
    *, ticket: Ticket, recipients: list[User], template: str, key: str, context: dict[str, object]
) -> None:
    insert_messages(
        _rows(ticket=ticket, recipients=recipients, template=template, key=key, context=context)
    )


def _rows(
    *, ticket: Ticket, recipients: list[User], template: str, key: str, context: dict[str, object]
) -> list[OutboxMessage]:
    """One message per language group; each reader gets the link for its side (console/portal)."""
    rows: list[OutboxMessage] = []
    by_side: dict[tuple[bool, str], list[str]] = {}
    for user in recipients:
        if user.is_active:
            by_side.setdefault((user.is_vendor_staff, user.language or "zh-hans"), []).append(
                user.email
            )
    for (for_staff, language), emails in by_side.items():
        with translation.override(language):
            subject = f"[{ticket.number}] {ticket.title}"
            body = render_to_string(
                f"emails/{template}.txt",
                {**context, "ticket": ticket, "url": ticket_url(ticket, for_staff)},
            )
        headers = {
            "Message-ID": f"<rd-{ticket.pk}-{uuid.uuid4().hex[:12]}@{settings.ROADIE_MAIL_DOMAIN}>",
            "References": thread_id(ticket),
            "In-Reply-To": thread_id(ticket),
            "Reply-To": settings.DEFAULT_FROM_EMAIL,
            "Auto-Submitted": "auto-generated",
        }
        rows += email_rows(
            recipients=emails,
            subject=subject,
            body=body,
            headers=headers,
            idempotency_key=f"ticket:{ticket.pk}:{key}",
        )
    return rows


def _audience(ticket: Ticket, exclude: User | None, customers: bool = True) -> list[User]:
    people = {ticket.requester, *ticket.watchers.all()}
    if ticket.assignee:
        people.add(ticket.assignee)
    return [u for u in people if u != exclude and (customers or u.is_vendor_staff)]


def ticket_created(*, ticket: Ticket) -> None:
    _send(
        ticket=ticket,
        recipients=[ticket.requester],
        template="ticket_created",
        key="created",
        context={},
    )


def public_reply(*, ticket: Ticket, comment: Comment) -> None:
    _send(
        ticket=ticket,
        recipients=_audience(ticket, exclude=comment.author),
        template="public_reply",
        key=f"comment:{comment.pk}",
        context={"comment": comment},
    )


def status_changed(*, ticket: Ticket, by: User) -> None:
    _send(
        ticket=ticket,
        recipients=_audience(ticket, exclude=by),
        template="status_changed",
        key=f"status:{ticket.status}:{ticket.updated_at.timestamp()}",
        context={"by": by},
    )


def assigned(*, ticket: Ticket, by: User) -> None:
    assert ticket.assignee is not None
    _send(
        ticket=ticket,
        recipients=[ticket.assignee],
        template="assigned",
        key=f"assigned:{ticket.assignee_id}:{ticket.updated_at.timestamp()}",
        context={"by": by},
    )


def sla_events(*, crossings: list[tuple[Ticket, str, str, datetime]], managers: list[User]) -> None:
    """E-mail about SLA thresholds (ticket, clock, threshold, crossed at), queued in one insert.

    A warning goes to the assignee (the managers if nobody is assigned); a breach or an
    escalation goes to the assignee and the managers.
    """
    rows: list[OutboxMessage] = []
    for ticket, clock, threshold, at in crossings:
        recipients = [ticket.assignee] if ticket.assignee else []
        if threshold != "warning" or not recipients:
            recipients = [*recipients, *managers]
        rows += _rows(
            ticket=ticket,
            recipients=list({user.pk: user for user in recipients}.values()),
            template="sla_event",
            key=f"sla:{clock}:{threshold}",
            context={"clock": clock, "threshold": threshold, "at": at},
        )
    insert_messages(rows)


def satisfaction_survey(*, ticket: Ticket, recipient: User, token: str) -> None:
    """The one-question survey after resolution, with the recipient's own signed link."""
    survey_url = settings.ROADIE_BASE_URL + reverse("portal:survey", args=[token])
    _send(
        ticket=ticket,
        recipients=[recipient],
        template="satisfaction_survey",
        key="satisfaction",
        context={"survey_url": survey_url, "scores": (5, 4, 3, 2, 1)},
    )
