"""SLA clock arithmetic: pure functions of a snapshot, the pauses and ``now`` (no Django).

A ticket has two clocks, *response* and *resolution*.  Each starts when the ticket is opened
and counts business time on its calendar towards a target; it stands still during *pauses*.
A pause is an interval with a reason: ``waiting`` (on the customer) or ``stopped`` (the ticket
is resolved or closed; a reopen ends the pause, so the clock resumes with the business time it
had left).  The response clock also stops for good at the first response.

Because a clock is fully determined by (calendar, start, target, pauses), every due time can be
recomputed at any moment: a severity change recomputes from the creation instant with the new
severity's target and calendar, and the pauses so far are skipped again on that calendar.
See docs/sla.md for the rules in prose.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from roadie.sla.calendar import (
    WorkingCalendar,
    add_business_time,
    business_time_between,
)

RESPONSE = "response"
RESOLUTION = "resolution"
CLOCKS = (RESPONSE, RESOLUTION)

WARNING = "warning"
BREACH = "breach"
STALE = "stale_14d"
THRESHOLDS = (WARNING, BREACH, STALE)

# A defect still open this long (calendar time) is escalated, whatever its clocks say.
STALE_AFTER = timedelta(days=14)

WAITING = "waiting"
STOPPED = "stopped"

SNAPSHOT_VERSION = 1

# API states of a ticket's clocks (docs/sla.md).
STATE_RUNNING = "running"
STATE_PAUSED = "paused"
STATE_MET = "met"
STATE_BREACHED = "breached"


# -- calendars ------------------------------------------------------------------------------


def _parse_time(value: str) -> time:
    return time.fromisoformat(value)


def _spec_key(spec: Mapping[str, Any]) -> tuple[Any, ...]:
    lunch = spec.get("lunch")
    return (
        spec["tz"],
        bool(spec.get("always_open")),
        spec.get("start", "09:00"),
        spec.get("end", "18:00"),
        tuple(lunch) if lunch else None,
        tuple(spec.get("weekdays", (0, 1, 2, 3, 4))),
        bool(spec.get("chinese")),
    )


@functools.lru_cache(maxsize=256)
def _calendar(key: tuple[Any, ...], overrides: frozenset[tuple[date, bool]]) -> WorkingCalendar:
    tz, always_open, start, end, lunch, weekdays, chinese = key
    if always_open:
        return WorkingCalendar.twenty_four_seven(tz)
    return WorkingCalendar.business(
        tz,
        start=_parse_time(start),
        end=_parse_time(end),
        weekdays=weekdays,
        lunch=(_parse_time(lunch[0]), _parse_time(lunch[1])) if lunch else None,
        chinese=chinese,
        overrides=dict(overrides) if chinese else None,
    )


def calendar_from_spec(
    spec: Mapping[str, Any], overrides: Mapping[date, bool] | None = None
) -> WorkingCalendar:
    """The WorkingCalendar of a snapshot calendar spec (cached: its day cache stays warm).

    ``overrides`` (per-date working/holiday corrections) apply to Chinese-calendar specs only.
    Raises CalendarError for an impossible spec.
    """
    key = _spec_key(spec)
    relevant = frozenset((overrides or {}).items()) if key[-1] else frozenset()
    return _calendar(key, relevant)


def calendar_spec(
    *,
    tz: str,
    always_open: bool,
    start: time,
    end: time,
    lunch: tuple[time, time] | None,
    weekdays: Iterable[int],
    chinese: bool,
) -> dict[str, Any]:
    """A JSON-serialisable description of a calendar, as stored in a ticket's snapshot."""
    return {
        "tz": tz,
        "always_open": always_open,
        "start": start.isoformat("minutes"),
        "end": end.isoformat("minutes"),
        "lunch": [lunch[0].isoformat("minutes"), lunch[1].isoformat("minutes")] if lunch else None,
        "weekdays": sorted(set(weekdays)),
        "chinese": chinese,
    }


# -- snapshot -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClockPlan:
    """Targets and calendars of one severity, ready for arithmetic."""

    response_target: timedelta
    resolution_target: timedelta
    warning_percent: int
    response_calendar: WorkingCalendar
    resolution_calendar: WorkingCalendar

    def calendar(self, clock: str) -> WorkingCalendar:
        return self.response_calendar if clock == RESPONSE else self.resolution_calendar

    def target(self, clock: str) -> timedelta:
        return self.response_target if clock == RESPONSE else self.resolution_target


def plan_for(
    snapshot: Mapping[str, Any], severity: str, overrides: Mapping[date, bool] | None = None
) -> ClockPlan | None:
    """The plan for ``severity`` from a ticket snapshot; None if the snapshot has none."""
    targets = (snapshot.get("severities") or {}).get(severity)
    if not targets:
        return None
    calendars = snapshot["calendars"]
    return ClockPlan(
        response_target=timedelta(minutes=targets["response_minutes"]),
        resolution_target=timedelta(minutes=targets["resolution_minutes"]),
        warning_percent=targets["warning_percent"],
        response_calendar=calendar_from_spec(calendars[targets["response_calendar"]], overrides),
        resolution_calendar=calendar_from_spec(
            calendars[targets["resolution_calendar"]], overrides
        ),
    )


# -- pauses ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None  # None: the clock is standing still now
    why: str = WAITING


def pauses_from_json(data: Iterable[Mapping[str, Any]]) -> list[Pause]:
    return [
        Pause(
            datetime.fromisoformat(item["from"]),
            datetime.fromisoformat(item["to"]) if item.get("to") else None,
            item.get("why", WAITING),
        )
        for item in data
    ]


def pauses_to_json(pauses: Iterable[Pause]) -> list[dict[str, Any]]:
    return [
        {
            "from": p.start.isoformat(),
            "to": p.end.isoformat() if p.end else None,
            "why": p.why,
        }
        for p in pauses
    ]


def open_pause(pauses: Sequence[Pause], *, at: datetime, why: str) -> list[Pause]:
    """Start a pause at ``at`` (no-op if the clocks already stand still)."""
    if pauses and pauses[-1].end is None:
        return list(pauses)
    return [*pauses, Pause(at, None, why)]


def close_pause(pauses: Sequence[Pause], *, at: datetime) -> list[Pause]:
    """End the current pause at ``at`` (no-op if the clocks are running)."""
    if not pauses or pauses[-1].end is not None:
        return list(pauses)
    last = pauses[-1]
    return [*pauses[:-1], Pause(last.start, max(at, last.start), last.why)]


def stopped_at(pauses: Sequence[Pause], stop: datetime) -> list[Pause]:
    """The pauses of a clock that stops for good at ``stop`` (the first response)."""
    clipped = []
    for pause in pauses:
        if pause.start >= stop:
            break
        end = pause.end if pause.end is not None and pause.end <= stop else stop
        clipped.append(Pause(pause.start, end, pause.why))
    return [*clipped, Pause(stop, None, STOPPED)]


# -- one clock ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockReading:
    """Where a clock stands.

    ``due_at`` is when the target runs out.  For a halted clock (paused or stopped) whose target
    had not run out, it is the due time as if the clock resumed at ``halted_at`` — the figure to
    show while a ticket waits on the customer.
    """

    due_at: datetime
    halted_at: datetime | None

    def breached(self, now: datetime) -> bool:
        if self.halted_at is not None:
            return self.halted_at > self.due_at
        return now >= self.due_at

    def reaches(self, instant: datetime) -> bool:
        """Whether the clock is (or was) running when it gets to ``instant``."""
        return self.halted_at is None or instant < self.halted_at


def run_clock(
    *, calendar: WorkingCalendar, start: datetime, target: timedelta, pauses: Sequence[Pause]
) -> ClockReading:
    """Run a clock from ``start`` for ``target`` business time, standing still in ``pauses``.

    ``pauses`` are ordered and disjoint; only the last may be open.
    """
    cursor = start
    remaining = target
    due: datetime | None = None
    halted: datetime | None = None
    for pause in pauses:
        if pause.end is not None and pause.end <= cursor:
            continue
        if pause.start > cursor and due is None:
            segment = business_time_between(calendar=calendar, start=cursor, end=pause.start)
            if segment >= remaining:
                due = add_business_time(calendar=calendar, start=cursor, duration=remaining)
            else:
                remaining -= segment
        if pause.end is None:
            halted = max(pause.start, cursor)
            break
        if due is None:
            cursor = max(cursor, pause.end)
    if due is None:
        due = add_business_time(
            calendar=calendar, start=halted if halted is not None else cursor, duration=remaining
        )
    return ClockReading(due_at=due, halted_at=halted)


def business_used(
    *, calendar: WorkingCalendar, start: datetime, until: datetime, pauses: Sequence[Pause]
) -> timedelta:
    """Business time the clock counted between ``start`` and ``until``."""
    used = business_time_between(calendar=calendar, start=start, end=until)
    for pause in pauses:
        low = max(pause.start, start)
        high = min(pause.end or until, until)
        if high > low:
            used -= business_time_between(calendar=calendar, start=low, end=high)
    return max(used, timedelta(0))


# -- a ticket's clocks ----------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    clock: str
    name: str
    at: datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.clock, self.name)


@dataclass(frozen=True)
class Evaluation:
    response: ClockReading
    resolution: ClockReading
    # Thresholds the clocks reach (or reached) while running; the sweep records each once.
    thresholds: tuple[Threshold, ...]

    def next_check(self, recorded: Collection[tuple[str, str]]) -> datetime | None:
        """The earliest threshold not recorded yet (possibly in the past), else None."""
        pending = [t.at for t in self.thresholds if t.key not in recorded]
        return min(pending) if pending else None

    def crossed(self, now: datetime, recorded: Collection[tuple[str, str]]) -> list[Threshold]:
        return sorted(
            (t for t in self.thresholds if t.at <= now and t.key not in recorded),
            key=lambda t: t.at,
        )


def clock_pauses(pauses: Sequence[Pause], responded_at: datetime | None) -> dict[str, list[Pause]]:
    return {
        RESPONSE: stopped_at(pauses, responded_at) if responded_at else list(pauses),
        RESOLUTION: list(pauses),
    }


def evaluate(
    *,
    plan: ClockPlan,
    created_at: datetime,
    pauses: Sequence[Pause],
    responded_at: datetime | None,
    is_open: bool,
    is_defect: bool,
) -> Evaluation:
    """Both clocks of a ticket and the thresholds they reach."""
    readings: dict[str, ClockReading] = {}
    thresholds: list[Threshold] = []
    for clock, clock_pause in clock_pauses(pauses, responded_at).items():
        calendar, target = plan.calendar(clock), plan.target(clock)
        reading = run_clock(calendar=calendar, start=created_at, target=target, pauses=clock_pause)
        readings[clock] = reading
        warn = run_clock(
            calendar=calendar,
            start=created_at,
            target=target * plan.warning_percent / 100,
            pauses=clock_pause,
        )
        if warn.reaches(warn.due_at):
            thresholds.append(Threshold(clock, WARNING, warn.due_at))
        if reading.reaches(reading.due_at):
            thresholds.append(Threshold(clock, BREACH, reading.due_at))
    if is_defect and is_open:
        thresholds.append(Threshold(RESOLUTION, STALE, created_at + STALE_AFTER))
    return Evaluation(readings[RESPONSE], readings[RESOLUTION], tuple(thresholds))


# -- what the API shows ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SlaStatus:
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None
    response_breached: bool
    resolution_breached: bool
    paused_seconds: int
    state: str


def sla_status(
    *,
    response_due_at: datetime | None,
    resolution_due_at: datetime | None,
    responded_at: datetime | None,
    resolved_at: datetime | None,
    halted_at: datetime | None,
    waiting: bool,
    finished: bool,
    paused_seconds: int,
    paused_since: datetime | None,
    now: datetime,
) -> SlaStatus:
    """The clocks as the API reports them, from stored facts only (no calendar arithmetic).

    ``halted_at``: since when the ticket's clocks stand still (waiting, resolved or closed).
    State: ``breached`` if either clock ran out before it stopped; else ``met`` once the
    ticket is resolved or closed; else ``paused`` while waiting on the customer; else
    ``running``.
    """

    def breached(due: datetime | None, halt: datetime | None) -> bool:
        if due is None:
            return False
        return halt > due if halt is not None else now >= due

    response_breached = breached(response_due_at, responded_at or halted_at)
    resolution_breached = breached(resolution_due_at, halted_at)
    if response_breached or resolution_breached:
        state = STATE_BREACHED
    elif finished:
        state = STATE_MET
    elif waiting:
        state = STATE_PAUSED
    else:
        state = STATE_RUNNING
    live_pause = int((now - paused_since).total_seconds()) if paused_since else 0
    return SlaStatus(
        response_due_at=response_due_at,
        resolution_due_at=resolution_due_at,
        responded_at=responded_at,
        resolved_at=resolved_at,
        response_breached=response_breached,
        resolution_breached=resolution_breached,
        paused_seconds=paused_seconds + max(live_pause, 0),
        state=state,
    )
