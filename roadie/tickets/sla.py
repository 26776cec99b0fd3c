"""A ticket's SLA clocks: bound when it opens, moved by its status, swept for thresholds.

The arithmetic is in roadie.sla.clocks (pure); this module maps tickets onto it.  Services call
``bind`` / ``on_status`` / ``refresh`` inside their transaction and save ``SLA_FIELDS``; the
periodic task calls ``sla_sweep``.  Rules: docs/sla.md.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime, timedelta

from django.db import connection, transaction

from roadie.accounts.models import Role, User
from roadie.sla import clocks
from roadie.sla.calendar import CalendarError
from roadie.sla.models import SlaEvent
from roadie.sla.selectors import calendar_overrides, current_terms, sla_snapshot
from roadie.tickets import notify, paging
from roadie.tickets.models import OPEN_STATUSES, Kind, Status, Ticket, TicketEvent

logger = logging.getLogger(__name__)

SLA_FIELDS = (
    "sla_snapshot",
    "sla_pauses",
    "response_due_at",
    "resolution_due_at",
    "sla_paused_at",
    "paused_seconds",
    "response_business_seconds",
    "resolution_business_seconds",
    "next_sla_check_at",
)

# Tickets one sweep transaction examines; the periodic task repeats while batches come back full.
# A tick costs about 1 ms per ticket that crosses a threshold (mostly its e-mail through the
# outbox), so 500 keeps a worst-case tick near half a second (bench/bench_sla_sweep.py).
SWEEP_BATCH = 500

# When a ticket's clocks cannot be evaluated (a broken calendar), the sweep tries again after this.
RETRY_AFTER = timedelta(hours=1)

FINISHED = frozenset({Status.RESOLVED, Status.CLOSED})

Recorded = Collection[tuple[str, str]]


def _plan(ticket: Ticket, overrides: dict[date, bool] | None) -> clocks.ClockPlan | None:
    if not ticket.sla_snapshot:
        return None
    if overrides is None:
        overrides = calendar_overrides()
    return clocks.plan_for(ticket.sla_snapshot, ticket.severity, overrides)


def _evaluate(
    ticket: Ticket, plan: clocks.ClockPlan, pauses: list[clocks.Pause]
) -> clocks.Evaluation:
    return clocks.evaluate(
        plan=plan,
        created_at=ticket.created_at,
        pauses=pauses,
        responded_at=ticket.first_response_at,
        is_open=ticket.status in OPEN_STATUSES,
        is_defect=ticket.kind == Kind.DEFECT,
    )


def _recorded(ticket: Ticket) -> set[tuple[str, str]]:
    if ticket.pk is None:
        return set()
    return set(SlaEvent.objects.filter(ticket_id=ticket.pk).values_list("clock", "threshold"))


def bind(ticket: Ticket, *, at: datetime) -> None:
    """Snapshot the organization's current targets onto a new (unsaved) ticket, start clocks."""
    contract, token = current_terms(organization=ticket.organization)
    ticket.sla_snapshot = sla_snapshot(contract=contract, token=token)
    ticket.sla_pauses = []
    refresh(ticket, recorded=(), overrides=calendar_overrides(token=token))


def refresh(
    ticket: Ticket,
    *,
    recorded: Recorded | None = None,
    overrides: dict[date, bool] | None = None,
) -> None:
    """Recompute due times, used business time and the next check (in memory; caller saves).

    Due times always follow from the snapshot, the creation instant and the pauses, so a
    severity change recomputes from creation under the new severity's targets and skips the
    same pauses again on the new calendar.
    """
    plan = _plan(ticket, overrides)
    if plan is None:
        ticket.response_due_at = ticket.resolution_due_at = ticket.next_sla_check_at = None
        return
    pauses = clocks.pauses_from_json(ticket.sla_pauses)
    evaluation = _evaluate(ticket, plan, pauses)
    ticket.response_due_at = evaluation.response.due_at
    ticket.resolution_due_at = evaluation.resolution.due_at
    per_clock = clocks.clock_pauses(pauses, ticket.first_response_at)
    ticket.response_business_seconds = None
    if ticket.first_response_at is not None:
        ticket.response_business_seconds = int(
            clocks.business_used(
                calendar=plan.response_calendar,
                start=ticket.created_at,
                until=ticket.first_response_at,
                pauses=per_clock[clocks.RESPONSE],
            ).total_seconds()
        )
    ticket.resolution_business_seconds = None
    halted = evaluation.resolution.halted_at
    if ticket.status in FINISHED and halted is not None:
        ticket.resolution_business_seconds = int(
            clocks.business_used(
                calendar=plan.resolution_calendar,
                start=ticket.created_at,
                until=halted,
                pauses=per_clock[clocks.RESOLUTION],
            ).total_seconds()
        )
    ticket.next_sla_check_at = evaluation.next_check(
        _recorded(ticket) if recorded is None else recorded
    )


def on_status(ticket: Ticket, *, old: str, new: str, at: datetime) -> None:
    """Pause the clocks while waiting on the customer and while resolved/closed; resume after.

    Leaving a pause resumes each clock with the business time it had left when it stopped
    (a reopen therefore resumes the resolution clock; it does not restart it).
    """
    if not ticket.sla_snapshot:
        return
    pauses = clocks.pauses_from_json(ticket.sla_pauses)
    was_waiting, is_waiting = old == Status.WAITING, new == Status.WAITING
    was_finished, is_finished = old in FINISHED, new in FINISHED
    if was_waiting and not is_waiting:
        pauses = clocks.close_pause(pauses, at=at)
        if ticket.sla_paused_at is not None:
            waited = int((at - ticket.sla_paused_at).total_seconds())
            ticket.paused_seconds += max(waited, 0)
        ticket.sla_paused_at = None
    if was_finished and not is_finished:
        pauses = clocks.close_pause(pauses, at=at)
    if is_waiting and not was_waiting:
        pauses = clocks.open_pause(pauses, at=at, why=clocks.WAITING)
        ticket.sla_paused_at = at
    if is_finished and not was_finished:
        pauses = clocks.open_pause(pauses, at=at, why=clocks.STOPPED)
    ticket.sla_pauses = clocks.pauses_to_json(pauses)
    refresh(ticket)


def status(ticket: Ticket, *, now: datetime) -> clocks.SlaStatus | None:
    """The clocks as the API shows them; stored fields only, no queries."""
    if not ticket.sla_snapshot:
        return None
    pauses = ticket.sla_pauses or []
    halted_at = None
    if pauses and not pauses[-1].get("to"):
        halted_at = datetime.fromisoformat(pauses[-1]["from"])
    return clocks.sla_status(
        response_due_at=ticket.response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        responded_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        halted_at=halted_at,
        waiting=ticket.status == Status.WAITING,
        finished=ticket.status in FINISHED,
        paused_seconds=ticket.paused_seconds,
        paused_since=ticket.sla_paused_at,
        now=now,
    )


# -- the sweep ------------------------------------------------------------------------------

EVENT_KIND = {
    clocks.WARNING: TicketEvent.Kind.SLA_WARNING,
    clocks.BREACH: TicketEvent.Kind.SLA_BREACHED,
    clocks.STALE: TicketEvent.Kind.ESCALATED,
}


def _due_tickets(now: datetime, limit: int) -> list[Ticket]:
    qs = Ticket.objects.filter(next_sla_check_at__lte=now).order_by("next_sla_check_at")
    if connection.features.has_select_for_update_skip_locked:
        # Overlapping workers take disjoint batches; SQLite serialises writers instead.
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.select_related("assignee")[:limit])


def _recorded_for(ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    recorded: dict[int, set[tuple[str, str]]] = defaultdict(set)
    rows = SlaEvent.objects.filter(ticket_id__in=ids).values_list("ticket_id", "clock", "threshold")
    for ticket_id, clock, threshold in rows:
        recorded[ticket_id].add((clock, threshold))
    return recorded


def sla_sweep(*, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """Record each threshold the due tickets crossed, once; warn, escalate, notify.

    Reads only tickets whose next_sla_check_at <= now (an index range).  Each crossing is an
    SlaEvent inserted with ignore_conflicts under a unique (ticket, clock, threshold); this run
    acts only on the rows carrying its own run id, so restarts and overlapping workers record,
    notify and escalate exactly once.  Returns how many tickets were examined.
    """
    run = uuid.uuid4().hex
    with transaction.atomic():
        tickets = _due_tickets(now, limit)
        if not tickets:
            return 0
        ids = [ticket.pk for ticket in tickets]
        recorded = defaultdict(set, _recorded_for(ids))
        overrides = calendar_overrides()
        crossings: list[SlaEvent] = []
        for ticket in tickets:
            plan = _plan(ticket, overrides)
            if plan is None:
                ticket.next_sla_check_at = None
                continue
            try:
                evaluation = _evaluate(ticket, plan, clocks.pauses_from_json(ticket.sla_pauses))
            except CalendarError:
                # One ticket with an impossible calendar must not hold up the others.
                logger.exception("sla sweep: cannot evaluate ticket %s", ticket.pk)
                ticket.next_sla_check_at = now + RETRY_AFTER
                continue
            crossed = evaluation.crossed(now, recorded[ticket.pk])
            crossings.extend(
                SlaEvent(
                    ticket_id=ticket.pk,
                    clock=threshold.clock,
                    threshold=threshold.name,
                    at=threshold.at,
                    recorded_at=now,
                    run=run,
                )
                for threshold in crossed
            )
            ticket.next_sla_check_at = evaluation.next_check(
                recorded[ticket.pk] | {threshold.key for threshold in crossed}
            )
        claimed: list[SlaEvent] = []
        if crossings:
            SlaEvent.objects.bulk_create(crossings, ignore_conflicts=True)
            claimed = list(
                SlaEvent.objects.filter(ticket_id__in=ids, run=run).order_by("ticket_id", "at")
            )
        _act(tickets, claimed, now)
        _save_checks(tickets)
    if claimed:
        logger.info("sla sweep %s: %d thresholds on %d tickets", run, len(claimed), len(tickets))
    return len(tickets)


def _save_checks(tickets: list[Ticket]) -> None:
    # One statement run many times: bulk_update's CASE expression grows with the batch and
    # costs more to build than the rows cost to write.
    ops = connection.ops
    rows = [
        (ops.adapt_datetimefield_value(t.next_sla_check_at), t.escalated, t.pk) for t in tickets
    ]
    table = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET next_sla_check_at = %s, escalated = %s WHERE id = %s",  # noqa: S608
            rows,
        )


def _managers() -> list[User]:
    return list(User.objects.filter(role=Role.MANAGER, is_active=True))


def _act(tickets: list[Ticket], claimed: list[SlaEvent], now: datetime) -> None:
    """Timeline events, escalation and e-mail for the thresholds this run recorded."""
    if not claimed:
        return
    by_id = {ticket.pk: ticket for ticket in tickets}
    managers = _managers()
    events: list[TicketEvent] = []
    crossed: list[tuple[Ticket, str, str, datetime]] = []
    for crossing in claimed:
        ticket = by_id[crossing.ticket_id]
        data: dict[str, object] = {
            "clock": crossing.clock,
            "threshold": crossing.threshold,
            "at": crossing.at.isoformat(),
        }
        if crossing.threshold == clocks.STALE:
            data["reason"] = clocks.STALE
        events.append(
            TicketEvent(
                ticket=ticket,
                kind=EVENT_KIND[crossing.threshold],
                data=data,
                public=False,
                created_at=now,
            )
        )
        escalates = crossing.threshold in (clocks.BREACH, clocks.STALE)
        if escalates and not ticket.escalated:
            ticket.escalated = True
            if crossing.threshold == clocks.BREACH:
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        kind=TicketEvent.Kind.ESCALATED,
                        data={**data, "reason": f"{crossing.clock}_breach"},
                        public=False,
                        created_at=now,
                    )
                )
        crossed.append((ticket, crossing.clock, crossing.threshold, crossing.at))
    TicketEvent.objects.bulk_create(events)
    notify.sla_events(crossings=crossed, managers=managers)
    paging.sla_events_page([(t.pk, name, threshold) for t, name, threshold, _at in crossed])
