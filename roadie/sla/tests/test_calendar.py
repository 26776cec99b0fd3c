"""Tests for roadie.sla.calendar (pure Python; no database needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roadie.sla.calendar import (
    CalendarError,
    WorkingCalendar,
    WorkingHours,
    add_business_time,
    business_time_between,
    is_working_time,
    next_working_instant,
)

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")  # changes DST at local midnight

STANDARD = WorkingCalendar.business(SH)
LUNCH = WorkingCalendar.business(SH, lunch=(time(12), time(13)))


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def due(calendar: WorkingCalendar, start: datetime, **duration: float) -> datetime:
    return add_business_time(calendar=calendar, start=start, duration=timedelta(**duration))


def between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    return business_time_between(calendar=calendar, start=start, end=end)


def days(first: date, last: date) -> list[date]:
    return [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]


# -- chinese_calendar data the tables below rely on ---------------------------------------


def test_library_national_day_2026() -> None:
    off = [
        d for d in days(date(2026, 9, 28), date(2026, 10, 12)) if not chinese_calendar.is_workday(d)
    ]
    assert off == [*days(date(2026, 10, 1), date(2026, 10, 7)), date(2026, 10, 11)]
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # Saturday, 调休
    assert chinese_calendar.is_workday(date(2026, 9, 20))  # Sunday, 调休


def test_library_spring_festival_2026() -> None:
    off = [
        d for d in days(date(2026, 2, 13), date(2026, 2, 28)) if not chinese_calendar.is_workday(d)
    ]
    assert off == days(date(2026, 2, 15), date(2026, 2, 23))
    assert chinese_calendar.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert chinese_calendar.is_workday(date(2026, 2, 28))  # Saturday, 调休


def test_library_has_no_2027_data() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


# -- table tests: Asia/Shanghai, 09:00-18:00 Mon-Fri + Chinese calendar --------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # National Day 2026: Oct 1-7 off, Thu Oct 8 back.
        (sh(2026, 9, 30, 17), 2, sh(2026, 10, 8, 10)),
        (sh(2026, 9, 30, 17), 1, sh(2026, 9, 30, 18)),  # closing edge, not next opening
        (sh(2026, 10, 3, 11), 1, sh(2026, 10, 8, 10)),  # filed during the holiday
        # Saturday Oct 10 is an adjusted working day, Sunday Oct 11 is not.
        (sh(2026, 10, 9, 17), 2, sh(2026, 10, 10, 10)),
        (sh(2026, 10, 10, 17), 2, sh(2026, 10, 12, 10)),
        # Spring Festival 2026: Feb 15-23 off; Sat Feb 14 and Sat Feb 28 are working.
        (sh(2026, 2, 13, 17), 2, sh(2026, 2, 14, 10)),
        (sh(2026, 2, 14, 17), 2, sh(2026, 2, 24, 10)),
        (sh(2026, 2, 27, 17), 2, sh(2026, 2, 28, 10)),
        (sh(2026, 2, 28, 17), 2, sh(2026, 3, 2, 10)),
        # Sunday Jan 4 2026 is an adjusted working day after New Year (Jan 1-3 off).
        (sh(2025, 12, 31, 17), 2, sh(2026, 1, 4, 10)),
        # Multi-day durations skip weekends.
        (sh(2026, 3, 9, 9), 45, sh(2026, 3, 13, 18)),
        (sh(2026, 3, 9, 9, 30), 45, sh(2026, 3, 16, 9, 30)),
        # Midnight edges.
        (sh(2026, 3, 10, 23, 59), 1, sh(2026, 3, 11, 10)),
        (sh(2026, 3, 11, 0, 0), 1, sh(2026, 3, 11, 10)),
        (sh(2026, 3, 13, 23, 59), 1, sh(2026, 3, 16, 10)),  # Friday night
        (sh(2026, 3, 14, 0, 0), 0.5, sh(2026, 3, 16, 9, 30)),  # Saturday midnight
        (sh(2026, 3, 10, 18, 0), 9, sh(2026, 3, 11, 18)),  # exactly at closing
        (sh(2026, 3, 10, 9, 0), 9, sh(2026, 3, 10, 18)),  # exactly at opening
    ],
)
def test_standard_calendar_due_times(start: datetime, hours: float, expected: datetime) -> None:
    result = due(STANDARD, start, hours=hours)
    assert result == expected
    assert result.tzinfo == SH
    assert result.utcoffset() == timedelta(hours=8)
    assert between(STANDARD, start, result) == timedelta(hours=hours)


def test_time_zone_edge_utc_start_is_next_local_day() -> None:
    # Fri 2026-10-09 16:30 UTC is Sat 2026-10-10 00:30 in Shanghai, an adjusted working day.
    start = datetime(2026, 10, 9, 16, 30, tzinfo=UTC)
    result = due(STANDARD, start, hours=1)
    assert result == sh(2026, 10, 10, 10)
    assert result.tzinfo == SH
    # Tue 2026-03-10 20:00 UTC is Wed 04:00 in Shanghai.
    assert due(STANDARD, datetime(2026, 3, 10, 20, tzinfo=UTC), hours=1) == sh(2026, 3, 11, 10)
    # 01:30 UTC is 09:30 Shanghai: already working.
    assert is_working_time(calendar=STANDARD, at=datetime(2026, 3, 10, 1, 30, tzinfo=UTC))
    # Other aware zones work too.
    assert due(STANDARD, datetime(2026, 3, 10, 3, tzinfo=BERLIN), hours=1) == sh(2026, 3, 10, 11)


def test_zero_duration_returns_start_unchanged() -> None:
    closed = sh(2026, 10, 3, 11)
    assert due(STANDARD, closed) == closed
    utc_start = datetime(2026, 3, 10, 2, tzinfo=UTC)
    result = due(STANDARD, utc_start)
    assert result == utc_start
    assert result.tzinfo == SH


def test_twenty_four_seven() -> None:
    calendar = WorkingCalendar.twenty_four_seven(SH)
    start = sh(2026, 9, 30, 17)
    assert due(calendar, start, hours=2) == sh(2026, 9, 30, 19)
    assert due(calendar, start, days=3) == sh(2026, 10, 3, 17)
    assert between(calendar, start, sh(2026, 10, 8, 17)) == timedelta(days=8)
    assert is_working_time(calendar=calendar, at=sh(2026, 10, 1, 3))
    result = due(calendar, datetime(2026, 3, 10, 20, tzinfo=UTC), hours=1)
    assert result == sh(2026, 3, 11, 5)
    assert result.tzinfo == SH


def test_twenty_four_seven_dst_is_real_elapsed_time() -> None:
    calendar = WorkingCalendar.twenty_four_seven(BERLIN)
    start = datetime(2026, 3, 29, 0, tzinfo=BERLIN)
    assert due(calendar, start, hours=24) == datetime(2026, 3, 30, 1, tzinfo=BERLIN)


def test_lunch_break() -> None:
    monday = date(2026, 3, 9)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime.combine(monday, time(hour, minute), tzinfo=SH)

    assert due(LUNCH, at(11, 30), hours=1) == at(13, 30)
    assert due(LUNCH, at(11), hours=1) == at(12)  # ends exactly at lunch
    assert due(LUNCH, at(12, 30), minutes=30) == at(13, 30)
    assert due(LUNCH, at(17), hours=2) == sh(2026, 3, 10, 10)
    assert not is_working_time(calendar=LUNCH, at=at(12, 30))
    assert not is_working_time(calendar=LUNCH, at=at(12))
    assert is_working_time(calendar=LUNCH, at=at(13))
    assert next_working_instant(calendar=LUNCH, at=at(12, 30)) == at(13)
    assert between(LUNCH, at(11), at(14)) == timedelta(hours=2)
    assert between(LUNCH, at(0), at(23)) == timedelta(hours=8)


def test_override_holiday_and_working_day() -> None:
    calendar = WorkingCalendar.business(
        SH,
        overrides={
            date(2026, 3, 11): False,  # Wednesday off
            date(2026, 3, 14): True,  # Saturday on
            date(2026, 10, 10): False,  # beats the library's 调休 Saturday
            date(2026, 10, 5): True,  # beats the library's National Day holiday
        },
    )
    assert due(calendar, sh(2026, 3, 10, 17), hours=2) == sh(2026, 3, 12, 10)
    assert due(calendar, sh(2026, 3, 13, 17), hours=2) == sh(2026, 3, 14, 10)
    assert due(calendar, sh(2026, 10, 9, 17), hours=2) == sh(2026, 10, 12, 10)
    assert due(calendar, sh(2026, 9, 30, 17), hours=2) == sh(2026, 10, 5, 10)
    assert not calendar.is_working_day(date(2026, 3, 11))
    assert calendar.is_working_day(date(2026, 3, 14))
    # Overrides are copied: mutating the source mapping does not change the calendar.
    source = {date(2026, 3, 11): False}
    copied = WorkingCalendar.business(SH, overrides=source)
    source[date(2026, 3, 11)] = True
    assert not copied.is_working_day(date(2026, 3, 11))


def test_2027_falls_back_to_weekdays_and_is_reported() -> None:
    assert STANDARD.unknown_dates(date(2026, 12, 30), date(2027, 1, 3)) == days(
        date(2027, 1, 1), date(2027, 1, 3)
    )
    assert STANDARD.coverage_gaps(date(2026, 6, 1), date(2027, 6, 1)) == [2027]
    assert STANDARD.coverage_gaps(date(2026, 1, 1), date(2026, 12, 31)) == []
    # New Year's Day 2027 is unknown to the library, so it is treated as a plain Friday.
    assert STANDARD.is_working_day(date(2027, 1, 1))
    assert due(STANDARD, sh(2026, 12, 31, 17), hours=2) == sh(2027, 1, 1, 10)
    assert due(STANDARD, sh(2027, 1, 8, 17), hours=2) == sh(2027, 1, 11, 10)
    # An admin override makes the date known.
    patched = WorkingCalendar.business(SH, overrides={date(2027, 1, 1): False})
    assert patched.unknown_dates(date(2027, 1, 1), date(2027, 1, 2)) == [date(2027, 1, 2)]
    assert due(patched, sh(2026, 12, 31, 17), hours=2) == sh(2027, 1, 4, 10)
    # Without the Chinese calendar nothing is "unknown": the plain week is the definition.
    plain = WorkingCalendar.business(SH, chinese=False)
    assert plain.unknown_dates(date(2027, 1, 1), date(2027, 12, 31)) == []


def test_chinese_calendar_with_six_day_week_keeps_saturdays() -> None:
    calendar = WorkingCalendar.business(SH, weekdays=range(6))
    assert calendar.is_working_day(date(2026, 3, 14))  # ordinary Saturday
    assert not calendar.is_working_day(date(2026, 10, 3))  # Saturday inside National Day
    assert not calendar.is_working_day(date(2026, 3, 15))  # Sunday


def test_next_working_instant_and_is_working_time() -> None:
    assert next_working_instant(calendar=STANDARD, at=sh(2026, 9, 30, 18)) == sh(2026, 10, 8, 9)
    assert next_working_instant(calendar=STANDARD, at=sh(2026, 9, 30, 10)) == sh(2026, 9, 30, 10)
    assert is_working_time(calendar=STANDARD, at=sh(2026, 9, 30, 9))
    assert not is_working_time(calendar=STANDARD, at=sh(2026, 9, 30, 18))
    assert not is_working_time(calendar=STANDARD, at=sh(2026, 10, 1, 10))
    assert is_working_time(calendar=STANDARD, at=sh(2026, 10, 10, 10))


def test_business_time_between() -> None:
    assert between(STANDARD, sh(2026, 9, 30, 17), sh(2026, 10, 8, 10)) == timedelta(hours=2)
    assert between(STANDARD, sh(2026, 10, 8, 10), sh(2026, 9, 30, 17)) == timedelta(0)
    assert between(STANDARD, sh(2026, 3, 9), sh(2026, 3, 16)) == timedelta(hours=45)
    assert between(STANDARD, sh(2026, 10, 1), sh(2026, 10, 8)) == timedelta(0)


def test_windows_on() -> None:
    assert LUNCH.windows_on(date(2026, 10, 10)) == [
        (sh(2026, 10, 10, 9), sh(2026, 10, 10, 12)),
        (sh(2026, 10, 10, 13), sh(2026, 10, 10, 18)),
    ]
    assert LUNCH.windows_on(date(2026, 10, 11)) == []


# -- DST ------------------------------------------------------------------------------------


def test_dst_berlin_business_hours_keep_local_wall_clock() -> None:
    calendar = WorkingCalendar.business(BERLIN, chinese=False)
    # DST starts Sun 2026-03-29; Monday opens at 09:00 CEST (07:00 UTC).
    result = due(calendar, datetime(2026, 3, 27, 17, tzinfo=BERLIN), hours=2)
    assert result == datetime(2026, 3, 30, 10, tzinfo=BERLIN)
    assert result.utcoffset() == timedelta(hours=2)
    # DST ends Sun 2026-10-25.
    result = due(calendar, datetime(2026, 10, 23, 17, tzinfo=BERLIN), hours=2)
    assert result == datetime(2026, 10, 26, 10, tzinfo=BERLIN)
    assert result.utcoffset() == timedelta(hours=1)


def test_dst_full_day_windows_are_23_and_25_hours() -> None:
    hours = WorkingHours(weekday_windows={6: ((time(0), time(0)),)})
    calendar = WorkingCalendar(tz=NEW_YORK, hours=hours)
    spring, autumn = date(2026, 3, 8), date(2026, 11, 1)
    for day, length in ((spring, 23), (autumn, 25), (date(2026, 3, 15), 24)):
        start = datetime.combine(day, time(0), tzinfo=NEW_YORK)
        end = start + timedelta(days=1)
        assert between(calendar, start, end) == timedelta(hours=length)
    # A window spanning the spring-forward gap 02:00-03:00 is one hour shorter.
    night = WorkingCalendar(
        tz=NEW_YORK, hours=WorkingHours(weekday_windows={6: ((time(1), time(4)),)})
    )
    start = datetime(2026, 3, 8, 1, tzinfo=NEW_YORK)
    assert due(night, start, hours=2) == datetime(2026, 3, 8, 4, tzinfo=NEW_YORK)
    assert due(night, start, hours=2.5) == datetime(2026, 3, 15, 1, 30, tzinfo=NEW_YORK)


def test_dst_change_at_midnight() -> None:
    # Santiago: Sat 2026-09-05 24:00 (-04) jumps to Sun 01:00 (-03), so Sunday has no 00:xx;
    # Sat 2026-04-04 24:00 (-03) falls back to Sat 23:00 (-04), so Saturday lasts 25 hours.
    hours = WorkingHours(weekday_windows={5: ((time(0), time(0)),), 6: ((time(0), time(0)),)})
    calendar = WorkingCalendar(tz=SANTIAGO, hours=hours)
    for saturday, saturday_hours, sunday_hours in (
        (date(2026, 9, 5), 24, 23),
        (date(2026, 4, 4), 25, 24),
    ):
        sat_windows = calendar.windows_on(saturday)
        sun_windows = calendar.windows_on(saturday + timedelta(days=1))
        (sat_start, sat_end), (sun_start, sun_end) = sat_windows[0], sun_windows[0]
        assert sat_end == sun_start
        assert sat_end.astimezone(UTC) - sat_start.astimezone(UTC) == timedelta(
            hours=saturday_hours
        )
        assert sun_end.astimezone(UTC) - sun_start.astimezone(UTC) == timedelta(hours=sunday_hours)
        assert between(calendar, sat_start, sun_end) == timedelta(
            hours=saturday_hours + sunday_hours
        )
        assert due(calendar, sat_start, hours=saturday_hours + sunday_hours) == sun_end
    first_sunday_instant = datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert first_sunday_instant.astimezone(SANTIAGO).time() == time(1)
    assert is_working_time(calendar=calendar, at=first_sunday_instant)


def test_dst_gap_windows_do_not_double_count() -> None:
    # 02:30 does not exist on 2026-03-08 in New York and resolves to 03:30 EDT, which is
    # after 03:00 EDT: the converted windows would overlap by 30 minutes without clamping.
    hours = WorkingHours(weekday_windows={6: ((time(1), time(2, 30)), (time(3), time(5)))})
    calendar = WorkingCalendar(tz=NEW_YORK, hours=hours)
    start = datetime(2026, 3, 8, 1, tzinfo=NEW_YORK)
    end = datetime(2026, 3, 8, 5, tzinfo=NEW_YORK)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=3)
    assert between(calendar, start, end) == timedelta(hours=3)
    assert due(calendar, start, hours=3) == end
    (_, first_end), (second_start, _) = calendar.windows_on(date(2026, 3, 8))
    assert first_end == second_start


# -- validation and errors ----------------------------------------------------------------


def test_overlapping_hours() -> None:
    with pytest.raises(CalendarError) as excinfo:
        WorkingHours(weekday_windows={0: ((time(9), time(13)), (time(12), time(18)))})
    assert excinfo.value.code == "overlapping_hours"
    assert isinstance(excinfo.value, ValueError)


def test_adjacent_windows_are_allowed() -> None:
    hours = WorkingHours(weekday_windows={0: ((time(12), time(18)), (time(9), time(12)))})
    assert hours.windows_for(0) == ((time(9), time(12)), (time(12), time(18)))


@pytest.mark.parametrize("weekday_windows", [{}, {0: ()}, {0: (), 6: ()}])
def test_empty_hours(weekday_windows: dict[int, tuple[tuple[time, time], ...]]) -> None:
    with pytest.raises(CalendarError) as excinfo:
        WorkingHours(weekday_windows=weekday_windows)
    assert excinfo.value.code == "empty_hours"


@pytest.mark.parametrize(
    ("weekday_windows", "code"),
    [
        ({0: ((time(18), time(9)),)}, "invalid_window"),
        ({0: ((time(9), time(9)),)}, "invalid_window"),
        ({0: ((time(9),),)}, "invalid_window"),
        ({0: ((time(9, tzinfo=UTC), time(18)),)}, "invalid_window"),
        ({7: ((time(9), time(18)),)}, "invalid_weekday"),
    ],
)
def test_invalid_hours(weekday_windows: dict, code: str) -> None:
    with pytest.raises(CalendarError) as excinfo:
        WorkingHours(weekday_windows=weekday_windows)
    assert excinfo.value.code == code


def test_lunch_outside_hours_is_invalid() -> None:
    with pytest.raises(CalendarError) as excinfo:
        WorkingCalendar.business(SH, lunch=(time(8), time(10)))
    assert excinfo.value.code == "invalid_window"


def test_no_working_time_guard() -> None:
    all_off = {d: False for d in days(date(2026, 1, 1), date(2030, 12, 31))}
    calendar = WorkingCalendar.business(SH, chinese=False, overrides=all_off)
    with pytest.raises(CalendarError) as excinfo:
        due(calendar, sh(2026, 1, 1), hours=1)
    assert excinfo.value.code == "no_working_time"
    with pytest.raises(CalendarError) as excinfo:
        next_working_instant(calendar=calendar, at=sh(2026, 1, 1))
    assert excinfo.value.code == "no_working_time"


def test_negative_duration_and_naive_datetime() -> None:
    with pytest.raises(CalendarError) as excinfo:
        due(STANDARD, sh(2026, 3, 9, 10), hours=-1)
    assert excinfo.value.code == "negative_duration"
    with pytest.raises(CalendarError) as excinfo:
        due(STANDARD, datetime(2026, 3, 9, 10), hours=1)
    assert excinfo.value.code == "naive_datetime"


def test_invalid_override() -> None:
    with pytest.raises(CalendarError) as excinfo:
        WorkingCalendar.business(SH, overrides={datetime(2026, 3, 9, tzinfo=SH): False})
    assert excinfo.value.code == "invalid_override"


def test_calendars_are_hashable_values() -> None:
    again = WorkingCalendar.business("Asia/Shanghai")
    assert again == STANDARD
    assert hash(again) == hash(STANDARD)
    assert WorkingCalendar.business(SH, overrides={date(2026, 1, 5): False}) != STANDARD
    assert LUNCH != STANDARD


# -- properties -----------------------------------------------------------------------------

CALENDARS = [
    STANDARD,
    LUNCH,
    WorkingCalendar.twenty_four_seven(SH),
    WorkingCalendar.business(SH, overrides={date(2026, 3, 11): False, date(2026, 3, 14): True}),
    WorkingCalendar.business(BERLIN, chinese=False, start=time(8), end=time(17, 30)),
    WorkingCalendar(
        tz=NEW_YORK,
        hours=WorkingHours(
            weekday_windows={
                0: ((time(9), time(17)),),
                5: ((time(0, 30), time(2, 30)), (time(22), time(0))),
                6: ((time(0), time(1, 30)), (time(1, 45), time(3)), (time(22), time(0))),
            }
        ),
    ),
    WorkingCalendar(
        tz=SANTIAGO,
        hours=WorkingHours(
            weekday_windows={
                5: ((time(0), time(0)),),
                6: ((time(0), time(0, 30)), (time(23), time(0))),
            }
        ),
        use_chinese_calendar=True,
    ),
]
ZONES = [UTC, SH, BERLIN, NEW_YORK, SANTIAGO, ZoneInfo("Pacific/Kiritimati")]
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)

calendars = st.sampled_from(CALENDARS)
# 2026 DST changes (UTC) in New York, Berlin and Santiago; many instants are drawn near them.
DST_CHANGES = [
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 5, 3, tzinfo=UTC),
    datetime(2026, 9, 6, 4, tzinfo=UTC),
]
DAY_US = 86_400 * 10**6
# Late 2025 to early 2027: crosses the DST changes and the end of chinese_calendar's data.
instants = st.builds(
    lambda base, us, zone: (base + timedelta(microseconds=us)).astimezone(zone),
    st.sampled_from([datetime(2025, 12, 1, tzinfo=UTC)]),
    st.integers(min_value=0, max_value=400 * DAY_US),
    st.sampled_from(ZONES),
) | st.builds(
    lambda base, us, zone: (base + timedelta(microseconds=us)).astimezone(zone),
    st.sampled_from(DST_CHANGES),
    st.integers(min_value=-2 * DAY_US, max_value=DAY_US),
    st.sampled_from(ZONES),
)
# Python compares and subtracts datetimes sharing a tzinfo by wall clock (ignoring offsets
# and ``fold``), so property checks on DST-zone values go through UTC.


def u(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


durations = st.one_of(
    st.just(timedelta(0)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=45)),
    st.integers(min_value=1, max_value=45 * 4).map(lambda q: timedelta(minutes=15 * q)),
)


@PROPERTY_SETTINGS
@given(calendar=calendars, start=instants, duration=durations)
def test_round_trip(calendar: WorkingCalendar, start: datetime, duration: timedelta) -> None:
    result = add_business_time(calendar=calendar, start=start, duration=duration)
    assert result.tzinfo is calendar.tz
    assert u(result) >= u(start)
    assert business_time_between(calendar=calendar, start=start, end=result) == duration


@PROPERTY_SETTINGS
@given(calendar=calendars, start=instants, duration=durations)
def test_due_time_is_working_time_or_closing_edge(
    calendar: WorkingCalendar, start: datetime, duration: timedelta
) -> None:
    result = add_business_time(calendar=calendar, start=start, duration=duration)
    if duration == timedelta(0):
        assert u(result) == u(start)
        return
    # For d > 0 the due time lies in (window start, window end]: the instant just before it
    # is working time, and so is the due time itself unless it is a window's closing edge.
    assert is_working_time(calendar=calendar, at=u(result) - timedelta(microseconds=1))
    local_day = result.date()
    windows = [
        (u(s), u(e))
        for d in (local_day - timedelta(days=1), local_day)
        for s, e in calendar.windows_on(d)
    ]
    assert any(s < u(result) <= e for s, e in windows)
    assert is_working_time(calendar=calendar, at=result) or any(u(result) == e for _, e in windows)


@PROPERTY_SETTINGS
@given(calendar=calendars, start=instants, first=durations, second=durations)
def test_monotonic_in_duration(
    calendar: WorkingCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    short, long = sorted((first, second))
    assert u(add_business_time(calendar=calendar, start=start, duration=short)) <= u(
        add_business_time(calendar=calendar, start=start, duration=long)
    )


@PROPERTY_SETTINGS
@given(calendar=calendars, first=instants, second=instants, duration=durations)
def test_monotonic_in_start(
    calendar: WorkingCalendar, first: datetime, second: datetime, duration: timedelta
) -> None:
    early, late = sorted((first, second), key=u)
    assert u(add_business_time(calendar=calendar, start=early, duration=duration)) <= u(
        add_business_time(calendar=calendar, start=late, duration=duration)
    )


@PROPERTY_SETTINGS
@given(calendar=calendars, start=instants, middle=durations, rest=durations)
def test_between_is_additive(
    calendar: WorkingCalendar, start: datetime, middle: timedelta, rest: timedelta
) -> None:
    mid = (u(start) + middle).astimezone(start.tzinfo)
    end = u(mid) + rest
    assert between(calendar, start, end) == between(calendar, start, mid) + between(
        calendar, mid, end
    )
    assert between(calendar, start, end) <= end - u(start)


@PROPERTY_SETTINGS
@given(calendar=calendars, at=instants)
def test_next_working_instant_is_working(calendar: WorkingCalendar, at: datetime) -> None:
    opening = next_working_instant(calendar=calendar, at=at)
    assert u(opening) >= u(at)
    assert is_working_time(calendar=calendar, at=opening)
    assert (u(opening) == u(at)) == is_working_time(calendar=calendar, at=at)
    assert between(calendar, at, opening) == timedelta(0)
