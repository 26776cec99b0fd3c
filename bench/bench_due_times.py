"""Throughput of SLA due-time computation.

Run: .venv/bin/python bench/bench_due_times.py [--n 200000] [--target 50000]
Exits non-zero if fewer than ``target`` due times per second are computed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time as clock
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from roadie.sla.calendar import WorkingCalendar, add_business_time  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000, help="number of due times")
    parser.add_argument("--target", type=int, default=50_000, help="minimum due times per second")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    tz = ZoneInfo("Asia/Shanghai")
    calendar = WorkingCalendar.business(tz)
    rng = random.Random(args.seed)
    year_start = datetime(2026, 1, 1, tzinfo=tz)
    year_seconds = 365 * 24 * 3600
    pairs = [
        (
            year_start + timedelta(seconds=rng.randrange(year_seconds)),
            timedelta(minutes=rng.randint(30, 45 * 60)),
        )
        for _ in range(args.n)
    ]

    began = clock.perf_counter()
    for start, duration in pairs:
        add_business_time(calendar=calendar, start=start, duration=duration)
    elapsed = clock.perf_counter() - began

    rate = int(args.n / elapsed)
    print(f"due times: {rate}/s (target >= {args.target}/s)")
    return 0 if rate >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
