"""One rule cycle over a fleet: 10,000 deployments, each with a minute of fresh samples.

Run: .venv/bin/python bench/bench_rules.py [--deployments 10000] [--worst] [--target-ms 2000]

A fresh database (bench/_setup.py) gets N deployments that report like the agent: heartbeat,
CPU, host memory (used, total), two processes' RSS, disk, load and live streams — 9 samples a
deployment, stored as N ingest batches. Their rule state is that of a fleet that has been
running for 12 hours: memory floor histories of 48 buckets per series, leak buckets in progress.
A few deployments cross a threshold this minute (--firing, default 10) and open incidents with
tickets; the rest are well. The timed part is evaluate_rules(): reading the new samples, every
rule on every deployment, the memory-leak regressions of the buckets that close, the clock rules
(heartbeat, backups), writing the state back, applying the transitions.

Leak buckets close staggered (one deployment in fifteen each minute); --worst makes every
deployment close a bucket in the timed cycle (every series regressed at once).
Prints `rule cycle (<db>, N deployments): <ms> ms (target < 2000 ms)`; exits 1 over the target.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from _setup import prepare

PROCESSES = ("srs", "java")


def _fleet(n: int, firing: int, worst: bool, now: datetime) -> None:
    from roadie.customers.models import Deployment, Organization, Product
    from roadie.monitoring.models import DeploymentHealth, IngestBatch, Sample
    from roadie.monitoring.rules.memory_leak import BUCKET_SECONDS, bucket_offset, bucket_start

    rng = random.Random(7)
    product = Product.objects.create(slug="livestream-pro", name="LiveStream Pro")
    organizations = Organization.objects.bulk_create(
        [Organization(name=f"Customer {i}", slug=f"customer-{i}") for i in range(max(1, n // 20))]
    )
    Deployment.objects.bulk_create(
        [
            Deployment(
                organization=organizations[i % len(organizations)],
                product=product,
                version="3.4.0",
                name=f"live-{i}",
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    ids = list(Deployment.objects.order_by("pk").values_list("pk", flat=True))
    t = now.timestamp()
    hot = set(ids[:: max(1, n // firing)][:firing]) if firing else set()
    healths = []
    for pk in ids:
        offset = bucket_offset(pk)
        current = bucket_start(t - 60, offset)
        if worst:
            current -= BUCKET_SECONDS  # the sample of this minute closes the bucket
        history, state = {}, {"mem": [6_000_000_000, 16_000_000_000]}
        for key, level in (("", 6e9), *((f'{{"process":"{p}"}}', 8e8) for p in PROCESSES)):
            start = current - 48 * BUCKET_SECONDS
            history[key] = [
                [start + i * BUCKET_SECONDS, int(level + rng.gauss(0, 5e6))] for i in range(48)
            ]
            state[f"memory_leak|{key}"] = {"c": [current, int(level)], "h": 0, "k": 3}
        state["cpu_high|"] = {"s": t - 400 if pk in hot else None, "l": t - 120, "f": False}
        healths.append(
            DeploymentHealth(
                deployment_id=pk,
                first_report_at=now - timedelta(hours=12),
                last_report_at=now - timedelta(minutes=1),
                last_heartbeat_at=now - timedelta(minutes=1),
                newest_backup_at=now - timedelta(hours=3),
                rule_state=state,
                leak_history=history,
            )
        )
    DeploymentHealth.objects.bulk_create(healths, batch_size=500)
    IngestBatch.objects.bulk_create(
        [
            IngestBatch(deployment_id=pk, received_at=now, samples=9, first_ts=t - 5, last_ts=t - 5)
            for pk in ids
        ],
        batch_size=2000,
    )
    batches = dict(IngestBatch.objects.values_list("deployment_id", "pk"))
    samples = []
    ts = t - 5
    bucket = int(ts // 300) * 300
    for pk in ids:
        cpu = 96.0 if pk in hot else 20 + rng.random() * 30
        rows = [
            ("heartbeat", "", 1.0),
            ("cpu_percent", "", cpu),
            ("memory_used_bytes", "", 6e9 + rng.gauss(0, 5e6)),
            ("memory_total_bytes", "", 16e9),
            ("disk_used_percent", '{"mount":"/"}', 41.0),
            ("load1", "", 1.2),
            ("live_streams", "", 120.0),
            *(
                ("process_rss_bytes", f'{{"process":"{p}"}}', 8e8 + rng.gauss(0, 5e6))
                for p in PROCESSES
            ),
        ]
        samples += [
            Sample(
                deployment_id=pk,
                batch_id=batches[pk],
                name=name,
                labels=labels,
                ts=ts,
                bucket=bucket,
                value=value,
            )
            for name, labels, value in rows
        ]
    Sample.objects.bulk_create(samples, batch_size=5000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--firing", type=int, default=10, help="deployments crossing a threshold")
    parser.add_argument("--worst", action="store_true", help="every leak bucket closes at once")
    parser.add_argument("--target-ms", type=float, default=2000)
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest calls")
    parser.add_argument("--sort", default="cumulative", help="profile order (cumulative, tottime)")
    args = parser.parse_args()

    database = prepare(default_pg_name="roadie_bench")
    try:
        from django.urls import reverse

        from roadie.monitoring.evaluate import evaluate_rules
        from roadie.monitoring.models import Alert, Incident

        now = datetime.now(tz=UTC).replace(microsecond=0)
        _fleet(args.deployments, args.firing, args.worst, now)
        # A running worker has its URL configuration loaded (links in tickets and pages).
        reverse("console:monitoring:fleet")
        profiler = cProfile.Profile() if args.profile else None
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        result = evaluate_rules(now=now)
        if profiler:
            profiler.disable()
        elapsed = (time.perf_counter() - began) * 1000
        if profiler:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(25)
        alerts, incidents = Alert.objects.count(), Incident.objects.count()
    finally:
        database.drop()
    label = "worst case, every leak bucket closing" if args.worst else "leak buckets staggered"
    print(
        f"rule cycle ({database.vendor}, {args.deployments} deployments, {result.samples} samples, "
        f"{label}, {alerts} alerts → {incidents} incidents): {elapsed:.0f} ms "
        f"(target < {args.target_ms:.0f} ms)"
    )
    if alerts < args.firing:
        print(f"expected {args.firing} alerts, found {alerts}", file=sys.stderr)
        return 1
    return 0 if elapsed < args.target_ms else 1


if __name__ == "__main__":
    sys.exit(main())
