"""Cost of one SLA sweep tick as the number of open tickets grows.

Run: .venv/bin/python bench/bench_sla_sweep.py [--sizes 100000 1000000] [--target-ms 1000]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/roadie_bench_sweep .venv/bin/python bench/...

For each size N a fresh database (see bench/_setup.py: SQLite in a temporary ROADIE_DATA_DIR, or
with DATABASE_URL=postgres://…/roadie_bench… that dedicated database, created, migrated and
dropped at the end) gets N open tickets, 1 % of them due (their response warning has passed),
the rest due later.  After the load the database is settled (SQLite: ANALYZE + WAL checkpoint;
PostgreSQL: VACUUM ANALYZE tickets_ticket + CHECKPOINT, as autovacuum would) and the plan of the
sweep's selecting query is printed.  One tick (one sla_sweep batch) is timed; it should cost the
same whatever N is, because it reads an index range.
Prints one line per size and the ratio of the largest to the smallest; exits non-zero if a tick
exceeds the target or the ratio exceeds 1.5.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from urllib.parse import urlparse, urlunparse

from _setup import BENCH_PREFIX, BenchDatabase, _pg_execute, prepare

DEFAULT_PG_NAME = "roadie_bench_sweep"


def run_one(size: int, due_percent: float, batch_size: int) -> tuple[float, float]:
    """Runs in a child process on a fresh database; returns the tick (wall, cpu) in ms."""
    database = prepare(default_pg_name=DEFAULT_PG_NAME)
    try:
        return _measure(database, size, due_percent, batch_size)
    finally:
        database.drop()


def _measure(
    database: BenchDatabase, size: int, due_percent: float, batch_size: int
) -> tuple[float, float]:
    from datetime import timedelta

    from django.db import connection
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import timezone

    from roadie.accounts.models import Role
    from roadie.accounts.services import user_create
    from roadie.customers.services import organization_create
    from roadie.sla.selectors import sla_snapshot
    from roadie.tickets import sla
    from roadie.tickets.models import Ticket

    organization = organization_create(name="Bench", slug="bench")
    requester = user_create(
        email="customer@bench.example",
        password="x",
        role=Role.CUSTOMER_MEMBER,
        name="Customer",
        organization=organization,
        check_password=False,
    )
    user_create(
        email="manager@vendor.example",
        password="x",
        role=Role.MANAGER,
        name="Manager",
        check_password=False,
    )
    snapshot = sla_snapshot(contract=None)
    now = timezone.now()
    due_every = round(100 / due_percent)
    batch: list[Ticket] = []
    started = time.perf_counter()
    for n in range(size):
        if n % due_every == 0:
            # Urgent, 25 minutes old: the response warning (22.5 min) has passed, the breach not.
            created = now - timedelta(minutes=25)
            check = created + timedelta(minutes=22, seconds=30)
        else:
            created = now - timedelta(minutes=n % 20)
            check = now + timedelta(minutes=1 + n % 10_000)
        batch.append(
            Ticket(
                organization=organization,
                requester=requester,
                title=f"Bench ticket {n}",
                severity="urgent",
                created_at=created,
                updated_at=created,
                sla_snapshot=snapshot,
                response_due_at=created + timedelta(minutes=30),
                resolution_due_at=created + timedelta(minutes=60),
                next_sla_check_at=check,
            )
        )
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    if batch:
        Ticket.objects.bulk_create(batch)
    loaded = time.perf_counter() - started
    limit = batch_size or sla.SWEEP_BATCH
    with connection.cursor() as cursor:
        # Start from a settled database: statistics gathered, the bulk load's WAL written back
        # (on PostgreSQL also the visibility map set, as autovacuum would after a bulk load).
        if database.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE tickets_ticket")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    plan = _sweep_plan(database, now, limit)
    print(f"  loaded {size:,} tickets in {loaded:.0f} s; plan: {plan}", file=sys.stderr)

    # A worker runs a tick every minute; time a warm one (URL conf imported, template compiled).
    get_resolver().url_patterns  # noqa: B018
    get_template("emails/sla_event.txt")

    # Two ticks, each on its own due tickets (1 % of 100,000 fills two batches of 500); the
    # faster one is reported, which filters out noise from other work on the machine.
    ticks = []
    for _ in range(2):
        began, began_cpu = time.perf_counter(), time.process_time()
        examined = sla.sla_sweep(now=now, limit=limit)
        wall = (time.perf_counter() - began) * 1000
        cpu = (time.process_time() - began_cpu) * 1000
        if examined or not ticks:
            # A tick that found nothing due (small sizes run out of due tickets) is no measure.
            ticks.append((wall, cpu))
        print(f"  examined {examined} tickets in {wall:.0f} ms (cpu {cpu:.0f} ms)", file=sys.stderr)
    return min(ticks)


def _sweep_plan(database: BenchDatabase, now: object, limit: int) -> str:
    """The plan of the sweep's selecting query, built as roadie.tickets.sla._due_tickets does."""
    from django.db import connection, transaction

    from roadie.tickets.models import Ticket

    qs = Ticket.objects.filter(next_sla_check_at__lte=now).order_by("next_sla_check_at")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    qs = qs.select_related("assignee")[:limit]
    prefix = "EXPLAIN QUERY PLAN " if database.vendor == "sqlite" else "EXPLAIN "
    # Inside a transaction: SELECT … FOR UPDATE cannot even be compiled in autocommit mode.
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = qs.query.sql_with_params()
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    return " / ".join(str(row[-1]).strip() for row in rows)


def _drop_pg(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/") or DEFAULT_PG_NAME
    if name.startswith(BENCH_PREFIX):  # never anything else, whatever the URL says
        admin_url = urlunparse(parsed._replace(path="/postgres"))
        _pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--due-percent", type=float, default=1.0)
    parser.add_argument("--target-ms", type=float, default=1000.0)
    parser.add_argument(
        "--batch", type=int, default=0, help="tickets per tick (default: the sweep's)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        wall, cpu = run_one(args.child, args.due_percent, args.batch)
        print(f"{wall:.1f} {cpu:.1f}")
        return 0

    url = os.environ.get("DATABASE_URL", "")
    vendor = "sqlite"
    if url.startswith(("postgres://", "postgresql://")):
        vendor = "postgresql"
        # Refuse a wrong name here already, before any child starts (_setup refuses it too).
        name = urlparse(url).path.lstrip("/") or DEFAULT_PG_NAME
        if not name.startswith(BENCH_PREFIX):
            print(
                f"refusing to use database {name!r}: bench databases start with "
                f"{BENCH_PREFIX!r} (e.g. {DEFAULT_PG_NAME})",
                file=sys.stderr,
            )
            return 2

    results: dict[int, float] = {}
    for size in args.sizes:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "EMAIL_URL": "memory://"}
        if vendor == "sqlite":
            # Any other URL (sqlite://… pointing at var/, say) would be used as is: never that.
            env.pop("DATABASE_URL", None)
        try:
            # The child's progress lines (stderr) pass straight through; stdout carries the result.
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(size),
                    "--due-percent",
                    str(args.due_percent),
                    "--batch",
                    str(args.batch),
                ],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
        finally:
            if vendor == "postgresql":
                # The child drops its database; this covers a child that died before it could.
                _drop_pg(url)
        if out.returncode:
            print(f"size {size}: the run failed", file=sys.stderr)
            return 1
        wall, cpu = (float(x) for x in out.stdout.strip().splitlines()[-1].split())
        results[size] = wall
        print(
            f"sla sweep tick ({vendor}, {size} open, {args.due_percent:g}% due): "
            f"{wall:.0f} ms (cpu {cpu:.0f} ms)",
            flush=True,
        )
    ok = all(ms < args.target_ms for ms in results.values())
    if len(results) > 1:
        smallest, largest = min(results), max(results)
        ratio = results[largest] / results[smallest]
        print(f"ratio {largest}/{smallest}: {ratio:.2f} (target <= 1.5)")
        ok = ok and ratio <= 1.5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
