"""Quiet hours as a pure function: midnight spans, the person's own zone, daylight saving."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from roadie.notifications.quiet import quiet_until

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def at(zone, *args):
    return datetime(*args, tzinfo=zone)


def test_outside_quiet_hours_nothing_waits():
    now = at(SHANGHAI, 2026, 5, 1, 12, 0)
    assert quiet_until(now=now, start=time(22), end=time(8), time_zone="Asia/Shanghai") is None
    assert quiet_until(now=now, start=None, end=None, time_zone="Asia/Shanghai") is None


def test_quiet_hours_across_midnight_end_the_next_morning():
    now = at(SHANGHAI, 2026, 5, 31, 23, 30)  # the last day of the month
    assert quiet_until(now=now, start=time(22), end=time(8), time_zone="Asia/Shanghai") == at(
        SHANGHAI, 2026, 6, 1, 8, 0
    )
    early = at(SHANGHAI, 2026, 6, 1, 6, 0)
    assert quiet_until(now=early, start=time(22), end=time(8), time_zone="Asia/Shanghai") == at(
        SHANGHAI, 2026, 6, 1, 8, 0
    )


def test_quiet_hours_are_read_in_the_persons_own_zone():
    # 21:00 UTC is 05:00 in Shanghai (quiet) but 17:00 in New York (not quiet).
    now = datetime(2026, 5, 1, 21, 0, tzinfo=ZoneInfo("UTC"))
    assert quiet_until(now=now, start=time(22), end=time(8), time_zone="Asia/Shanghai") == at(
        SHANGHAI, 2026, 5, 2, 8, 0
    )
    assert quiet_until(now=now, start=time(22), end=time(8), time_zone="America/New_York") is None


def test_quiet_hours_over_a_daylight_saving_change_end_at_local_wall_time():
    # New York springs forward on 2026-03-08 at 02:00: the night is an hour shorter.
    now = at(NEW_YORK, 2026, 3, 7, 23, 0)
    end = quiet_until(now=now, start=time(22), end=time(8), time_zone="America/New_York")
    assert end == at(NEW_YORK, 2026, 3, 8, 8, 0)
    assert end.utcoffset().total_seconds() == -4 * 3600
    # An end inside the skipped hour lands on the first real instant after it.
    gap_end = quiet_until(
        now=at(NEW_YORK, 2026, 3, 8, 1, 0),
        start=time(0),
        end=time(2, 30),
        time_zone="America/New_York",
    )
    assert gap_end.astimezone(ZoneInfo("UTC")) == datetime(
        2026, 3, 8, 7, 30, tzinfo=ZoneInfo("UTC")
    )
