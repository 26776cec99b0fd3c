"""Quiet hours: pure functions over aware datetimes, in the person's own time zone."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def is_valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _local_at(day: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The instant `at` o'clock on `day`'s date in `tz` (a time skipped by DST moves forward)."""
    naive = datetime.combine(day.date(), at)
    candidate = naive.replace(tzinfo=tz)
    # A wall time inside a spring-forward gap does not exist; round-tripping through UTC lands
    # on the first real instant after it.
    return candidate.astimezone(ZoneInfo("UTC")).astimezone(tz)


def quiet_until(
    *, now: datetime, start: time | None, end: time | None, time_zone: str
) -> datetime | None:
    """When the quiet period that contains `now` ends, or None when `now` is not quiet.

    Quiet hours run from `start` to `end` local time and may span midnight (22:00–08:00).
    """
    if start is None or end is None or start == end:
        return None
    tz = zone(time_zone)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        if start <= clock < end:
            return _local_at(local, end, tz)
        return None
    # Spans midnight: quiet from start to 24:00 and from 00:00 to end.
    if clock >= start:
        return _local_at(local + timedelta(days=1), end, tz)
    if clock < end:
        return _local_at(local, end, tz)
    return None
