"""Tickets and on-call: urgent tickets and SLA thresholds page the person on duty.

A page names what started it in its `source`: ``ticket:RD-12`` for an urgent ticket and
``sla:RD-12:<clock>:<threshold>`` for an SLA warning or breach. Pages start in the worker, from
one task queued when the ticket's transaction commits (Rule 8), so neither a ticket's request
nor an SLA sweep tick waits for them (more than GROUP_OVER tickets crossing SLA thresholds in
one batch page once, together); resolving or closing the ticket resolves them inside its
own transaction. A page that cannot start (no default policy) is recorded on the ticket as an
internal event and never fails the ticket's write. Rules: docs/oncall.md, "Hooks for other
domains".
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from roadie.accounts.models import User
from roadie.core import clock
from roadie.core.errors import DomainError
from roadie.notifications.tasks import URGENT_PRIORITY
from roadie.oncall.errors import NoPolicy
from roadie.oncall.handoff import SummarySection
from roadie.oncall.models import EscalationPolicy, Page, PageEvent
from roadie.oncall.selectors import default_policy
from roadie.oncall.services import page_resolve, page_start
from roadie.sla import clocks
from roadie.tickets.models import Comment, Severity, Ticket, TicketEvent

logger = logging.getLogger(__name__)

# The SLA thresholds that page; a stale defect escalates to the managers by e-mail only.
PAGED_THRESHOLDS = frozenset({clocks.WARNING, clocks.BREACH})

# TicketEvent.Kind.ESCALATED data["reason"] when a page could not be started.
NO_POLICY = "oncall_no_policy"
PAGE_FAILED = "oncall_page_failed"
PAGE_PROBLEMS = (NO_POLICY, PAGE_FAILED)

# More tickets than this crossing SLA thresholds in one batch page once, together.
GROUP_OVER = 10
GROUP_LISTED = 12

# Urgent tickets listed by name in a hand-off summary; the rest are counted.
HANDOFF_LIMIT = 20


def ticket_source(ticket: Ticket) -> str:
    return f"ticket:{ticket.number}"


def sla_source(ticket: Ticket, clock_name: str, threshold: str) -> str:
    return f"sla:{ticket.number}:{clock_name}:{threshold}"


def _sources(ticket: Ticket) -> Q:
    return Q(source=ticket_source(ticket)) | Q(source__startswith=f"sla:{ticket.number}:")


def _console_url(ticket: Ticket) -> str:
    return settings.ROADIE_BASE_URL + reverse("console:ticket", args=[ticket.number])


# -- starting and resolving ----------------------------------------------------------------


# What a page start needs: (ticket id, clock, threshold); clock and threshold are "" for the
# ticket's own urgent page.
PageRequest = tuple[int, str, str]


def ticket_page_start(ticket: Ticket) -> None:
    """Page the person on call about an open urgent ticket, once, after the transaction commits.

    Call it where a ticket becomes urgent and open (created, raised, reopened); other tickets
    are left alone, so callers need not check.
    """
    if ticket.severity != Severity.URGENT or not ticket.is_open:
        return
    _start_after_commit([(ticket.pk, "", "")])


def sla_events_page(crossings: list[PageRequest]) -> None:
    """Page about SLA thresholds the sweep claimed: a warning quietly, a breach urgently.

    Each threshold is its own source, so a warning and a breach page separately; the sweep
    claims each threshold once, and page_start returns the open page for a source it sees again.
    A whole sweep batch becomes one task.
    """
    requests = [crossing for crossing in crossings if crossing[2] in PAGED_THRESHOLDS]
    if requests:
        _start_after_commit(requests)


def _start_after_commit(requests: list[PageRequest]) -> None:
    transaction.on_commit(lambda: _queue(requests), robust=True)


def _queue(requests: list[PageRequest]) -> None:
    try:
        start_pages(requests)
    except Exception:
        # A broker that refuses the task (Redis down) must not cost the page: start it here.
        # page_start returns the open page for a source it sees again, so nothing doubles.
        logger.exception("could not queue %d page starts; starting them now", len(requests))
        start_pages_now(requests)


@db_task(priority=URGENT_PRIORITY)
def start_pages(requests: list[PageRequest]) -> None:
    start_pages_now(requests)


def start_pages_now(requests: list[PageRequest]) -> list[Page]:
    """Start the requested pages, each in its own transaction; returns the pages started.

    SLA thresholds of more than GROUP_OVER tickets at once (a worker back from an outage, a
    holiday ending, imported history) start one page for them all instead of one each: one
    person woken once, with the queue sorted by what is due first.
    """
    policy = default_policy()
    sla_requests = [request for request in requests if request[2]]
    if policy is not None and len({request[0] for request in sla_requests}) > GROUP_OVER:
        requests = [request for request in requests if not request[2]]
        grouped = _start_group(sla_requests, policy)
    else:
        grouped = None
    started = []
    for ticket_id, clock_name, threshold in requests:
        try:
            page = _start(ticket_id, clock_name, threshold, policy=policy)
        except Exception:
            # One page that cannot start must not cost the rest of a sweep's batch.
            logger.exception("ticket %s: page %s/%s not started", ticket_id, clock_name, threshold)
            continue
        if page is not None:
            started.append(page)
    return [*started, grouped] if grouped is not None else started


def _start_group(requests: list[PageRequest], policy: EscalationPolicy) -> Page | None:
    tickets = {
        ticket.pk: ticket
        for ticket in Ticket.objects.filter(pk__in={r[0] for r in requests}, is_open=True)
    }
    live = [
        (tickets[ticket_id], clock_name, threshold)
        for ticket_id, clock_name, threshold in requests
        if ticket_id in tickets
        and not (clock_name == clocks.RESPONSE and tickets[ticket_id].first_response_at)
    ]
    if not live:
        return None
    numbers = sorted({t.number for t, _c, _t in live}, key=lambda n: int(n.split("-")[-1]))
    breaches = len({t.pk for t, _c, threshold in live if threshold == clocks.BREACH})
    with translation.override(settings.LANGUAGE_CODE):
        title = _(
            "%(count)s tickets reached SLA thresholds at once, %(breaches)s of them missed: "
            "%(numbers)s"
        ) % {
            "count": len(numbers),
            "breaches": breaches,
            "numbers": ", ".join(numbers[:GROUP_LISTED])
            + (" …" if len(numbers) > GROUP_LISTED else ""),
        }
    url = settings.ROADIE_BASE_URL + reverse("console:queue") + "?sort=due"
    try:
        return page_start(
            policy=policy,
            source=f"sla-batch:{clock.now():%Y%m%dT%H%M%S}:{numbers[0]}",
            title=title,
            url=url,
            urgent=breaches > 0,
        )
    except DomainError as error:
        logger.warning("grouped SLA page for %s not started: %s", numbers, error)
        return None


def _opened_by_system(ticket: Ticket) -> bool:
    # Tickets that monitoring opens for an incident are paged by the incident itself
    # (source "incident:<id>"); paging the ticket too would wake the same person twice.
    return ticket.events.filter(
        kind=TicketEvent.Kind.CREATED, data__source=Comment.Source.SYSTEM
    ).exists()


def ticket_severity_changed(
    ticket: Ticket, *, old: str, by: User | None, at: datetime | None = None
) -> None:
    """Raised to urgent: page. Lowered from urgent: resolve the ticket's own page (not the SLA
    pages, which stand until the ticket is resolved)."""
    if ticket.severity == Severity.URGENT:
        ticket_page_start(ticket)
    elif old == Severity.URGENT:
        for page in Page.objects.filter(source=ticket_source(ticket)).exclude(
            status=Page.Status.RESOLVED
        ):
            page_resolve(page=page, by=by, now=at)


def ticket_pages_resolve(ticket: Ticket, by: User | None, *, at: datetime | None = None) -> int:
    """Resolve every open page of the ticket (its own and its SLA pages) in the caller's
    transaction; returns how many were open."""
    pages = list(Page.objects.filter(_sources(ticket)).exclude(status=Page.Status.RESOLVED))
    for page in pages:
        page_resolve(page=page, by=by, now=at)
    return len(pages)


def _start(
    ticket_id: int, clock_name: str, threshold: str, *, policy: EscalationPolicy | None
) -> Page | None:
    with transaction.atomic():
        # Locking the ticket serialises page starts for it, so page_start's check for an open
        # page with the same source cannot race with a second start (PostgreSQL).
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or not ticket.is_open:
            return None  # resolved, closed or deleted before the commit
        if clock_name == clocks.RESPONSE and ticket.first_response_at is not None:
            return None  # answered while the page waited in the queue
        if threshold:
            source = sla_source(ticket, clock_name, threshold)
            urgent = threshold == clocks.BREACH
            title = _sla_title(ticket, clock_name, threshold)
        elif ticket.severity == Severity.URGENT and not _opened_by_system(ticket):
            source, urgent, title = ticket_source(ticket), True, f"{ticket.number} {ticket.title}"
        else:
            return None  # lowered again before the commit, or monitoring's own ticket
        try:
            # page_start runs in its own savepoint: a refusal leaves this transaction usable.
            # policy None: page_start looks for a default again and raises NoPolicy.
            return page_start(
                policy=policy, source=source, title=title, url=_console_url(ticket), urgent=urgent
            )
        except NoPolicy as error:
            _record_problem(ticket, source, NO_POLICY, str(error.message))
        except DomainError as error:
            logger.warning("ticket %s: page %s not started: %s", ticket.pk, source, error)
            _record_problem(ticket, source, PAGE_FAILED, str(error.message), code=error.code)
    return None


def _sla_title(ticket: Ticket, clock_name: str, threshold: str) -> str:
    # A page is read by several people; its title is written in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "number": ticket.number,
            "clock": _("response") if clock_name == clocks.RESPONSE else _("resolution"),
            "title": ticket.title,
        }
        if threshold == clocks.BREACH:
            return _("%(number)s: the %(clock)s target was missed: %(title)s") % values
        return _("%(number)s: the %(clock)s target is close: %(title)s") % values


def _record_problem(ticket: Ticket, source: str, reason: str, message: str, **data: str) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.ESCALATED,
        public=False,
        created_at=clock.now(),
        data={"reason": reason, "source": source, "message": message, **data},
    )


# -- reading ---------------------------------------------------------------------------------


def ticket_pages(ticket: Ticket) -> QuerySet[Page]:
    """The ticket's pages, newest first, with their timelines and the people in them."""
    events = PageEvent.objects.select_related("actor").order_by("at", "id")
    return (
        Page.objects.filter(_sources(ticket))
        .select_related("acknowledged_by", "resolved_by")
        .prefetch_related(Prefetch("events", queryset=events))
        .order_by("-started_at", "-id")
    )


def ticket_page_problems(ticket: Ticket) -> QuerySet[TicketEvent]:
    """Internal events recording pages that could not start, oldest first."""
    return TicketEvent.objects.filter(
        ticket=ticket, kind=TicketEvent.Kind.ESCALATED, data__reason__in=PAGE_PROBLEMS
    ).order_by("created_at", "id")


def open_urgent_tickets() -> QuerySet[Ticket]:
    """Open urgent tickets, oldest first."""
    return (
        Ticket.objects.filter(is_open=True, severity=Severity.URGENT)
        .select_related("organization")
        .order_by("created_at", "id")
    )


# -- the hand-off summary ----------------------------------------------------------------------


def _age(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


def handoff_section(user: User, at: datetime) -> SummarySection | None:
    """Hand-off summary provider: the open urgent tickets (number, title, organization, age).

    Runs in the language of the person coming on call; None when there are none.
    """
    tickets = list(open_urgent_tickets()[: HANDOFF_LIMIT + 1])
    if not tickets:
        return None
    lines = [
        _("- %(number)s %(title)s · %(organization)s · open for %(age)s · %(url)s")
        % {
            "number": ticket.number,
            "title": ticket.title,
            "organization": ticket.organization.name,
            "age": _age(at - ticket.created_at),
            "url": _console_url(ticket),
        }
        for ticket in tickets[:HANDOFF_LIMIT]
    ]
    if len(tickets) > HANDOFF_LIMIT:
        more = open_urgent_tickets().count() - HANDOFF_LIMIT
        lines.append(_("- and %(count)s more in the queue") % {"count": more})
    return SummarySection(title=_("Open urgent tickets"), body="\n".join(lines))
