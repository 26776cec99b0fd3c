"""Recorded metric series, regenerated deterministically (a seeded generator) for each test.

Each series is what the agent records once a minute on a host with a garbage-collected media
service: the process's RSS draws a saw-tooth (allocations climb until a collection releases
them), host memory is everything else plus that process.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass

GB = 1_000_000_000
MB = 1_000_000
T0 = 1_795_996_800.0  # 2026-12-01 00:00:00 UTC


@dataclass(frozen=True)
class Point:
    ts: float
    rss: float
    host_used: float
    host_total: float


def recorded(
    *,
    hours: float = 12,
    base: float = 1.5 * GB,
    leak_per_hour: float = 0.0,
    amplitude: float = 300 * MB,
    period_minutes: float = 7,
    noise: float = 8 * MB,
    other: float = 6 * GB,
    total: float = 16 * GB,
    restart_at_hour: float | None = None,
    restart_to: float = 350 * MB,
    warmup_minutes: float = 40,
    seed: int = 1,
    start: float = T0,
) -> Iterator[Point]:
    """One sample a minute. After a restart the process starts small, fills its caches for
    `warmup_minutes` back to `base`, and leaks again from there."""
    rng = random.Random(seed)
    phase = rng.random() * period_minutes
    restart_minute = restart_at_hour * 60 if restart_at_hour is not None else None
    for minute in range(int(hours * 60)):
        ts = start + minute * 60
        if restart_minute is not None and minute >= restart_minute:
            age = minute - restart_minute
            warm = min(1.0, age / warmup_minutes)
            level = restart_to + (base - restart_to) * warm + leak_per_hour * age / 60
        else:
            level = base + leak_per_hour * minute / 60
        # Saw-tooth: climbs over a period, then a collection drops it back to the floor.
        tooth = ((minute + phase) % period_minutes) / period_minutes * amplitude
        rss = level + tooth + rng.gauss(0, noise)
        host_used = other + rss + rng.gauss(0, noise)
        yield Point(ts, rss, host_used, total)
