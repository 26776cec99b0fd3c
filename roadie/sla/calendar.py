"""Business-time arithmetic for SLA clocks.

Pure Python (stdlib + ``chinese_calendar``); no Django imports.

All arithmetic is done on integer microseconds since the Unix epoch (UTC), so results
are exact at ``timedelta`` resolution.  Working windows are built per *local* date from
wall-clock times in the calendar's time zone and only then converted to UTC, which keeps
DST days right (a 09:00-18:00 window is always 9 real hours unless a transition falls
inside it, and a 00:00-24:00 window is 23 or 25 hours long on DST change days).

Conventions:

* A window ``(start, end)`` is half-open: ``start`` is working time, ``end`` is not.
* ``end == time(0)`` means midnight at the end of the day (24:00).
* ``add_business_time`` with a positive duration returns the instant at which the work is
  used up; if that coincides with a window end the window end is returned (e.g. 17:00 + 1h
  is 18:00 the same day, not 09:00 the next day).  A zero duration returns ``start``.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "CalendarError",
    "WorkingCalendar",
    "WorkingHours",
    "add_business_time",
    "business_time_between",
    "is_working_time",
    "next_working_instant",
]

Window = tuple[time, time]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MIDNIGHT = time(0)
_FULL_DAY: tuple[Window, ...] = ((_MIDNIGHT, _MIDNIGHT),)
# Consecutive days without any working time tolerated before giving up (~3 years).
_MAX_IDLE_DAYS = 3 * 366
# Per-calendar day cache is cleared when it grows past this (bounds memory only).
_DAY_CACHE_LIMIT = 50_000

# One cached day: (UTC windows as (start_us, end_us), total working microseconds).
_Day = tuple[tuple[tuple[int, int], ...], int]


class CalendarError(ValueError):
    """Invalid calendar configuration or impossible request; ``code`` is stable."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def _end_minutes(end: time) -> tuple[int, int, int, int]:
    """Sort key for a window end, treating ``time(0)`` as 24:00."""
    if end == _MIDNIGHT:
        return (24, 0, 0, 0)
    return (end.hour, end.minute, end.second, end.microsecond)


def _start_key(start: time) -> tuple[int, int, int, int]:
    return (start.hour, start.minute, start.second, start.microsecond)


def _validate_windows(weekday: int, windows: Iterable[Window]) -> tuple[Window, ...]:
    normalized: list[Window] = []
    for window in windows:
        try:
            start, end = window
        except (TypeError, ValueError):
            raise CalendarError(
                f"weekday {weekday}: a window must be a (start, end) pair, got {window!r}",
                code="invalid_window",
            ) from None
        if not isinstance(start, time) or not isinstance(end, time):
            raise CalendarError(
                f"weekday {weekday}: window bounds must be datetime.time, got {window!r}",
                code="invalid_window",
            )
        if start.tzinfo is not None or end.tzinfo is not None:
            raise CalendarError(
                f"weekday {weekday}: window times must be naive wall-clock times",
                code="invalid_window",
            )
        # Drop ``fold`` so equal-looking windows compare and hash equal.
        start, end = start.replace(fold=0), end.replace(fold=0)
        if _start_key(start) >= _end_minutes(end):
            raise CalendarError(
                f"weekday {weekday}: window start {start} must be before end {end}",
                code="invalid_window",
            )
        normalized.append((start, end))
    normalized.sort(key=lambda w: _start_key(w[0]))
    for (_, prev_end), (next_start, _) in zip(normalized, normalized[1:], strict=False):
        if _start_key(next_start) < _end_minutes(prev_end):
            raise CalendarError(
                f"weekday {weekday}: windows overlap at {next_start}",
                code="overlapping_hours",
            )
    return tuple(normalized)


@dataclass(frozen=True, kw_only=True)
class WorkingHours:
    """Weekly opening windows in local wall-clock time, keyed by weekday (0 = Monday).

    Windows are half-open ``(start, end)`` pairs; ``end == time(0)`` means 24:00.
    """

    weekday_windows: Mapping[int, tuple[Window, ...]] = field(compare=False)
    _key: tuple[tuple[int, tuple[Window, ...]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.weekday_windows, Mapping):
            raise CalendarError("weekday_windows must be a mapping", code="invalid_window")
        normalized: dict[int, tuple[Window, ...]] = {}
        for weekday, windows in self.weekday_windows.items():
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise CalendarError(
                    f"weekday must be an int 0..6 (0 = Monday), got {weekday!r}",
                    code="invalid_weekday",
                )
            checked = _validate_windows(weekday, windows)
            if checked:
                normalized[weekday] = checked
        if not normalized:
            raise CalendarError("working hours contain no working time", code="empty_hours")
        ordered = dict(sorted(normalized.items()))
        object.__setattr__(self, "weekday_windows", MappingProxyType(ordered))
        object.__setattr__(self, "_key", tuple(ordered.items()))

    @functools.cached_property
    def standard_windows(self) -> tuple[Window, ...]:
        """Windows used on an extra working day whose weekday has none (e.g. a 调休 Saturday).

        This is the most common windows tuple among the configured weekdays (ties go to the
        earliest weekday), i.e. the normal weekday schedule.
        """
        counts = Counter(self.weekday_windows.values())
        best = max(counts.values())
        return next(w for w in self.weekday_windows.values() if counts[w] == best)

    def windows_for(self, weekday: int) -> tuple[Window, ...]:
        """Windows configured for ``weekday`` (empty if it is normally a day off)."""
        return self.weekday_windows.get(weekday, ())


@functools.lru_cache(maxsize=32_768)
def _library_status(day: date) -> bool | None:
    """Deviation from the plain week according to chinese_calendar.

    True: adjusted working day (调休上班); False: statutory holiday/rest day;
    None: an ordinary day, or a date outside the library's data range.
    """
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if name is None:
        return None
    return not is_holiday


@functools.lru_cache(maxsize=512)
def _library_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _to_us(moment: datetime) -> int:
    if moment.utcoffset() is None:
        raise CalendarError(
            f"datetime must be timezone-aware, got {moment!r}", code="naive_datetime"
        )
    return (moment - _EPOCH) // _US


@dataclass(frozen=True, kw_only=True)
class WorkingCalendar:
    """When the SLA clock runs.

    * ``hours``: weekly windows; ``None`` means all day, every day.
    * ``use_chinese_calendar``: statutory holidays (including weekend days inside a
      holiday block) are off, adjusted working days (调休) are on with the standard windows.
      Years the library has no data for fall back to the plain weekly ``hours``; see
      :meth:`unknown_dates` / :meth:`coverage_gaps`.
    * ``overrides``: per-date ``True`` (working) / ``False`` (holiday); beats everything.
    """

    tz: ZoneInfo
    hours: WorkingHours | None
    use_chinese_calendar: bool = False
    overrides: Mapping[date, bool] = field(default_factory=dict, compare=False)
    _overrides_key: frozenset[tuple[date, bool]] = field(init=False, repr=False)
    _days: dict[int, _Day] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.tz, tzinfo):
            raise CalendarError(
                f"tz must be a tzinfo such as ZoneInfo, got {self.tz!r}", code="invalid_timezone"
            )
        if self.hours is not None and not isinstance(self.hours, WorkingHours):
            raise CalendarError("hours must be WorkingHours or None", code="invalid_hours")
        overrides: dict[date, bool] = {}
        for day, working in dict(self.overrides).items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise CalendarError(
                    f"override keys must be dates, got {day!r}", code="invalid_override"
                )
            if not isinstance(working, bool):
                raise CalendarError(
                    f"override for {day} must be True or False, got {working!r}",
                    code="invalid_override",
                )
            overrides[day] = working
        object.__setattr__(self, "overrides", MappingProxyType(overrides))
        object.__setattr__(self, "_overrides_key", frozenset(overrides.items()))

    # -- factories ------------------------------------------------------------------------

    @classmethod
    def twenty_four_seven(cls, tz: ZoneInfo | str) -> WorkingCalendar:
        """A calendar whose clock never stops."""
        return cls(tz=_zone(tz), hours=None)

    @classmethod
    def business(
        cls,
        tz: ZoneInfo | str,
        *,
        start: time = time(9),
        end: time = time(18),
        weekdays: Iterable[int] = range(5),
        lunch: tuple[time, time] | None = None,
        chinese: bool = True,
        overrides: Mapping[date, bool] | None = None,
    ) -> WorkingCalendar:
        """Same hours on each of ``weekdays``, optionally with a ``(from, to)`` lunch break."""
        if lunch is None:
            windows: tuple[Window, ...] = ((start, end),)
        else:
            lunch_start, lunch_end = lunch
            windows = ((start, lunch_start), (lunch_end, end))
        hours = WorkingHours(weekday_windows={weekday: windows for weekday in weekdays})
        return cls(
            tz=_zone(tz), hours=hours, use_chinese_calendar=chinese, overrides=overrides or {}
        )

    # -- day classification ---------------------------------------------------------------

    @property
    def is_always_open(self) -> bool:
        """True when working time is simply wall time (24×7, nothing ever closed)."""
        return self.hours is None and not self.use_chinese_calendar and all(self.overrides.values())

    def _local_windows(self, day: date) -> tuple[Window, ...]:
        override = self.overrides.get(day)
        weekday = day.weekday()
        if self.hours is None:
            regular: tuple[Window, ...] = _FULL_DAY
            standard = _FULL_DAY
        else:
            regular = self.hours.windows_for(weekday)
            standard = self.hours.standard_windows
        if override is None and self.use_chinese_calendar:
            override = _library_status(day)
        if override is None:
            return regular
        if override:
            return regular or standard
        return ()

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` has any working time (after overrides and holidays)."""
        return bool(self._local_windows(day))

    def unknown_dates(self, start: date, end: date) -> list[date]:
        """Dates in ``[start, end]`` decided by the plain-week fallback only.

        These are dates with no override in years chinese_calendar has no data for (always
        empty when ``use_chinese_calendar`` is off).  Holidays there are *not* known.
        """
        if not self.use_chinese_calendar:
            return []
        unknown: list[date] = []
        for ordinal in range(start.toordinal(), end.toordinal() + 1):
            day = date.fromordinal(ordinal)
            if day not in self.overrides and not _library_covers(day.year):
                unknown.append(day)
        return unknown

    def coverage_gaps(self, start: date, end: date) -> list[int]:
        """Years in ``[start, end]`` that contain :meth:`unknown_dates`."""
        return sorted({day.year for day in self.unknown_dates(start, end)})

    def windows_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """Working windows of local date ``day`` as aware datetimes in the calendar's tz."""
        windows, _ = self._day(day.toordinal())
        return [(self._from_us(s), self._from_us(e)) for s, e in windows]

    # -- cached per-day UTC windows -------------------------------------------------------

    def _wall_us(self, day: date, wall: time) -> int:
        # fold=0: ambiguous wall times take the first occurrence, nonexistent ones (DST gap)
        # are resolved with the pre-transition offset, i.e. shifted forward.
        return (datetime.combine(day, wall, tzinfo=self.tz) - _EPOCH) // _US

    def _day(self, ordinal: int) -> _Day:
        cached = self._days.get(ordinal)
        if cached is not None:
            return cached
        day = date.fromordinal(ordinal)
        utc_windows: list[tuple[int, int]] = []
        local = self._local_windows(day)
        if local:
            day_start = self._wall_us(day, _MIDNIGHT)
            day_end = self._wall_us(day + timedelta(days=1), _MIDNIGHT)
            # Clamping keeps windows ordered and disjoint even when a DST transition maps wall
            # times out of order, and inside [midnight, next midnight): an instant whose local
            # date is ``day`` can therefore only meet windows of ``day`` or later days.
            cursor = day_start
            for wall_start, wall_end in local:
                start_us = max(self._wall_us(day, wall_start), cursor)
                end_us = day_end if wall_end == _MIDNIGHT else self._wall_us(day, wall_end)
                end_us = min(end_us, day_end)
                if end_us > start_us:
                    utc_windows.append((start_us, end_us))
                    cursor = end_us
        entry: _Day = (tuple(utc_windows), sum(e - s for s, e in utc_windows))
        if len(self._days) >= _DAY_CACHE_LIMIT:
            self._days.clear()
        self._days[ordinal] = entry
        return entry

    def _local_ordinal(self, moment: datetime) -> int:
        return moment.astimezone(self.tz).toordinal()

    def _from_us(self, us: int) -> datetime:
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self.tz)

    # -- arithmetic on microseconds -------------------------------------------------------

    def _add_us(self, start_us: int, ordinal: int, remaining: int) -> int:
        cursor = start_us
        idle = 0
        days = self._days
        while True:
            entry = days.get(ordinal)
            if entry is None:
                entry = self._day(ordinal)
            windows, total = entry
            if total:
                idle = 0
                if remaining > total and windows[0][0] >= cursor:
                    remaining -= total
                    cursor = windows[-1][1]
                else:
                    for window_start, window_end in windows:
                        if window_end <= cursor:
                            continue
                        if window_start < cursor:
                            window_start = cursor
                        span = window_end - window_start
                        if remaining <= span:
                            return window_start + remaining
                        remaining -= span
                        cursor = window_end
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise CalendarError(
                        f"no working time within {_MAX_IDLE_DAYS} consecutive days",
                        code="no_working_time",
                    )
            ordinal += 1

    def _next_open_us(self, at_us: int, ordinal: int) -> int:
        idle = 0
        while True:
            windows, total = self._day(ordinal)
            if total:
                idle = 0
                for window_start, window_end in windows:
                    if window_end > at_us:
                        return max(window_start, at_us)
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise CalendarError(
                        f"no working time within {_MAX_IDLE_DAYS} consecutive days",
                        code="no_working_time",
                    )
            ordinal += 1

    def _between_us(self, start_us: int, end_us: int, first: int, last: int) -> int:
        elapsed = 0
        for ordinal in range(first, last + 1):
            windows, total = self._day(ordinal)
            if not total:
                continue
            if windows[0][0] >= start_us and windows[-1][1] <= end_us:
                elapsed += total
                continue
            for window_start, window_end in windows:
                low = window_start if window_start > start_us else start_us
                high = window_end if window_end < end_us else end_us
                if high > low:
                    elapsed += high - low
        return elapsed


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def add_business_time(
    *, calendar: WorkingCalendar, start: datetime, duration: timedelta
) -> datetime:
    """The instant when ``duration`` of working time has elapsed after ``start``.

    Counting begins at the next opening if ``start`` is closed time.  A zero duration
    returns ``start`` itself (in the calendar's tz), even outside working time; a positive
    one returns a working instant or exactly a window's closing edge.
    """
    start_us = _to_us(start)
    remaining = duration // _US
    if remaining < 0:
        raise CalendarError(
            f"duration must not be negative, got {duration}", code="negative_duration"
        )
    if remaining == 0 or calendar.is_always_open:
        return calendar._from_us(start_us + remaining)
    return calendar._from_us(calendar._add_us(start_us, calendar._local_ordinal(start), remaining))


def business_time_between(
    *, calendar: WorkingCalendar, start: datetime, end: datetime
) -> timedelta:
    """Working time elapsed between two instants (zero if ``end <= start``)."""
    start_us, end_us = _to_us(start), _to_us(end)
    if end_us <= start_us:
        return timedelta(0)
    if calendar.is_always_open:
        return timedelta(microseconds=end_us - start_us)
    elapsed = calendar._between_us(
        start_us, end_us, calendar._local_ordinal(start), calendar._local_ordinal(end)
    )
    return timedelta(microseconds=elapsed)


def is_working_time(*, calendar: WorkingCalendar, at: datetime) -> bool:
    """Whether the clock runs at ``at`` (window starts are working, window ends are not)."""
    at_us = _to_us(at)
    if calendar.is_always_open:
        return True
    windows, _ = calendar._day(calendar._local_ordinal(at))
    return any(window_start <= at_us < window_end for window_start, window_end in windows)


def next_working_instant(*, calendar: WorkingCalendar, at: datetime) -> datetime:
    """``at`` itself if it is working time, else the next opening (in the calendar's tz)."""
    at_us = _to_us(at)
    if calendar.is_always_open:
        return calendar._from_us(at_us)
    return calendar._from_us(calendar._next_open_us(at_us, calendar._local_ordinal(at)))
