"""The clock arithmetic on real dates (pure: no database)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from roadie.sla import clocks
from roadie.sla.clocks import Pause

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def spec(tz: str = "Asia/Shanghai", always_open: bool = False) -> dict[str, object]:
    return clocks.calendar_spec(
        tz=tz,
        always_open=always_open,
        start=time(9),
        end=time(18),
        lunch=None,
        weekdays=range(5),
        chinese=not always_open,
    )


def snapshot(tz: str = "Asia/Shanghai") -> dict[str, object]:
    """The default standard tier, as roadie.sla.selectors.sla_snapshot writes it."""

    def targets(response: int, resolution: int, calendar: str) -> dict[str, object]:
        return {
            "response_minutes": response,
            "resolution_minutes": resolution,
            "response_calendar": calendar,
            "resolution_calendar": calendar,
            "warning_percent": 75,
        }

    return {
        "version": 1,
        "calendars": {"24x7": spec(tz, always_open=True), "business-cn": spec(tz)},
        "severities": {
            "urgent": targets(30, 60, "24x7"),
            "important": targets(120, 24 * 60, "business-cn"),
            "general": targets(120, 45 * 60, "business-cn"),
        },
    }


STANDARD = snapshot()


def plan(severity: str, snap: dict[str, object] = STANDARD) -> clocks.ClockPlan:
    result = clocks.plan_for(snap, severity)
    assert result is not None
    return result


def evaluate(
    severity: str,
    created: datetime,
    pauses: list[Pause] = (),  # type: ignore[assignment]
    responded: datetime | None = None,
    *,
    is_open: bool = True,
    is_defect: bool = False,
    snap: dict[str, object] = STANDARD,
) -> clocks.Evaluation:
    return clocks.evaluate(
        plan=plan(severity, snap),
        created_at=created,
        pauses=list(pauses),
        responded_at=responded,
        is_open=is_open,
        is_defect=is_defect,
    )


# -- due times on the calendar --------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "created", "response_due", "resolution_due"),
    [
        # Oct 1-7 is the National Day holiday; Oct 8 (Thursday) is a working day again.
        ("important", sh(2026, 9, 30, 17), sh(2026, 10, 8, 10), sh(2026, 10, 10, 14)),
        # Saturday Oct 10 is an adjusted working day (调休).
        ("important", sh(2026, 10, 9, 17), sh(2026, 10, 10, 10), sh(2026, 10, 13, 14)),
        # Filed on a holiday night: counting starts at the next opening.
        ("important", sh(2026, 10, 3, 23), sh(2026, 10, 8, 11), sh(2026, 10, 10, 15)),
        # 45 business hours = five working days.
        ("general", sh(2026, 6, 1, 9), sh(2026, 6, 1, 11), sh(2026, 6, 5, 18)),
        # Urgent runs 7×24, holidays included.
        ("urgent", sh(2026, 10, 1, 3), sh(2026, 10, 1, 3, 30), sh(2026, 10, 1, 4)),
    ],
)
def test_due_times_on_the_chinese_calendar(severity, created, response_due, resolution_due):
    evaluation = evaluate(severity, created)
    assert evaluation.response.due_at == response_due
    assert evaluation.resolution.due_at == resolution_due
    assert evaluation.response.halted_at is None


def test_business_hours_follow_the_contract_time_zone():
    berlin = snapshot("Europe/Berlin")
    # 16:00 Berlin on a Friday: two business hours leave one hour for Monday 09:00-10:00 Berlin.
    created = datetime(2026, 6, 5, 16, tzinfo=BERLIN)
    evaluation = evaluate("important", created, snap=berlin)
    assert evaluation.response.due_at == datetime(2026, 6, 5, 18, tzinfo=BERLIN)
    evaluation = evaluate("important", datetime(2026, 6, 5, 17, tzinfo=BERLIN), snap=berlin)
    assert evaluation.response.due_at == datetime(2026, 6, 8, 10, tzinfo=BERLIN)


def test_overrides_apply_to_chinese_calendars():
    # 2027 has no holiday data yet; a correction makes Monday 2027-01-04 a holiday.
    created = sh(2027, 1, 1, 17)  # a Friday without data: an ordinary working day
    without = clocks.plan_for(STANDARD, "important")
    with_override = clocks.plan_for(STANDARD, "important", {date(2027, 1, 4): False})
    assert without is not None and with_override is not None
    due = clocks.run_clock(
        calendar=without.response_calendar, start=created, target=timedelta(hours=2), pauses=()
    ).due_at
    assert due == sh(2027, 1, 4, 10)
    due = clocks.run_clock(
        calendar=with_override.response_calendar,
        start=created,
        target=timedelta(hours=2),
        pauses=(),
    ).due_at
    assert due == sh(2027, 1, 5, 10)


# -- pauses ---------------------------------------------------------------------------------


def test_waiting_pauses_and_resuming_shifts_the_due_time():
    created = sh(2026, 6, 1, 9)  # Monday
    paused = [Pause(sh(2026, 6, 1, 10), None, clocks.WAITING)]
    evaluation = evaluate("important", created, paused)
    # One business hour used before the pause: the due shown while paused is one hour after it.
    assert evaluation.response.halted_at == sh(2026, 6, 1, 10)
    assert evaluation.response.due_at == sh(2026, 6, 1, 11)
    assert not evaluation.response.breached(sh(2026, 6, 3, 9))
    # Resumed two days later at 14:00: the remaining hour runs 14:00-15:00.
    resumed = [Pause(sh(2026, 6, 1, 10), sh(2026, 6, 3, 14), clocks.WAITING)]
    evaluation = evaluate("important", created, resumed)
    assert evaluation.response.halted_at is None
    assert evaluation.response.due_at == sh(2026, 6, 3, 15)
    # The resolution clock (24 business hours) resumes too: 1h used, 23h from Wednesday 14:00.
    assert evaluation.resolution.due_at == sh(2026, 6, 8, 10)


def test_pause_after_the_due_time_does_not_undo_a_breach():
    created = sh(2026, 6, 1, 9)
    pauses = [Pause(sh(2026, 6, 1, 12), sh(2026, 6, 2, 9), clocks.WAITING)]
    evaluation = evaluate("important", created, pauses)
    assert evaluation.response.due_at == sh(2026, 6, 1, 11)
    assert evaluation.response.breached(sh(2026, 6, 2, 10))


def test_reopen_resumes_the_resolution_clock_with_the_time_it_had_left():
    created = sh(2026, 6, 1, 9)
    # Resolved after 18 business hours (Tue 18:00), reopened the next Monday at 09:00.
    stopped = [Pause(sh(2026, 6, 2, 18), sh(2026, 6, 8, 9), clocks.STOPPED)]
    evaluation = evaluate("important", created, stopped, responded=sh(2026, 6, 1, 9, 30))
    # 6 business hours were left: Monday 09:00 + 6h = 15:00.
    assert evaluation.resolution.due_at == sh(2026, 6, 8, 15)
    used = clocks.business_used(
        calendar=plan("important").resolution_calendar,
        start=created,
        until=sh(2026, 6, 8, 12),
        pauses=stopped,
    )
    assert used == timedelta(hours=21)


def test_severity_change_recomputes_from_creation_and_skips_the_same_pauses():
    created = sh(2026, 6, 1, 9)
    pauses = [Pause(sh(2026, 6, 1, 9, 10), sh(2026, 6, 1, 9, 40), clocks.WAITING)]
    # As important: 2 business hours + the 30-minute pause.
    assert evaluate("important", created, pauses).response.due_at == sh(2026, 6, 1, 11, 30)
    # Raised to urgent: 30 minutes on 7×24 from creation, plus the same 30-minute pause.
    assert evaluate("urgent", created, pauses).response.due_at == sh(2026, 6, 1, 10)
    # A pause that spans a night counts as business time on one calendar, wall time on the other.
    night = [Pause(sh(2026, 6, 1, 9, 10), sh(2026, 6, 2, 9, 10), clocks.WAITING)]
    assert evaluate("urgent", created, night).response.due_at == sh(2026, 6, 2, 9, 30)
    assert evaluate("important", created, night).response.due_at == sh(2026, 6, 2, 11)


# -- thresholds -----------------------------------------------------------------------------


def test_thresholds_of_a_running_ticket():
    created = sh(2026, 6, 1, 9)
    evaluation = evaluate("important", created)
    keys = {(t.clock, t.name): t.at for t in evaluation.thresholds}
    assert keys == {
        ("response", "warning"): sh(2026, 6, 1, 10, 30),  # 75 % of 120 minutes
        ("response", "breach"): sh(2026, 6, 1, 11),
        # 18 business hours: used up at Tuesday's closing time, not Wednesday's opening.
        ("resolution", "warning"): sh(2026, 6, 2, 18),
        ("resolution", "breach"): sh(2026, 6, 3, 15),
    }
    assert evaluation.next_check(set()) == sh(2026, 6, 1, 10, 30)
    assert evaluation.next_check({("response", "warning")}) == sh(2026, 6, 1, 11)
    crossed = evaluation.crossed(sh(2026, 6, 1, 11), {("response", "warning")})
    assert [(t.clock, t.name) for t in crossed] == [("response", "breach")]


def test_response_in_time_removes_the_response_thresholds_it_beat():
    created = sh(2026, 6, 1, 9)
    evaluation = evaluate("important", created, responded=sh(2026, 6, 1, 10))
    names = {(t.clock, t.name) for t in evaluation.thresholds}
    assert ("response", "warning") not in names and ("response", "breach") not in names
    assert not evaluation.response.breached(sh(2026, 6, 9))
    assert evaluation.response.due_at == sh(2026, 6, 1, 11)


def test_late_response_still_records_the_breach():
    created = sh(2026, 6, 1, 9)
    evaluation = evaluate("important", created, responded=sh(2026, 6, 1, 11, 5))
    names = {(t.clock, t.name) for t in evaluation.thresholds}
    assert {("response", "warning"), ("response", "breach")} <= names
    assert evaluation.response.breached(sh(2026, 6, 1, 11, 5))


def test_open_defect_goes_stale_after_14_calendar_days():
    created = sh(2026, 6, 1, 9)
    evaluation = evaluate("general", created, is_defect=True)
    stale = [t for t in evaluation.thresholds if t.name == clocks.STALE]
    assert [t.at for t in stale] == [sh(2026, 6, 15, 9)]
    assert not any(
        t.name == clocks.STALE
        for t in evaluate("general", created, is_defect=True, is_open=False).thresholds
    )


# -- states ---------------------------------------------------------------------------------


def status(**overrides: object) -> clocks.SlaStatus:
    values: dict[str, object] = {
        "response_due_at": sh(2026, 6, 1, 11),
        "resolution_due_at": sh(2026, 6, 3, 15),
        "responded_at": None,
        "resolved_at": None,
        "halted_at": None,
        "waiting": False,
        "finished": False,
        "paused_seconds": 0,
        "paused_since": None,
        "now": sh(2026, 6, 1, 10),
    }
    values.update(overrides)
    return clocks.sla_status(**values)  # type: ignore[arg-type]


def test_states():
    assert status().state == "running"
    late = status(now=sh(2026, 6, 1, 11))
    assert late.state == "breached" and late.response_breached and not late.resolution_breached
    waiting = status(
        waiting=True, halted_at=sh(2026, 6, 1, 9, 30), paused_since=sh(2026, 6, 1, 9, 30)
    )
    assert waiting.state == "paused" and waiting.paused_seconds == 1800
    met = status(
        finished=True,
        responded_at=sh(2026, 6, 1, 10),
        resolved_at=sh(2026, 6, 2, 10),
        halted_at=sh(2026, 6, 2, 10),
        now=sh(2026, 7, 1),
    )
    assert met.state == "met" and not met.response_breached
    missed = status(
        finished=True,
        responded_at=sh(2026, 6, 1, 10),
        resolved_at=sh(2026, 6, 4),
        halted_at=sh(2026, 6, 4),
        now=sh(2026, 7, 1),
    )
    assert missed.state == "breached" and missed.resolution_breached


def test_pause_bookkeeping():
    pauses = clocks.open_pause([], at=sh(2026, 6, 1, 10), why=clocks.WAITING)
    assert clocks.open_pause(pauses, at=sh(2026, 6, 1, 11), why=clocks.WAITING) == pauses
    closed = clocks.close_pause(pauses, at=sh(2026, 6, 1, 12))
    assert closed == [Pause(sh(2026, 6, 1, 10), sh(2026, 6, 1, 12), clocks.WAITING)]
    assert clocks.pauses_from_json(clocks.pauses_to_json(closed)) == closed
    assert clocks.close_pause(closed, at=sh(2026, 6, 1, 13)) == closed
