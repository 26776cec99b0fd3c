"""Who is on call, as pure functions over an in-memory schedule spec (no database, no clock).

Resolution at an instant, highest precedence first:

1. Leave: a person on leave is never on call, whatever else says so.
2. Overrides: if any override covers the instant, its people (not on leave) are on call and
   nobody else.
3. Layers, highest number first: the first layer that has someone (not on leave) wins.  A
   layer's people are those of its rotations and of its shifts (imported from iCalendar).
   A rotation whose member is on leave falls through to the next member in rotation order who
   is not; when every member is on leave the rotation has nobody and lower layers show through.

Rotations hand off at a wall-clock time in the schedule's zone, so a 09:00 hand-off stays at
09:00 across daylight-saving changes (the shift that spans the change is an hour shorter or
longer).  A hand-off time that does not exist on a spring-forward day happens at the same
offset as before the change (02:30 in Berlin becomes 03:30 CEST); an ambiguous one happens at
its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAILY = "daily"
WEEKLY = "weekly"


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class RotationSpec:
    kind: str  # DAILY or WEEKLY
    handoff: time
    start_date: date
    members: tuple[int, ...]
    interval: int = 1  # shift length in days (daily) or weeks (weekly)
    layer: int = 1

    @property
    def shift_days(self) -> int:
        return self.interval * (7 if self.kind == WEEKLY else 1)


@dataclass(frozen=True)
class Span:
    """A person on call (a shift or an override) or away (leave) over [start, end)."""

    user: int
    start: datetime
    end: datetime
    layer: int = 1

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class ScheduleSpec:
    time_zone: str
    rotations: tuple[RotationSpec, ...] = ()
    shifts: tuple[Span, ...] = ()
    overrides: tuple[Span, ...] = ()
    leaves: tuple[Span, ...] = ()
    layers: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        found = {r.layer for r in self.rotations} | {s.layer for s in self.shifts}
        object.__setattr__(self, "layers", tuple(sorted(found, reverse=True)))


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    users: tuple[int, ...]


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def handoff_at(rotation: RotationSpec, day: date, tz: ZoneInfo) -> datetime:
    """The hand-off instant on a local date, in UTC.

    Everything is compared in UTC: Python compares two datetimes of the same zone by wall time,
    which is wrong inside the hour a DST change repeats.
    """
    return datetime.combine(day, rotation.handoff, tzinfo=tz).astimezone(UTC)


def _shift_day(rotation: RotationSpec, at: datetime, tz: ZoneInfo) -> date:
    """The local date whose hand-off started the day-long slot containing `at`."""
    day = at.astimezone(tz).date()
    # Compare instants, not wall times: around DST changes the wall clock lies.
    if at < handoff_at(rotation, day, tz):
        day -= timedelta(days=1)
    elif at >= handoff_at(rotation, day + timedelta(days=1), tz):
        day += timedelta(days=1)
    return day


def _on_leave(user: int, at: datetime, leaves: Sequence[Span]) -> bool:
    return any(leave.user == user and leave.covers(at) for leave in leaves)


def rotation_at(
    rotation: RotationSpec, at: datetime, tz: ZoneInfo, leaves: Sequence[Span] = ()
) -> int | None:
    """The rotation's member on call at `at`, skipping members on leave; None before it starts."""
    if not rotation.members:
        return None
    elapsed = (_shift_day(rotation, at, tz) - rotation.start_date).days
    if elapsed < 0:
        return None
    slot = elapsed // rotation.shift_days
    count = len(rotation.members)
    for step in range(count):
        user = rotation.members[(slot + step) % count]
        if not _on_leave(user, at, leaves):
            return user
    return None


def _unique(users: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(users))


def oncall_at(schedule_spec: ScheduleSpec, at: datetime) -> list[int]:
    """User ids on call at `at` (aware), in a stable order; [] means a gap in coverage."""
    _aware(at, "at")
    at = at.astimezone(UTC)
    spec = schedule_spec
    leaves = [leave for leave in spec.leaves if leave.covers(at)]
    overriding = _unique(
        o.user for o in spec.overrides if o.covers(at) and not _on_leave(o.user, at, leaves)
    )
    if overriding:
        return overriding
    tz = zone(spec.time_zone)
    for layer in spec.layers:
        people: list[int] = []
        for rotation in spec.rotations:
            if rotation.layer == layer:
                user = rotation_at(rotation, at, tz, leaves)
                if user is not None:
                    people.append(user)
        for shift in spec.shifts:
            if shift.layer == layer and shift.covers(at) and not _on_leave(shift.user, at, leaves):
                people.append(shift.user)
        if people:
            return _unique(people)
    return []


def _boundaries(spec: ScheduleSpec, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in (start, end) where the answer of oncall_at may change."""
    tz = zone(spec.time_zone)
    points: set[datetime] = set()
    if spec.rotations:
        first = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date() + timedelta(days=1)
        handoffs = {r.handoff for r in spec.rotations}
        day = first
        while day <= last:
            for handoff in handoffs:
                points.add(datetime.combine(day, handoff, tzinfo=tz).astimezone(UTC))
            day += timedelta(days=1)
    for span in (*spec.shifts, *spec.overrides, *spec.leaves):
        points.add(span.start.astimezone(UTC))
        points.add(span.end.astimezone(UTC))
    return sorted(p for p in points if start < p < end)


def timeline(schedule_spec: ScheduleSpec, start: datetime, end: datetime) -> list[Segment]:
    """[start, end) cut into maximal segments with the same people on call (empty = a gap)."""
    _aware(start, "start")
    _aware(end, "end")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    cuts = [start, *_boundaries(schedule_spec, start, end), end]
    segments: list[Segment] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        users = tuple(oncall_at(schedule_spec, left))
        if segments and segments[-1].users == users and segments[-1].end == left:
            segments[-1] = Segment(segments[-1].start, right, users)
        else:
            segments.append(Segment(left, right, users))
    return segments


def gaps(
    schedule_spec: ScheduleSpec, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Every interval of [start, end) where nobody is on call, merged."""
    return [(s.start, s.end) for s in timeline(schedule_spec, start, end) if not s.users]


def user_spans(segments: Sequence[Segment], user: int) -> list[tuple[datetime, datetime]]:
    """The merged intervals of a timeline during which `user` is on call."""
    spans: list[tuple[datetime, datetime]] = []
    for segment in segments:
        if user not in segment.users:
            continue
        if spans and spans[-1][1] == segment.start:
            spans[-1] = (spans[-1][0], segment.end)
        else:
            spans.append((segment.start, segment.end))
    return spans


def shift_starts(
    segments: Sequence[Segment],
) -> list[tuple[int, datetime, datetime]]:
    """(user, start, end) for each time someone comes on call after the first segment.

    The first segment is context: whoever is on call in it was already on call before.
    """
    starts: list[tuple[int, datetime, datetime]] = []
    for index in range(1, len(segments)):
        before = set(segments[index - 1].users)
        for user in segments[index].users:
            if user in before:
                continue
            end = segments[index].end
            for later in segments[index + 1 :]:
                if user not in later.users:
                    break
                end = later.end
            starts.append((user, segments[index].start, end))
    return starts
