"""Tickets page the person on call: urgent tickets, SLA warnings and breaches, hand-offs."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from roadie.core import clock
from roadie.core.tests import factories
from roadie.notifications.models import OutboxMessage
from roadie.oncall import handoff
from roadie.oncall import services as oncall
from roadie.oncall.escalation import page_advance
from roadie.oncall.models import Page, PageEvent
from roadie.oncall.notices import shift_notices_send
from roadie.oncall.services import StepInput
from roadie.oncall.tests.factories import make_engineer, make_policy, make_rotation, make_schedule
from roadie.tickets import paging, services
from roadie.tickets import sla as ticket_sla
from roadie.tickets.models import Status, Ticket, TicketEvent
from roadie.tickets.selectors import ticket_timeline

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def oncall_person():
    return make_engineer("duty")


@pytest.fixture
def policy(oncall_person):
    return make_policy(StepInput(kind="user", user=oncall_person, wait_minutes=5), is_default=True)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what the block queued for after commit, as production does when it commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def file(customer, severity: str = "urgent", **fields: object) -> Ticket:
    return services.ticket_create(
        by=customer, title="直播间黑屏", description="", severity=severity, **fields
    )


def pages_of(ticket: Ticket) -> list[Page]:
    return list(paging.ticket_pages(ticket))


def problems(ticket: Ticket) -> list[dict]:
    return [event.data for event in paging.ticket_page_problems(ticket)]


# -- urgent tickets ------------------------------------------------------------------------------


def test_urgent_ticket_pages_the_default_policy_after_commit(
    customer_a, policy, oncall_person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = file(customer_a)
        assert not Page.objects.exists()  # nothing is paged before the ticket is committed
    for callback in callbacks:
        callback()
    page = Page.objects.get()
    assert page.source == f"ticket:{ticket.number}"
    assert page.urgent and page.policy == policy
    assert page.title == f"{ticket.number} 直播间黑屏"
    assert page.url.endswith(f"/console/tickets/{ticket.number}/")


def test_first_step_notifies_the_person_on_call(customer_a, policy, oncall_person, commit):
    with commit():
        ticket = file(customer_a)
    page = Page.objects.get(source=f"ticket:{ticket.number}")
    notified = page.events.get(kind=PageEvent.Kind.NOTIFIED)
    assert notified.actor == oncall_person and notified.channel == "email"
    assert OutboxMessage.objects.filter(recipient=oncall_person.email).exists()


def test_a_ticket_monitoring_opened_is_left_to_the_incident_page(org_a, agent, policy, commit):
    # Monitoring files its tickets with source "system" and pages under the incident's source.
    with commit():
        ticket = services.ticket_create(
            by=agent, organization=org_a, title="heartbeat missing", description="",
            severity="urgent", source="system",
        )
    assert not Page.objects.filter(source=f"ticket:{ticket.number}").exists()


def test_important_ticket_pages_nobody(customer_a, policy, commit):
    with commit():
        file(customer_a, severity="important")
    assert not Page.objects.exists()


def test_raising_to_urgent_pages_once(customer_a, agent, policy, commit):
    with commit():
        ticket = file(customer_a, severity="important")
    with commit():
        services.ticket_change_severity(ticket=ticket, severity="urgent", by=agent)
    page = Page.objects.get()
    assert page.source == f"ticket:{ticket.number}" and page.urgent
    # A second start for the same source (a retry, a reopen race) returns the open page.
    with commit():
        paging.ticket_page_start(Ticket.objects.get(pk=ticket.pk))
    assert Page.objects.get() == page


def test_lowering_from_urgent_resolves_the_ticket_page(customer_a, agent, policy, commit):
    with commit():
        ticket = file(customer_a)
    services.ticket_change_severity(ticket=ticket, severity="important", by=agent)
    page = Page.objects.get()
    assert page.status == Page.Status.RESOLVED and page.resolved_by == agent


def test_lowered_before_commit_pages_nobody(customer_a, agent, policy, commit):
    with commit():
        ticket = file(customer_a)
        services.ticket_change_severity(ticket=ticket, severity="general", by=agent)
    assert not Page.objects.exists()


@pytest.mark.parametrize("finish", ["resolve", "close"])
def test_resolving_or_closing_the_ticket_resolves_its_pages(
    customer_a, agent, policy, commit, finish
):
    with commit():
        ticket = file(customer_a)
    sla_page = oncall.page_start(
        policy=None, source=paging.sla_source(ticket, "response", "breach"), title="x"
    )
    # Pages of other tickets whose numbers merely start the same way are left alone.
    others = [
        oncall.page_start(policy=None, source=f"ticket:{ticket.number}0", title="y"),
        oncall.page_start(policy=None, source=f"sla:{ticket.number}0:response:breach", title="z"),
    ]
    if finish == "resolve":
        services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, by=agent)
    else:
        services.ticket_close(ticket=ticket, by=customer_a)
    mine = pages_of(ticket)
    assert {p.source for p in mine} == {f"ticket:{ticket.number}", sla_page.source}
    assert all(p.status == Page.Status.RESOLVED for p in mine)
    assert all(p.events.filter(kind=PageEvent.Kind.RESOLVED).exists() for p in mine)
    assert all(Page.objects.get(pk=p.pk).status == Page.Status.TRIGGERED for p in others)


def test_acknowledging_stops_the_ladder(customer_a, agent, oncall_person, commit):
    boss = make_engineer("boss")
    make_policy(
        StepInput(kind="user", user=oncall_person, wait_minutes=5),
        StepInput(kind="user", user=boss, wait_minutes=5),
        is_default=True,
    )
    with commit():
        ticket = file(customer_a)
    page = Page.objects.get(source=f"ticket:{ticket.number}")
    oncall.page_acknowledge(page=page, by=oncall_person, via="console")
    page_advance(page_id=page.pk, now=clock.now() + timedelta(minutes=30))
    notified = page.events.filter(kind=PageEvent.Kind.NOTIFIED).values_list("actor", flat=True)
    assert list(notified) == [oncall_person.pk]  # the boss is never paged


def test_reopening_an_urgent_ticket_pages_again(customer_a, agent, policy, commit):
    with commit():
        ticket = file(customer_a)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, by=agent)
    with commit():
        services.ticket_change_status(ticket=ticket, status=Status.OPEN, by=agent)
    statuses = sorted(Page.objects.values_list("status", flat=True))
    assert statuses == [Page.Status.RESOLVED, Page.Status.TRIGGERED]


def test_without_a_default_policy_the_ticket_records_why_nobody_was_paged(customer_a, commit):
    with commit():
        ticket = file(customer_a)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Page.objects.exists()
    event = ticket.events.get(kind=TicketEvent.Kind.ESCALATED)
    assert not event.public
    assert event.data["reason"] == paging.NO_POLICY
    assert event.data["source"] == f"ticket:{ticket.number}"
    # Customers never see it.
    timeline = ticket_timeline(ticket=ticket, viewer=customer_a)
    assert all(entry.event is None or entry.event.public for entry in timeline)


# -- SLA warnings and breaches ---------------------------------------------------------------


def test_sla_warning_pages_quietly_and_breach_urgently_each_once(customer_a, policy, commit):
    ticket = file(customer_a, severity="important", at=sh(2026, 6, 1, 9))
    with commit():
        ticket_sla.sla_sweep(now=sh(2026, 6, 1, 10, 31))
    warning = Page.objects.get()
    assert warning.source == f"sla:{ticket.number}:response:warning"
    assert not warning.urgent
    assert ticket.number in warning.title and "直播间黑屏" in warning.title
    for _ in range(3):  # restarts and second workers claim nothing again
        with commit():
            ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
    breach = Page.objects.exclude(pk=warning.pk).get()
    assert breach.source == f"sla:{ticket.number}:response:breach"
    assert breach.urgent
    assert Page.objects.count() == 2


def test_sla_pages_resolve_with_the_ticket(customer_a, agent, policy, commit):
    ticket = file(customer_a, severity="important", at=sh(2026, 6, 1, 9))
    with commit():
        ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
    assert Page.objects.filter(status=Page.Status.TRIGGERED).count() == 2
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, by=agent)
    assert not Page.objects.exclude(status=Page.Status.RESOLVED).exists()


def test_a_sweep_batch_starts_its_pages_in_one_worker_task(
    customer_a, policy, commit, monkeypatch
):
    tickets = [file(customer_a, severity="important", at=sh(2026, 6, 1, 9)) for _ in range(3)]
    queued = []
    monkeypatch.setattr(paging, "start_pages", queued.append)
    with commit():
        ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
        assert not queued  # nothing before the sweep's transaction commits
    [requests] = queued
    assert sorted(requests) == sorted(
        (t.pk, "response", threshold) for t in tickets for threshold in ("warning", "breach")
    )
    assert not Page.objects.exists()  # the worker starts them, not the tick
    paging.start_pages_now(requests)
    assert Page.objects.filter(status=Page.Status.TRIGGERED).count() == 6


def test_a_broker_that_refuses_every_task_loses_no_page(customer_a, policy, commit, monkeypatch):
    from huey.contrib.djhuey import HUEY

    def broker_down(task):
        raise ConnectionError("redis: connection refused")

    # Every enqueue fails: the e-mail's delivery, the page start, the page's first step.
    monkeypatch.setattr(HUEY, "enqueue", broker_down)
    with commit():
        ticket = file(customer_a)
    [page] = pages_of(ticket)
    assert page.source == f"ticket:{ticket.number}" and page.status == Page.Status.TRIGGERED
    # What the worker would have done is left due for the minute sweeps.
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists()
    assert page.next_step_at is not None

    important = file(customer_a, severity="important", at=sh(2026, 6, 1, 9))
    with commit():
        ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
    assert sorted(p.source for p in pages_of(important)) == [
        f"sla:{important.number}:response:breach",
        f"sla:{important.number}:response:warning",
    ]


def test_page_jobs_jump_the_queue_ahead_of_routine_mail(customer_a, policy, commit, monkeypatch):
    from huey.contrib.djhuey import HUEY

    from roadie.notifications.tasks import URGENT_PRIORITY

    queued = []
    monkeypatch.setattr(HUEY, "enqueue", lambda task: queued.append(task))
    with commit():
        ticket = file(customer_a)
    priorities = {task.name.rsplit(".", 1)[-1]: task.priority for task in queued}
    assert priorities["start_pages"] == URGENT_PRIORITY
    assert not priorities["deliver_outbox_message"]  # the requester's "we got it" e-mail

    queued.clear()
    with commit():
        [page] = paging.start_pages_now([(ticket.pk, "", "")])
    assert [(t.name.rsplit(".", 1)[-1], t.priority) for t in queued] == [
        ("advance_page", URGENT_PRIORITY)
    ]
    queued.clear()
    with commit():
        page_advance(page_id=page.pk)
    deliveries = [t for t in queued if t.name.endswith("deliver_outbox_message")]
    assert deliveries and all(t.priority == URGENT_PRIORITY for t in deliveries)


def test_many_tickets_crossing_at_once_page_once_together(
    customer_a, agent, policy, commit, settings
):
    settings.LANGUAGE_CODE = "en"  # pages are written in the site's language
    tickets = [file(customer_a, severity="important", at=sh(2026, 6, 1, 9)) for _ in range(12)]
    services.ticket_comment(ticket=tickets[0], by=agent, body="在查", at=sh(2026, 6, 1, 9, 30))
    services.ticket_change_status(ticket=tickets[1], status=Status.RESOLVED, by=agent)
    with commit():
        ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
    [page] = Page.objects.all()  # not one page per ticket and threshold
    assert page.source.startswith("sla-batch:") and page.urgent  # breaches among them
    # The resolved ticket is left out; the answered one has no response thresholds.
    assert page.title.startswith("10 tickets reached SLA thresholds at once, 10 of them missed")
    assert tickets[2].number in page.title and tickets[1].number not in page.title
    assert page.url.endswith("/console/?sort=due")
    assert PageEvent.objects.filter(page=page, kind=PageEvent.Kind.NOTIFIED).exists()


def test_one_page_that_cannot_start_does_not_cost_the_others(customer_a, policy, monkeypatch):
    tickets = [file(customer_a, severity="important") for _ in range(3)]
    real_start = paging._start

    def start(ticket_id, *args, **kwargs):
        if ticket_id == tickets[1].pk:
            raise RuntimeError("boom")
        return real_start(ticket_id, *args, **kwargs)

    monkeypatch.setattr(paging, "_start", start)
    started = paging.start_pages_now([(t.pk, "response", "breach") for t in tickets])
    assert sorted(p.source for p in started) == sorted(
        f"sla:{t.number}:response:breach" for t in (tickets[0], tickets[2])
    )


def test_a_response_page_is_not_started_once_the_ticket_is_answered(customer_a, agent, policy):
    ticket = file(customer_a, severity="important")
    services.ticket_comment(ticket=ticket, by=agent, body="我们在查")
    assert paging.start_pages_now([(ticket.pk, "response", "warning")]) == []


def test_sla_breach_without_a_policy_is_recorded_not_raised(customer_a, commit):
    ticket = file(customer_a, severity="important", at=sh(2026, 6, 1, 9))
    with commit():
        ticket_sla.sla_sweep(now=sh(2026, 6, 1, 11, 1))
    assert not Page.objects.exists()
    assert sorted(p["source"] for p in problems(ticket)) == [
        f"sla:{ticket.number}:response:breach",
        f"sla:{ticket.number}:response:warning",
    ]
    assert {p["reason"] for p in problems(ticket)} == {paging.NO_POLICY}


def test_stale_defects_do_not_page(customer_a, policy):
    ticket = file(customer_a, severity="general")
    paging.sla_events_page([(ticket.pk, "resolution", "stale_14d")])
    assert not Page.objects.exists()


# -- hand-off summary ------------------------------------------------------------------------


def test_the_tickets_app_registers_its_hand_off_provider():
    assert paging.handoff_section in handoff._providers


def test_hand_off_section_lists_open_urgent_tickets_with_organization_and_age(
    customer_a, customer_b, agent
):
    at = clock.now()
    old = file(customer_a, at=at - timedelta(days=2, hours=3))
    recent = file(customer_b, at=at - timedelta(minutes=45))
    file(customer_a, severity="important")
    done = file(customer_a)
    services.ticket_change_status(ticket=done, status=Status.RESOLVED, by=agent)
    with translation.override("en"):
        section = paging.handoff_section(agent, at)
    assert section is not None
    assert section.title == "Open urgent tickets"
    lines = section.body.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"- {old.number} 直播间黑屏 · 甲公司 Alpha Live · open for 2 d 3 h")
    assert lines[1].startswith(
        f"- {recent.number} 直播间黑屏 · 乙公司 Beta Stream · open for 45 min"
    )
    assert lines[0].endswith(f"/console/tickets/{old.number}/")


def test_hand_off_section_is_empty_without_urgent_tickets(customer_a, agent):
    file(customer_a, severity="important")
    assert paging.handoff_section(agent, clock.now()) is None


def test_hand_off_section_counts_what_it_does_not_list(customer_a, agent):
    for _ in range(paging.HANDOFF_LIMIT + 3):
        factories.make_ticket(customer_a, severity="urgent")
    with translation.override("en"):
        section = paging.handoff_section(agent, clock.now())
    assert section is not None
    lines = section.body.splitlines()
    assert len(lines) == paging.HANDOFF_LIMIT + 1
    assert lines[-1] == "- and 3 more in the queue"


def test_hand_off_message_includes_the_open_urgent_tickets(customer_a):
    alice, bob = make_engineer(), make_engineer()
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [alice, bob], kind="daily", handoff=time(9), start=date(2026, 3, 1))
    ticket = file(customer_a, at=datetime(2026, 3, 2, 6, tzinfo=UTC))
    assert shift_notices_send(now=datetime(2026, 3, 2, 9, 5, tzinfo=UTC)) == 1
    message = OutboxMessage.objects.get(recipient=bob.email)
    assert ticket.number in message.body
    assert "甲公司 Alpha Live" in message.body
