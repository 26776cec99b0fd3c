"""The pure rota: hand-offs across DST and month ends, layers, overrides, leave, gaps."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from roadie.oncall.rota import (
    DAILY,
    WEEKLY,
    RotationSpec,
    ScheduleSpec,
    Span,
    gaps,
    oncall_at,
    shift_starts,
    timeline,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
A, B, C, D = 1, 2, 3, 4


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


def daily(members, start, handoff=time(9), **kw):
    return RotationSpec(kind=DAILY, handoff=handoff, start_date=start, members=members, **kw)


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # Spring forward: Berlin 2026-03-29, New York 2026-03-08.
        ("Europe/Berlin", date(2026, 3, 28), date(2026, 3, 29)),
        ("America/New_York", date(2026, 3, 7), date(2026, 3, 8)),
        # Fall back: Berlin 2026-10-25, New York 2026-11-01.
        ("Europe/Berlin", date(2026, 10, 24), date(2026, 10, 25)),
        ("America/New_York", date(2026, 10, 31), date(2026, 11, 1)),
    ],
)
def test_daily_handoff_stays_at_nine_local_across_dst(zone, before, after):
    tz = ZoneInfo(zone)
    spec = ScheduleSpec(time_zone=zone, rotations=(daily((A, B), before),))
    day1 = datetime.combine(before, time(9), tzinfo=tz)
    day2 = datetime.combine(after, time(9), tzinfo=tz)
    assert oncall_at(spec, day1) == [A]
    assert oncall_at(spec, day2 - timedelta(seconds=1)) == [A]
    assert oncall_at(spec, day2) == [B]
    # The hand-off instant is 09:00 local even though the UTC offset changed in between.
    assert day2.astimezone(UTC).hour != day1.astimezone(UTC).hour
    cuts = [s.start for s in timeline(spec, day1, day2 + timedelta(hours=1))]
    assert day2.astimezone(UTC) in cuts
    # The shift over the change is 23 or 25 hours long (subtract in UTC: same-zone
    # subtraction in Python ignores the offset change).
    assert (day2.astimezone(UTC) - day1.astimezone(UTC)) in (
        timedelta(hours=23),
        timedelta(hours=25),
    )


def test_weekly_handoff_across_berlin_spring_forward():
    spec = ScheduleSpec(
        time_zone="Europe/Berlin",
        rotations=(
            RotationSpec(
                kind=WEEKLY, handoff=time(9), start_date=date(2026, 3, 23), members=(A, B, C)
            ),
        ),
    )
    assert oncall_at(spec, local(BERLIN, 2026, 3, 30, 8, 59)) == [A]
    assert oncall_at(spec, local(BERLIN, 2026, 3, 30, 9, 0)) == [B]
    assert oncall_at(spec, local(BERLIN, 2026, 4, 6, 9, 0)) == [C]
    assert oncall_at(spec, local(BERLIN, 2026, 4, 13, 9, 0)) == [A]
    # Asked in UTC: 07:00Z is 09:00 CEST.
    assert oncall_at(spec, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) == [B]
    assert oncall_at(spec, datetime(2026, 3, 30, 6, 59, tzinfo=UTC)) == [A]


def test_new_york_fall_back_ambiguous_hour_is_resolved_in_utc():
    # 01:30 happens twice on 2026-11-01; a 01:30 hand-off is the first one (EDT).
    spec = ScheduleSpec(
        time_zone="America/New_York",
        rotations=(daily((A, B), date(2026, 10, 31), handoff=time(1, 30)),),
    )
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert oncall_at(spec, first - timedelta(seconds=1)) == [A]
    assert oncall_at(spec, first) == [B]
    assert oncall_at(spec, first + timedelta(hours=1)) == [B]  # 01:30 EST, the repeat


def test_nonexistent_handoff_time_happens_at_the_old_offset():
    # Berlin has no 02:30 on 2026-03-29; the hand-off happens at 01:30Z (03:30 CEST).
    spec = ScheduleSpec(
        time_zone="Europe/Berlin",
        rotations=(daily((A, B), date(2026, 3, 28), handoff=time(2, 30)),),
    )
    assert oncall_at(spec, datetime(2026, 3, 29, 1, 29, tzinfo=UTC)) == [A]
    assert oncall_at(spec, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == [B]


@pytest.mark.parametrize(
    ("start", "probe", "expected"),
    [
        (date(2026, 1, 30), date(2026, 2, 1), C),  # January's end
        (date(2028, 2, 28), date(2028, 3, 1), C),  # leap February
        (date(2026, 2, 27), date(2026, 3, 1), C),  # common February
        (date(2026, 12, 31), date(2027, 1, 1), B),  # the year's end
        (date(2026, 4, 29), date(2026, 5, 2), A),  # a 30-day month
    ],
)
def test_daily_rotation_over_month_ends(start, probe, expected):
    spec = ScheduleSpec(time_zone="Asia/Shanghai", rotations=(daily((A, B, C), start),))
    at = datetime.combine(probe, time(9), tzinfo=ZoneInfo("Asia/Shanghai"))
    assert oncall_at(spec, at) == [expected]


def test_weekly_rotation_over_a_month_end_with_interval_two():
    spec = ScheduleSpec(
        time_zone="Asia/Shanghai",
        rotations=(
            RotationSpec(
                kind=WEEKLY,
                handoff=time(10),
                start_date=date(2026, 1, 19),
                members=(A, B),
                interval=2,
            ),
        ),
    )
    sh = ZoneInfo("Asia/Shanghai")
    assert oncall_at(spec, local(sh, 2026, 1, 31, 12)) == [A]
    assert oncall_at(spec, local(sh, 2026, 2, 2, 9, 59)) == [A]
    assert oncall_at(spec, local(sh, 2026, 2, 2, 10)) == [B]
    assert oncall_at(spec, local(sh, 2026, 2, 16, 10)) == [A]


def test_nobody_before_the_rotation_starts():
    spec = ScheduleSpec(time_zone="UTC", rotations=(daily((A,), date(2026, 5, 1)),))
    assert oncall_at(spec, datetime(2026, 5, 1, 8, 59, tzinfo=UTC)) == []
    assert oncall_at(spec, datetime(2026, 5, 1, 9, tzinfo=UTC)) == [A]


def test_higher_layer_wins_where_it_has_someone():
    base = daily((A,), date(2026, 1, 1))
    top = Span(
        user=B,
        start=datetime(2026, 3, 2, 12, tzinfo=UTC),
        end=datetime(2026, 3, 2, 14, tzinfo=UTC),
        layer=2,
    )
    spec = ScheduleSpec(time_zone="UTC", rotations=(base,), shifts=(top,))
    assert oncall_at(spec, datetime(2026, 3, 2, 11, tzinfo=UTC)) == [A]
    assert oncall_at(spec, datetime(2026, 3, 2, 12, tzinfo=UTC)) == [B]
    assert oncall_at(spec, datetime(2026, 3, 2, 14, tzinfo=UTC)) == [A]


def test_override_beats_every_layer_and_swap_is_two_overrides():
    spec = ScheduleSpec(
        time_zone="UTC",
        rotations=(daily((A, B), date(2026, 3, 1)),),
        overrides=(
            Span(
                user=B,
                start=datetime(2026, 3, 1, 9, tzinfo=UTC),
                end=datetime(2026, 3, 2, 9, tzinfo=UTC),
            ),
            Span(
                user=A,
                start=datetime(2026, 3, 2, 9, tzinfo=UTC),
                end=datetime(2026, 3, 3, 9, tzinfo=UTC),
            ),
        ),
    )
    assert oncall_at(spec, datetime(2026, 3, 1, 10, tzinfo=UTC)) == [B]
    assert oncall_at(spec, datetime(2026, 3, 2, 10, tzinfo=UTC)) == [A]
    assert oncall_at(spec, datetime(2026, 3, 3, 10, tzinfo=UTC)) == [A]  # back to the rota


def test_leave_falls_through_to_the_next_member():
    leave = Span(
        user=B, start=datetime(2026, 3, 2, 0, tzinfo=UTC), end=datetime(2026, 3, 3, 0, tzinfo=UTC)
    )
    spec = ScheduleSpec(
        time_zone="UTC", rotations=(daily((A, B, C), date(2026, 3, 1)),), leaves=(leave,)
    )
    assert oncall_at(spec, datetime(2026, 3, 2, 10, tzinfo=UTC)) == [C]
    assert oncall_at(spec, datetime(2026, 3, 3, 8, tzinfo=UTC)) == [B]  # leave over


def test_leave_of_every_member_falls_through_to_the_layer_below():
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    away = tuple(
        Span(user=u, start=at - timedelta(hours=1), end=at + timedelta(hours=1)) for u in (B, C)
    )
    spec = ScheduleSpec(
        time_zone="UTC",
        rotations=(daily((D,), date(2026, 3, 1)), daily((B, C), date(2026, 3, 1), layer=2)),
        leaves=away,
    )
    assert oncall_at(spec, at) == [D]
    assert oncall_at(spec, at + timedelta(hours=2)) in ([B], [C])


def test_an_override_person_on_leave_is_not_on_call():
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    spec = ScheduleSpec(
        time_zone="UTC",
        rotations=(daily((A,), date(2026, 3, 1)),),
        overrides=(Span(user=B, start=at, end=at + timedelta(hours=2)),),
        leaves=(Span(user=B, start=at, end=at + timedelta(hours=1)),),
    )
    assert oncall_at(spec, at) == [A]
    assert oncall_at(spec, at + timedelta(hours=1)) == [B]


def test_planted_one_hour_hole_is_found_exactly():
    # Two people cover 08:00–20:00 and 20:00–07:00 (Shanghai) by shifts; 07:00–08:00 is a hole.
    sh = ZoneInfo("Asia/Shanghai")
    shifts = []
    for day in range(1, 8):
        d = date(2026, 6, day)
        shifts.append(
            Span(
                A, datetime.combine(d, time(8), tzinfo=sh), datetime.combine(d, time(20), tzinfo=sh)
            )
        )
        shifts.append(
            Span(
                B,
                datetime.combine(d, time(20), tzinfo=sh),
                datetime.combine(d + timedelta(days=1), time(7), tzinfo=sh),
            )
        )
    spec = ScheduleSpec(time_zone="Asia/Shanghai", shifts=tuple(shifts))
    start = datetime(2026, 6, 2, 8, tzinfo=sh)
    end = datetime(2026, 6, 3, 8, tzinfo=sh)
    assert gaps(spec, start, end) == [
        (datetime(2026, 6, 2, 23, tzinfo=UTC), datetime(2026, 6, 3, 0, tzinfo=UTC))
    ]


def test_gaps_are_merged_and_clipped_to_the_window():
    spec = ScheduleSpec(time_zone="UTC", rotations=(daily((A,), date(2026, 3, 5)),))
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 3, 6, tzinfo=UTC)
    assert gaps(spec, start, end) == [(start, datetime(2026, 3, 5, 9, tzinfo=UTC))]
    assert gaps(ScheduleSpec(time_zone="UTC"), start, end) == [(start, end)]


def test_timeline_merges_the_same_people_and_shift_starts_name_newcomers():
    spec = ScheduleSpec(time_zone="UTC", rotations=(daily((A, A, B), date(2026, 3, 1)),))
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    segments = timeline(spec, start, start + timedelta(days=3))
    assert [(s.start.day, s.users) for s in segments] == [(1, (A,)), (3, (B,))]
    assert shift_starts(segments) == [
        (B, datetime(2026, 3, 3, 9, tzinfo=UTC), datetime(2026, 3, 4, 9, tzinfo=UTC))
    ]


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        oncall_at(ScheduleSpec(time_zone="UTC"), datetime(2026, 1, 1))  # noqa: DTZ001
