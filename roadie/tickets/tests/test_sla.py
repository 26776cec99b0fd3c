"""SLA clocks on real tickets: binding, pauses, reopen, severity changes and the sweep."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from roadie.core.tests import factories
from roadie.customers.selectors import current_contract
from roadie.customers.services import contract_create
from roadie.notifications.models import OutboxMessage
from roadie.sla import services as sla_services
from roadie.sla.models import CalendarOverride, Policy, SlaEvent
from roadie.tickets import services, tasks
from roadie.tickets import sla as ticket_sla
from roadie.tickets.models import Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def file(customer, at: datetime, severity: str = "important", **fields: object) -> Ticket:
    return services.ticket_create(
        by=customer, title="推流中断", description="", severity=severity, at=at, **fields
    )


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def sla_events(ticket: Ticket) -> list[tuple[str, str]]:
    return sorted(SlaEvent.objects.filter(ticket_id=ticket.pk).values_list("clock", "threshold"))


# -- binding --------------------------------------------------------------------------------


def test_important_ticket_before_national_day_is_due_after_the_holiday(customer_a):
    ticket = fresh(file(customer_a, sh(2026, 9, 30, 17)))
    assert ticket.sla_snapshot["tier"] == "standard"
    assert ticket.response_due_at == sh(2026, 10, 8, 10)
    # 24 business hours: 1 on Sep 30, 9 on Oct 8 and 9, 5 on Saturday Oct 10 (调休).
    assert ticket.resolution_due_at == sh(2026, 10, 10, 14)
    # The first check is the response warning at 75 % of two business hours.
    assert ticket.next_sla_check_at == sh(2026, 10, 8, 9, 30)


def test_urgent_ticket_runs_on_7x24(customer_a):
    ticket = fresh(file(customer_a, sh(2026, 10, 1, 3), severity="urgent"))
    assert ticket.response_due_at == sh(2026, 10, 1, 3, 30)
    assert ticket.resolution_due_at == sh(2026, 10, 1, 4)


def test_premium_important_runs_on_7x24_in_the_contract_time_zone(agent):
    organization = factories.make_organization("Delta", "delta")
    contract_create(
        organization=organization,
        tier_slug="premium",
        starts_on=date(2026, 6, 1),
        ends_on=date(2027, 6, 1),
        time_zone="Europe/Berlin",
    )
    ticket = services.ticket_create(
        by=agent,
        organization=organization,
        title="x",
        description="",
        severity="important",
        at=sh(2026, 10, 3, 12),
    )
    ticket = fresh(ticket)
    assert ticket.sla_snapshot["tier"] == "premium"
    assert ticket.response_due_at == sh(2026, 10, 3, 12, 30)
    assert ticket.resolution_due_at == sh(2026, 10, 3, 20)
    general = fresh(
        services.ticket_create(
            by=agent,
            organization=organization,
            title="y",
            description="",
            severity="general",
            at=datetime(2026, 6, 5, 17, tzinfo=ZoneInfo("Europe/Berlin")),
        )
    )
    # Business hours are Berlin's: 17:00-18:00 Friday, then Monday 09:00-10:00 Berlin.
    assert general.response_due_at == datetime(2026, 6, 8, 10, tzinfo=ZoneInfo("Europe/Berlin"))


# -- the response clock ---------------------------------------------------------------------


def test_auto_ack_and_customer_follow_up_do_not_stop_the_response_clock(customer_a, agent):
    ticket = file(customer_a, sh(2026, 6, 1, 9))
    services.ticket_comment(
        ticket=ticket, by=agent, body="已收到", is_auto=True, at=sh(2026, 6, 1, 9, 1)
    )
    services.ticket_comment(ticket=ticket, by=customer_a, body="补充", at=sh(2026, 6, 1, 9, 5))
    services.ticket_comment(
        ticket=ticket, by=agent, body="note", public=False, at=sh(2026, 6, 1, 9, 6)
    )
    ticket = fresh(ticket)
    assert ticket.first_response_at is None and ticket.response_business_seconds is None
    assert ticket.response_due_at == sh(2026, 6, 1, 11)
    assert ticket_sla.status(ticket, now=sh(2026, 6, 1, 11)).response_breached
    services.ticket_comment(ticket=ticket, by=agent, body="在查", at=sh(2026, 6, 1, 10))
    ticket = fresh(ticket)
    assert ticket.first_response_at == sh(2026, 6, 1, 10)
    assert ticket.response_business_seconds == 3600
    status = ticket_sla.status(ticket, now=sh(2026, 6, 1, 12))
    assert not status.response_breached and status.state == "running"
    # Only the resolution clock is left to check.
    assert ticket.next_sla_check_at == sh(2026, 6, 2, 18)


# -- pauses and reopen ----------------------------------------------------------------------


def test_waiting_pauses_both_clocks_and_resuming_shifts_the_due_times(customer_a, agent):
    ticket = file(customer_a, sh(2026, 6, 1, 9))  # Monday
    services.ticket_change_status(
        ticket=ticket, status=Status.WAITING, by=agent, at=sh(2026, 6, 1, 10)
    )
    ticket = fresh(ticket)
    assert ticket.sla_paused_at == sh(2026, 6, 1, 10)
    assert ticket.next_sla_check_at is None  # nothing can happen while the clocks stand still
    status = ticket_sla.status(ticket, now=sh(2026, 6, 3, 9))
    assert status.state == "paused" and not status.response_breached
    # The customer answers on Wednesday at 14:00: the remaining hour runs 14:00-15:00.
    services.ticket_comment(ticket=ticket, by=customer_a, body="日志", at=sh(2026, 6, 3, 14))
    ticket = fresh(ticket)
    assert ticket.status == Status.OPEN and ticket.sla_paused_at is None
    assert ticket.paused_seconds == 52 * 3600
    assert ticket.response_due_at == sh(2026, 6, 3, 15)
    assert ticket.resolution_due_at == sh(2026, 6, 8, 10)


def test_reopen_resumes_the_resolution_clock(customer_a, agent):
    ticket = file(customer_a, sh(2026, 6, 1, 9))
    services.ticket_comment(ticket=ticket, by=agent, body="在查", at=sh(2026, 6, 1, 9, 30))
    services.ticket_change_status(
        ticket=ticket, status=Status.RESOLVED, by=agent, at=sh(2026, 6, 2, 18)
    )
    ticket = fresh(ticket)
    assert ticket.resolution_business_seconds == 18 * 3600
    assert ticket_sla.status(ticket, now=sh(2026, 6, 30)).state == "met"
    # The customer reopens the next Monday: six business hours were left.
    services.ticket_reopen(ticket=ticket, by=customer_a, at=sh(2026, 6, 8, 9))
    ticket = fresh(ticket)
    assert ticket.resolution_due_at == sh(2026, 6, 8, 15)
    assert ticket.resolution_business_seconds is None
    assert ticket_sla.status(ticket, now=sh(2026, 6, 8, 12)).state == "running"


def test_resolving_without_a_reply_stops_the_response_clock_too(customer_a, agent):
    ticket = file(customer_a, sh(2026, 6, 1, 9))
    services.ticket_change_status(
        ticket=ticket, status=Status.RESOLVED, by=agent, at=sh(2026, 6, 1, 10)
    )
    ticket = fresh(ticket)
    assert ticket.next_sla_check_at is None
    status = ticket_sla.status(ticket, now=sh(2026, 6, 9))
    assert status.state == "met" and not status.response_breached


# -- severity and policy changes ------------------------------------------------------------


def test_severity_change_recomputes_from_creation(customer_a, agent):
    ticket = file(customer_a, sh(2026, 6, 1, 9), severity="general")
    services.ticket_change_status(
        ticket=ticket, status=Status.WAITING, by=agent, at=sh(2026, 6, 1, 9, 10)
    )
    services.ticket_change_status(
        ticket=ticket, status=Status.OPEN, by=agent, at=sh(2026, 6, 1, 9, 40)
    )
    services.ticket_change_severity(
        ticket=ticket, severity="urgent", by=agent, at=sh(2026, 6, 1, 9, 45)
    )
    ticket = fresh(ticket)
    # 30 minutes on 7×24 from creation, plus the 30-minute wait.
    assert ticket.response_due_at == sh(2026, 6, 1, 10)
    assert ticket.resolution_due_at == sh(2026, 6, 1, 10, 30)
    services.ticket_change_severity(
        ticket=ticket, severity="important", by=agent, at=sh(2026, 6, 1, 9, 50)
    )
    assert fresh(ticket).response_due_at == sh(2026, 6, 1, 11, 30)


def test_editing_a_policy_later_does_not_move_an_open_ticket(customer_a, agent):
    ticket = file(customer_a, sh(2026, 6, 1, 9))
    for severity in ("important", "urgent"):
        sla_services.policy_update(
            policy=Policy.objects.get(tier__slug="standard", severity=severity),
            response_minutes=5,
            resolution_minutes=10,
        )
    services.ticket_change_status(
        ticket=ticket, status=Status.WAITING, by=agent, at=sh(2026, 6, 1, 9, 10)
    )
    services.ticket_change_status(
        ticket=ticket, status=Status.OPEN, by=agent, at=sh(2026, 6, 1, 9, 40)
    )
    ticket = fresh(ticket)
    assert ticket.response_due_at == sh(2026, 6, 1, 11, 30)  # the snapshot's 120 minutes
    services.ticket_change_severity(
        ticket=ticket, severity="urgent", by=agent, at=sh(2026, 6, 1, 10, 5)
    )
    assert fresh(ticket).response_due_at == sh(2026, 6, 1, 10)  # the snapshot's 30, not 5
    new = fresh(file(customer_a, sh(2026, 6, 1, 9), severity="urgent"))
    assert new.response_due_at == sh(2026, 6, 1, 9, 5)


# -- the sweep ------------------------------------------------------------------------------


def test_sweep_records_each_threshold_once_and_escalates(customer_a, agent, manager):
    ticket = file(customer_a, sh(2026, 6, 1, 9))
    services.ticket_assign(ticket=ticket, assignee=agent, by=manager, at=sh(2026, 6, 1, 9))
    OutboxMessage.objects.all().delete()

    assert ticket_sla.sla_sweep(now=sh(2026, 6, 1, 10)) == 0  # nothing due yet
    assert ticket_sla.sla_sweep(now=sh(2026, 6, 1, 10, 31)) == 1
    assert sla_events(ticket) == [("response", "warning")]
    # A warning goes to the assignee only.
    assert sorted(OutboxMessage.objects.values_list("recipient", flat=True)) == [agent.email]
    assert not fresh(ticket).escalated

    for _ in range(2):  # a restart, a second worker: nothing is recorded twice
        ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
    assert sla_events(ticket) == [("response", "breach"), ("response", "warning")]
    ticket = fresh(ticket)
    assert ticket.escalated
    assert ticket.next_sla_check_at == sh(2026, 6, 2, 18)  # the resolution warning
    sla_kinds = ["sla_warning", "sla_breached", "escalated"]
    kinds = ticket.events.filter(kind__in=sla_kinds).values_list("kind", flat=True)
    assert sorted(kinds) == ["escalated", "sla_breached", "sla_warning"]
    assert not ticket.events.filter(kind__in=sla_kinds, public=True).exists()
    recipients = sorted(OutboxMessage.objects.values_list("recipient", flat=True))
    assert recipients == sorted([agent.email, agent.email, manager.email])

    ticket_sla.sla_sweep(now=sh(2026, 6, 10))
    ticket_sla.sla_sweep(now=sh(2026, 6, 10))
    assert len(sla_events(ticket)) == 4
    assert fresh(ticket).next_sla_check_at is None


def test_overlapping_sweeps_act_once(customer_a, manager, monkeypatch):
    ticket = file(customer_a, sh(2026, 6, 1, 9))
    stale_batch = list(Ticket.objects.filter(pk=ticket.pk))
    ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
    events_before = TicketEvent.objects.count()
    mails_before = OutboxMessage.objects.count()
    # A second worker that read the same batch before the first one committed: it computes
    # the same crossings and inserts them again, but the constraint keeps one row each and it
    # claims none of them, so it neither notifies nor writes timeline events.
    monkeypatch.setattr(ticket_sla, "_due_tickets", lambda now, limit: stale_batch)
    monkeypatch.setattr(ticket_sla, "_recorded_for", lambda ids: {})
    ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
    assert sla_events(ticket) == [("response", "breach"), ("response", "warning")]
    assert TicketEvent.objects.count() == events_before
    assert OutboxMessage.objects.count() == mails_before


def test_late_response_before_the_sweep_still_records_the_breach(customer_a, agent):
    ticket = file(customer_a, sh(2026, 6, 1, 9))
    services.ticket_comment(ticket=ticket, by=agent, body="抱歉", at=sh(2026, 6, 1, 11, 0, 30))
    ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
    assert sla_events(ticket) == [("response", "breach"), ("response", "warning")]
    assert ticket_sla.status(fresh(ticket), now=sh(2026, 6, 1, 12)).state == "breached"


def test_a_defect_open_14_days_escalates(customer_a, agent):
    ticket = file(customer_a, sh(2026, 6, 1, 9), severity="general", kind="defect")
    services.ticket_comment(ticket=ticket, by=agent, body="复现中", at=sh(2026, 6, 1, 9, 30))
    # Waiting on the customer does not stop the calendar days of a stale defect.
    services.ticket_change_status(
        ticket=ticket, status=Status.WAITING, by=agent, at=sh(2026, 6, 2, 9)
    )
    assert fresh(ticket).next_sla_check_at == sh(2026, 6, 15, 9)
    ticket_sla.sla_sweep(now=sh(2026, 6, 15, 9))
    assert ("resolution", "stale_14d") in sla_events(ticket)
    ticket = fresh(ticket)
    assert ticket.escalated
    assert ticket.events.filter(kind=TicketEvent.Kind.ESCALATED, data__reason="stale_14d").exists()


def test_sweep_reads_only_due_tickets(customer_a):
    due = [file(customer_a, sh(2026, 6, 1, 9)) for _ in range(3)]
    later = [file(customer_a, sh(2026, 6, 1, 10, 30)) for _ in range(20)]
    checks_before = {t.pk: fresh(t).next_sla_check_at for t in later}
    with CaptureQueriesContext(connection) as queries:
        examined = ticket_sla.sla_sweep(now=sh(2026, 6, 1, 10, 35))
    assert examined == len(due)
    assert all(sla_events(t) == [("response", "warning")] for t in due)
    assert {t.pk: fresh(t).next_sla_check_at for t in later} == checks_before
    select = next(q["sql"] for q in queries.captured_queries if 'FROM "tickets_ticket"' in q["sql"])
    assert '"next_sla_check_at" <=' in select and f"LIMIT {ticket_sla.SWEEP_BATCH}" in select
    # Everything is done in batches, e-mail included: the queries do not grow with crossings.
    assert len(queries.captured_queries) <= 12
    more = [file(customer_a, sh(2026, 6, 1, 11)) for _ in range(10)]
    with CaptureQueriesContext(connection) as queries_for_more:
        # The first three breach now, the 20 later ones warn, the 10 more ones warn.
        examined = ticket_sla.sla_sweep(now=sh(2026, 6, 1, 12, 35))
    assert examined == len(due) + len(later) + len(more)
    assert len(queries_for_more.captured_queries) == len(queries.captured_queries)


def test_sweep_with_nothing_due_is_one_query(customer_a):
    file(customer_a, sh(2026, 6, 1, 9))
    with CaptureQueriesContext(connection) as queries:
        assert ticket_sla.sla_sweep(now=sh(2026, 6, 1, 9, 5)) == 0
    assert len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]) == 1


def test_the_periodic_task_sweeps_until_nothing_is_due(customer_a, monkeypatch):
    monkeypatch.setattr(ticket_sla, "SWEEP_BATCH", 2)
    monkeypatch.setattr(tasks, "SWEEP_BATCH", 2)
    opened = timezone.now() - timedelta(hours=2)
    tickets = [file(customer_a, opened, severity="urgent") for _ in range(5)]
    tasks.sweep_sla.call_local()
    for ticket in tickets:
        assert len(sla_events(ticket)) == 4  # both clocks warned and breached
        assert fresh(ticket).next_sla_check_at is None


# -- SLA settings read once per revision -----------------------------------------------------


def test_a_warm_process_binds_a_ticket_in_one_query(customer_a):
    file(customer_a, sh(2026, 6, 1, 9))  # fills this process's cache
    probe = Ticket(
        organization=customer_a.organization,
        requester=customer_a,
        severity="important",
        created_at=sh(2026, 6, 1, 9),
        title="x",
    )
    with CaptureQueriesContext(connection) as queries:
        ticket_sla.bind(probe, at=sh(2026, 6, 1, 9))
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert probe.response_due_at == sh(2026, 6, 1, 11)


def test_a_contract_target_changed_after_a_ticket_applies_to_the_next(customer_a):
    first = fresh(file(customer_a, sh(2026, 6, 1, 9), severity="urgent"))
    assert first.response_due_at == sh(2026, 6, 1, 9, 30)
    sla_services.contract_target_set(
        contract=current_contract(organization=customer_a.organization),
        severity="urgent",
        response_minutes=10,
        resolution_minutes=None,
    )
    second = fresh(file(customer_a, sh(2026, 6, 1, 9), severity="urgent"))
    assert second.response_due_at == sh(2026, 6, 1, 9, 10)


def test_a_holiday_correction_saved_in_the_admin_applies_to_the_next_ticket(customer_a):
    # Wednesday 2027-06-02, 17:00: two business hours end Thursday 10:00 ...
    assert fresh(file(customer_a, sh(2027, 6, 2, 17))).response_due_at == sh(2027, 6, 3, 10)
    # ... unless Thursday is a holiday (a correction saved as the admin saves it).
    CalendarOverride.objects.create(date=date(2027, 6, 3), is_working=False, note="test")
    assert fresh(file(customer_a, sh(2027, 6, 2, 17))).response_due_at == sh(2027, 6, 4, 10)


def test_a_rolled_back_change_leaves_no_trace_in_the_cache(customer_a):
    from django.db import transaction

    policy = Policy.objects.get(tier__slug="standard", severity="urgent")

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        sla_services.policy_update(policy=policy, response_minutes=5, resolution_minutes=10)
        # Read (and cached) inside the transaction that is about to roll back.
        assert fresh(file(customer_a, sh(2026, 6, 1, 9), "urgent")).response_due_at == sh(
            2026, 6, 1, 9, 5
        )
        raise Undo
    assert fresh(file(customer_a, sh(2026, 6, 1, 9), "urgent")).response_due_at == sh(
        2026, 6, 1, 9, 30
    )
    sla_services.policy_update(
        policy=Policy.objects.get(pk=policy.pk), response_minutes=15, resolution_minutes=60
    )
    assert fresh(file(customer_a, sh(2026, 6, 1, 9), "urgent")).response_due_at == sh(
        2026, 6, 1, 9, 15
    )
