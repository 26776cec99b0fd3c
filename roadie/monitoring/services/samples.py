"""Storing a metrics batch: whole or not at all, once per Idempotency-Key."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Greatest

from roadie.core import clock
from roadie.customers.models import Deployment
from roadie.customers.services import deployment_set_version, validate_version
from roadie.monitoring.ingest import CheckedSample, MetricsIn, check_samples
from roadie.monitoring.models import DeploymentHealth, IngestBatch, Sample

ROLLUP_SECONDS = 300


@dataclass(frozen=True)
class IngestResult:
    batch: int
    accepted: int
    duplicate: bool = False


def _aware(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _is_agent_heartbeat(sample: CheckedSample) -> bool:
    # heartbeat{probe="http"} is a health check's verdict; the agent's own beat has no probe.
    return sample.name == "heartbeat" and sample.value > 0 and '"probe":' not in sample.labels


def _later(field: str, value: datetime) -> Greatest:
    return Greatest(Coalesce(F(field), Value(value)), Value(value))


def _touch_health(
    deployment: Deployment,
    samples: list[CheckedSample],
    *,
    now: datetime,
    version: str | None,
    agent: str | None,
) -> None:
    """One UPDATE (the row is created on the first report): last report, last heartbeat, the
    newest backup as the latest backup_age_seconds sample tells it."""
    changes: dict[str, Any] = {
        "last_report_at": Value(now),
        "first_report_at": Coalesce(F("first_report_at"), Value(now)),
    }
    beats = [s.ts for s in samples if _is_agent_heartbeat(s)]
    if beats:
        changes["last_heartbeat_at"] = _later("last_heartbeat_at", _aware(max(beats)))
    backups = [s for s in samples if s.name == "backup_age_seconds" and not s.labels]
    if backups:
        latest = max(backups, key=lambda s: s.ts)
        seen = _aware(latest.ts)
        newer = Q(backup_seen_at__isnull=True) | Q(backup_seen_at__lte=seen)
        changes["newest_backup_at"] = Case(
            When(newer, then=Value(_aware(latest.ts - max(latest.value, 0.0)))),
            default=F("newest_backup_at"),
        )
        changes["backup_seen_at"] = _later("backup_seen_at", seen)
    if version:
        changes["reported_version"] = Value(version)
    if agent:
        changes["agent"] = Value(agent[:100])
    health = DeploymentHealth.objects.filter(deployment=deployment)
    if not health.update(**changes):
        try:
            with transaction.atomic():
                DeploymentHealth.objects.create(deployment=deployment)
        except IntegrityError:
            pass  # another request created it meanwhile
        health.update(**changes)


def _insert_samples(deployment_id: int, batch_id: int, samples: list[CheckedSample]) -> None:
    """One executemany: the ORM's bulk_create costs more than the insert itself for the dozen
    samples an agent sends a minute."""
    table = connection.ops.quote_name(Sample._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (deployment_id, batch_id, name, labels, ts, bucket, value)"  # noqa: S608
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    deployment_id,
                    batch_id,
                    s.name,
                    s.labels,
                    s.ts,
                    int(s.ts // ROLLUP_SECONDS) * ROLLUP_SECONDS,
                    s.value,
                )
                for s in samples
            ],
        )


def samples_ingest(
    *,
    deployment: Deployment,
    payload: MetricsIn,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> IngestResult:
    """Store a batch. Any sample outside [now − 7 days, now + 5 min] refuses the whole batch
    (SampleOutsideWindow names its index); a resent batch (same key) is stored once.

    A changed product version in the batch updates the deployment's version."""
    now = now or clock.now()
    checked = check_samples(payload.samples, now=now)
    if payload.version:
        validate_version(payload.version)
    key = (idempotency_key or "").strip()[:100]
    try:
        with transaction.atomic():
            # No look-up first: the unique key refuses a resent batch (the common case is new).
            batch = IngestBatch.objects.create(
                deployment=deployment,
                received_at=now,
                idempotency_key=key,
                samples=len(checked),
                first_ts=min(s.ts for s in checked),
                last_ts=max(s.ts for s in checked),
            )
            _insert_samples(deployment.pk, batch.pk, checked)
            _touch_health(
                deployment, checked, now=now, version=payload.version, agent=payload.agent
            )
            if payload.version and payload.version != deployment.version:
                deployment_set_version(deployment=deployment, version=payload.version)
            return IngestResult(batch.pk, len(checked))
    except IntegrityError:
        existing = IngestBatch.objects.filter(deployment=deployment, idempotency_key=key).first()
        if key and existing is not None:
            return IngestResult(existing.pk, existing.samples, duplicate=True)
        raise
