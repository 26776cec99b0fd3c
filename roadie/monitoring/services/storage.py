"""Storage that stays bounded: raw samples for 48 hours, 5-minute roll-ups for 30 days.

The roll-up merges each batch once (batches are marked), so a late batch — the agent resending
last night — lands in its own buckets, even where the raw samples around it are gone.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Min, Sum

from roadie.core import clock
from roadie.monitoring.models import CycleRun, IngestBatch, Rollup, Sample

RAW_RETENTION = timedelta(hours=48)
ROLLUP_RETENTION = timedelta(days=30)
RUN_RETENTION = timedelta(days=2)
ROLLUP_BATCHES = 20_000
CHUNK = 500


@dataclass(frozen=True)
class PruneResult:
    samples: int
    batches: int
    rollups: int


def _chunks(items: list[int], size: int = CHUNK) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@transaction.atomic
def samples_roll_up(*, now: datetime | None = None, limit: int = ROLLUP_BATCHES) -> int:
    """Merge the samples of batches not yet rolled up into their 5-minute roll-ups."""
    now = now or clock.now()
    ids = list(
        IngestBatch.objects.filter(rolled_up_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return 0
    merged: dict[tuple[int, str, str, int], list[float]] = {}
    for chunk in _chunks(ids):
        rows = (
            Sample.objects.filter(batch_id__in=chunk)
            .values_list("deployment_id", "name", "labels", "bucket")
            .annotate(n=Count("id"), total=Sum("value"), lo=Min("value"), hi=Max("value"))
            .order_by()
        )
        for deployment_id, name, labels, bucket, n, total, lo, hi in rows:
            key = (deployment_id, name, labels, bucket)
            if key in merged:
                m = merged[key]
                m[0] += n
                m[1] += total
                m[2] = min(m[2], lo)
                m[3] = max(m[3], hi)
            else:
                merged[key] = [n, total, lo, hi]
    by_deployment: dict[int, list[int]] = defaultdict(list)
    for deployment_id, _n, _l, bucket in merged:
        by_deployment[deployment_id].append(bucket)
    existing: dict[tuple[int, str, str, int], Rollup] = {}
    for chunk in _chunks(sorted(by_deployment)):
        buckets = [b for d in chunk for b in by_deployment[d]]
        for rollup in Rollup.objects.filter(
            deployment_id__in=chunk, bucket__gte=min(buckets), bucket__lte=max(buckets)
        ):
            existing[(rollup.deployment_id, rollup.name, rollup.labels, rollup.bucket)] = rollup
    create, update = [], []
    for key, (n, total, lo, hi) in merged.items():
        rollup = existing.get(key)
        if rollup is None:
            deployment_id, name, labels, bucket = key
            create.append(
                Rollup(
                    deployment_id=deployment_id,
                    name=name,
                    labels=labels,
                    bucket=bucket,
                    count=n,
                    total=total,
                    min=lo,
                    max=hi,
                )
            )
        else:
            rollup.count += n
            rollup.total += total
            rollup.min = min(rollup.min, lo)
            rollup.max = max(rollup.max, hi)
            update.append(rollup)
    Rollup.objects.bulk_create(create, batch_size=CHUNK)
    Rollup.objects.bulk_update(update, ["count", "total", "min", "max"], batch_size=CHUNK)
    for chunk in _chunks(ids, 5000):
        IngestBatch.objects.filter(id__in=chunk).update(rolled_up_at=now)
    return len(ids)


@transaction.atomic
def monitoring_prune(*, now: datetime | None = None) -> PruneResult:
    """Drop raw samples past 48 hours (once rolled up and evaluated) and roll-ups past 30 days."""
    now = now or clock.now()
    pending = [
        IngestBatch.objects.filter(rolled_up_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:1],
        IngestBatch.objects.filter(evaluated_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:1],
    ]
    first_pending = min([ids[0] for ids in (list(q) for q in pending) if ids], default=None)
    samples = Sample.objects.filter(ts__lt=(now - RAW_RETENTION).timestamp())
    batches = IngestBatch.objects.filter(received_at__lt=now - RAW_RETENTION)
    if first_pending is not None:
        samples = samples.filter(batch_id__lt=first_pending)
        batches = batches.filter(id__lt=first_pending)
    sample_count = samples._raw_delete(samples.db)  # no signals, nothing cascades
    batch_count, _ = batches.delete()
    horizon = int((now - ROLLUP_RETENTION).timestamp())
    rollups = Rollup.objects.filter(bucket__lt=horizon)
    rollup_count = rollups._raw_delete(rollups.db)
    CycleRun.objects.filter(started_at__lt=now - RUN_RETENTION).delete()
    return PruneResult(sample_count, batch_count, rollup_count)
