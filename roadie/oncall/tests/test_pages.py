"""Escalation: frozen ladders, steps with nobody on call, acknowledgement links, re-pages."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import signing

from roadie.notifications.models import OutboxMessage
from roadie.oncall import handoff, selectors, services
from roadie.oncall.errors import (
    AckLinkExpired,
    EmptyLadder,
    InvalidAckLink,
    InvalidWait,
    NoPolicy,
    PageClosed,
    PolicyLoop,
)
from roadie.oncall.escalation import page_advance, pages_advance_due
from roadie.oncall.links import ack_token
from roadie.oncall.models import EscalationPolicy, Page, PageEvent, ShiftNotice
from roadie.oncall.notices import shift_notices_send
from roadie.oncall.services import StepInput
from roadie.oncall.tests.factories import make_engineer, make_policy, make_rotation, make_schedule

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def rota():
    alice, bob = make_engineer("alice"), make_engineer("bob")
    schedule = make_schedule(name="Primary", time_zone="UTC")
    make_rotation(schedule, [alice, bob], kind="weekly", start=date(2026, 3, 2))
    boss = make_engineer("boss")
    return {"alice": alice, "bob": bob, "boss": boss, "schedule": schedule}


def kinds(page):
    return [e.kind for e in page.events.order_by("at", "id")]


def start(policy, **kw):
    return services.page_start(
        policy=policy,
        source=kw.pop("source", "ticket:RD-12"),
        title="推流中断 RD-12",
        url="https://roadie.example/console/tickets/RD-12/",
        urgent=True,
        at=T0,
        **kw,
    )


def test_steps_notify_the_oncall_then_the_next_rung_then_repeat(rota):
    policy = make_policy(
        StepInput(kind="schedule", schedule=rota["schedule"], wait_minutes=5),
        StepInput(kind="user", user=rota["boss"], wait_minutes=10),
        repeat_times=1,
    )
    page = start(policy)
    page_advance(page_id=page.pk, now=T0)
    page.refresh_from_db()
    assert page.next_step_at == T0 + timedelta(minutes=5)
    notified = page.events.get(kind=PageEvent.Kind.NOTIFIED)
    assert notified.actor == rota["alice"] and notified.channel == "email"
    assert notified.step == 1 and notified.run == 1
    # Not due yet: nothing happens.
    page_advance(page_id=page.pk, now=T0 + timedelta(minutes=4))
    assert page.events.filter(kind=PageEvent.Kind.NOTIFIED).count() == 1
    for minutes in (5, 15, 20, 30):
        page_advance(page_id=page.pk, now=T0 + timedelta(minutes=minutes))
    people = [e.actor for e in page.events.filter(kind=PageEvent.Kind.NOTIFIED).order_by("id")]
    assert people == [rota["alice"], rota["boss"], rota["alice"], rota["boss"]]
    assert kinds(page)[-1] == PageEvent.Kind.EXHAUSTED
    page.refresh_from_db()
    assert page.next_step_at is None
    assert OutboxMessage.objects.filter(recipient=rota["alice"].email).count() == 2


def test_first_step_runs_right_after_commit(rota, django_capture_on_commit_callbacks):
    policy = make_policy(StepInput(kind="schedule", schedule=rota["schedule"], wait_minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        page = services.page_start(
            policy=policy, source="ticket:RD-1", title="x", url="", urgent=True
        )
    assert PageEvent.Kind.NOTIFIED in kinds(page)
    message = OutboxMessage.objects.get(recipient__in=[rota["alice"].email, rota["bob"].email])
    assert "/console/oncall/ack/" in message.body


def test_ladder_is_frozen_when_the_page_starts(rota):
    policy = make_policy(
        StepInput(kind="user", user=rota["alice"], wait_minutes=5),
        StepInput(kind="user", user=rota["bob"], wait_minutes=5),
    )
    page = start(policy)
    services.policy_update(
        policy=policy,
        steps=[StepInput(kind="user", user=rota["boss"], wait_minutes=1)],
        repeat_times=3,
    )
    page_advance(page_id=page.pk, now=T0)
    page_advance(page_id=page.pk, now=T0 + timedelta(minutes=5))
    page_advance(page_id=page.pk, now=T0 + timedelta(minutes=10))
    people = [e.actor for e in page.events.filter(kind=PageEvent.Kind.NOTIFIED).order_by("id")]
    assert people == [rota["alice"], rota["bob"]]
    assert kinds(page)[-1] == PageEvent.Kind.EXHAUSTED
    # A page started after the change climbs the new ladder.
    later = start(policy, source="ticket:RD-13")
    page_advance(page_id=later.pk, now=T0)
    assert later.events.get(kind=PageEvent.Kind.NOTIFIED).actor == rota["boss"]


def test_a_step_with_nobody_on_call_says_so_and_moves_on(rota):
    empty = make_schedule(name="Nights", time_zone="UTC")
    policy = make_policy(
        StepInput(kind="schedule", schedule=empty, wait_minutes=3),
        StepInput(kind="user", user=rota["boss"], wait_minutes=3),
    )
    page = start(policy)
    page_advance(page_id=page.pk, now=T0)
    nobody = page.events.get(kind=PageEvent.Kind.NOBODY)
    assert nobody.step == 1 and nobody.data["reason"] == "nobody_on_call"
    assert nobody.data["name"] == "Nights"
    page_advance(page_id=page.pk, now=T0 + timedelta(minutes=3))
    assert page.events.get(kind=PageEvent.Kind.NOTIFIED).actor == rota["boss"]


def test_team_step_notifies_every_member(rota):
    team = services.team_create(name="Leads", members=[rota["alice"], rota["boss"]])
    policy = make_policy(StepInput(kind="team", team=team, wait_minutes=5))
    page = start(policy)
    page_advance(page_id=page.pk, now=T0)
    assert {e.actor for e in page.events.filter(kind=PageEvent.Kind.NOTIFIED)} == {
        rota["alice"],
        rota["boss"],
    }


def test_ack_by_signed_link_stops_the_ladder(rota):
    policy = make_policy(
        StepInput(kind="schedule", schedule=rota["schedule"], wait_minutes=5), repeat_times=2
    )
    page = start(policy)
    page_advance(page_id=page.pk, now=T0)
    body = OutboxMessage.objects.get(recipient=rota["alice"].email).body
    token = re.search(r"/console/oncall/ack/([^/\s]+)/", body).group(1)
    services.page_acknowledge_by_link(token=token, now=T0 + timedelta(minutes=1))
    page.refresh_from_db()
    assert page.status == Page.Status.ACKNOWLEDGED and page.acknowledged_by == rota["alice"]
    assert page.next_step_at is None
    ack = page.events.get(kind=PageEvent.Kind.ACKNOWLEDGED)
    assert ack.channel == "link" and ack.actor == rota["alice"]
    assert pages_advance_due(now=T0 + timedelta(hours=1)) == 0


def test_forged_link_changes_nothing(rota):
    policy = make_policy(StepInput(kind="user", user=rota["alice"], wait_minutes=5))
    page = start(policy)
    good = ack_token(page=page, user=rota["alice"])
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    other = signing.dumps({"p": page.pk, "u": rota["alice"].pk}, salt="something-else")
    for token in (forged, other, "garbage"):
        with pytest.raises(InvalidAckLink):
            services.page_acknowledge_by_link(token=token)
    page.refresh_from_db()
    assert page.status == Page.Status.TRIGGERED
    assert kinds(page) == [PageEvent.Kind.STARTED]


def test_expired_link_changes_nothing(rota, monkeypatch):
    policy = make_policy(StepInput(kind="user", user=rota["alice"], wait_minutes=5))
    page = start(policy)
    real = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() - 25 * 3600)
    token = ack_token(page=page, user=rota["alice"])
    monkeypatch.setattr(signing.time, "time", real)
    with pytest.raises(AckLinkExpired):
        services.page_acknowledge_by_link(token=token)
    page.refresh_from_db()
    assert page.status == Page.Status.TRIGGERED


def test_acknowledged_page_not_resolved_in_time_pages_again(rota):
    policy = make_policy(
        StepInput(kind="schedule", schedule=rota["schedule"], wait_minutes=5),
        StepInput(kind="user", user=rota["boss"], wait_minutes=5),
        ack_timeout_minutes=30,
    )
    page = start(policy)
    page_advance(page_id=page.pk, now=T0)
    services.page_acknowledge(page=page, by=rota["alice"], via="api", now=T0 + timedelta(minutes=2))
    page.refresh_from_db()
    assert page.next_step_at == T0 + timedelta(minutes=32)
    assert pages_advance_due(now=T0 + timedelta(minutes=31)) == 0
    assert pages_advance_due(now=T0 + timedelta(minutes=32)) == 1
    page.refresh_from_db()
    assert page.status == Page.Status.TRIGGERED and page.repage_count == 1
    assert kinds(page)[-2:] == [PageEvent.Kind.REPAGED, PageEvent.Kind.NOTIFIED]
    # The re-page is a new message, not swallowed by the first one's idempotency key.
    assert OutboxMessage.objects.filter(recipient=rota["alice"].email).count() == 2
    # Resolving stops it for good.
    services.page_resolve(page=page, by=rota["alice"], now=T0 + timedelta(minutes=33))
    assert pages_advance_due(now=T0 + timedelta(hours=5)) == 0
    with pytest.raises(PageClosed):
        services.page_acknowledge(page=page, by=rota["bob"])


def test_sweep_touches_only_due_pages(rota, django_assert_max_num_queries):
    policy = make_policy(StepInput(kind="user", user=rota["alice"], wait_minutes=60))
    due = start(policy, source="a")
    later = services.page_start(
        policy=policy, source="b", title="b", url="", urgent=True, at=T0 + timedelta(hours=1)
    )
    assert pages_advance_due(now=T0) == 1
    assert kinds(later) == [PageEvent.Kind.STARTED]
    assert PageEvent.Kind.NOTIFIED in kinds(due)


def test_same_source_is_not_paged_twice_while_open(rota):
    policy = make_policy(StepInput(kind="user", user=rota["alice"], wait_minutes=5))
    first = start(policy)
    assert start(policy).pk == first.pk
    services.page_resolve_by_source(source="ticket:RD-12")
    first.refresh_from_db()
    assert first.status == Page.Status.RESOLVED
    assert start(policy).pk != first.pk


def test_default_policy_is_used_when_none_is_given(rota):
    with pytest.raises(NoPolicy):
        services.page_start(policy=None, source="ticket:RD-2", title="x", url="", urgent=True)
    policy = make_policy(
        StepInput(kind="user", user=rota["alice"], wait_minutes=5), is_default=True
    )
    other = make_policy(StepInput(kind="user", user=rota["bob"], wait_minutes=5))
    assert selectors.default_policy() == policy
    services.policy_set_default(policy=other)
    assert selectors.default_policy() == other
    page = services.page_start(policy=None, source="ticket:RD-2", title="x", url="", urgent=True)
    assert page.ladder["policy"] == other.name


def test_policy_validation(rota):
    with pytest.raises(EmptyLadder):
        make_policy()
    with pytest.raises(InvalidWait):
        make_policy(StepInput(kind="user", user=rota["alice"], wait_minutes=0))
    with pytest.raises(InvalidWait):
        make_policy(StepInput(kind="user", user=rota["alice"], wait_minutes=-5))
    assert not EscalationPolicy.objects.exists()


def test_policy_that_runs_itself_is_refused(rota):
    a = make_policy(StepInput(kind="user", user=rota["alice"], wait_minutes=5), name="A")
    b = make_policy(StepInput(kind="policy", policy=a, wait_minutes=5), name="B")
    with pytest.raises(PolicyLoop) as caught:
        services.policy_update(policy=a, steps=[StepInput(kind="policy", policy=b, wait_minutes=5)])
    assert "A → B → A" in caught.value.message
    with pytest.raises(PolicyLoop):
        services.policy_update(policy=a, steps=[StepInput(kind="policy", policy=a, wait_minutes=5)])
    assert list(a.steps.values_list("kind", flat=True)) == ["user"]


def test_nested_policy_is_expanded_into_the_frozen_ladder(rota):
    inner = make_policy(
        StepInput(kind="user", user=rota["alice"], wait_minutes=2),
        StepInput(kind="user", user=rota["bob"], wait_minutes=2),
        name="Inner",
    )
    outer = make_policy(
        StepInput(kind="policy", policy=inner, wait_minutes=7),
        StepInput(kind="user", user=rota["boss"], wait_minutes=5),
        name="Outer",
    )
    ladder = services.policy_snapshot(policy=outer)
    assert [(s["name"], s["wait_minutes"]) for s in ladder["steps"]] == [
        (rota["alice"].email, 2),
        (rota["bob"].email, 7),
        (rota["boss"].email, 5),
    ]


def test_notice_before_a_shift_is_sent_once():
    alice, bob = make_engineer(), make_engineer()
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [alice, bob], kind="daily", handoff=time(9), start=date(2026, 3, 1))
    now = datetime(2026, 3, 2, 8, 40, tzinfo=UTC)  # bob starts at 09:00
    assert shift_notices_send(now=now) == 1
    assert shift_notices_send(now=now + timedelta(minutes=1)) == 0
    message = OutboxMessage.objects.get(recipient=bob.email)
    assert "2026-03-02 09:00" in message.body and "2026-03-03 09:00" in message.body
    assert ShiftNotice.objects.count() == 1


def test_handoff_summary_lists_open_pages_and_provider_sections():
    alice, bob = make_engineer(), make_engineer()
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [alice, bob], kind="daily", handoff=time(9), start=date(2026, 3, 1))
    policy = make_policy(StepInput(kind="user", user=alice, wait_minutes=5))
    services.page_start(
        policy=policy, source="ticket:RD-77", title="礼物特效卡死", url="", urgent=True, at=T0
    )

    def urgent_tickets(user, at):
        return handoff.SummarySection(title="Open urgent tickets", body=f"RD-77 for {user.email}")

    handoff.register_summary_provider(urgent_tickets)
    try:
        sent = shift_notices_send(now=datetime(2026, 3, 2, 9, 5, tzinfo=UTC))
    finally:
        handoff.unregister_summary_provider(urgent_tickets)
    assert sent == 1
    message = OutboxMessage.objects.get(recipient=bob.email)
    assert "礼物特效卡死" in message.body
    assert f"RD-77 for {bob.email}" in message.body
