"""Roadie's own health in the Prometheus text format (version 0.0.4): counts, no tenant data."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Min
from huey.contrib.djhuey import HUEY

from roadie.monitoring.models import Alert, CycleRun, DeploymentHealth, Incident, IngestBatch
from roadie.notifications.models import OutboxMessage
from roadie.oncall.models import Page
from roadie.tickets.models import Ticket

Metric = tuple[str, str, str, list[tuple[dict[str, str], float]]]  # name, type, help, samples


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(metrics: Iterable[Metric]) -> str:
    lines = []
    for name, kind, help_text, samples in metrics:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
            lines.append(f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}")
    return "\n".join(lines) + "\n"


def _counts(qs, field: str) -> list[tuple[dict[str, str], float]]:  # type: ignore[no-untyped-def]
    return [
        ({field: str(key)}, float(n))
        for key, n in qs.values_list(field).annotate(n=Count("pk")).order_by(field)
    ]


def gather(*, now: datetime) -> list[Metric]:
    metrics: list[Metric] = [("roadie_up", "gauge", "Roadie answers.", [({}, 1.0)])]
    metrics.append(
        (
            "roadie_tickets_open",
            "gauge",
            "Open tickets by severity.",
            _counts(Ticket.objects.filter(is_open=True), "severity"),
        )
    )
    metrics.append(
        (
            "roadie_outbox_messages",
            "gauge",
            "Outgoing messages by status.",
            _counts(OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT), "status"),
        )
    )
    metrics.append(
        (
            "roadie_pages_open",
            "gauge",
            "On-call pages not resolved, by status.",
            _counts(Page.objects.exclude(status=Page.Status.RESOLVED), "status"),
        )
    )
    metrics.append(
        (
            "roadie_monitoring_incidents_open",
            "gauge",
            "Monitoring incidents not resolved, by severity.",
            _counts(Incident.objects.exclude(status=Incident.Status.RESOLVED), "severity"),
        )
    )
    metrics.append(
        (
            "roadie_monitoring_alerts_firing",
            "gauge",
            "Firing alerts by source.",
            _counts(Alert.objects.filter(status=Alert.Status.FIRING), "source"),
        )
    )
    reporting = DeploymentHealth.objects.filter(
        last_report_at__gte=now - timedelta(minutes=10)
    ).count()
    metrics.append(
        (
            "roadie_monitoring_deployments_reporting",
            "gauge",
            "Deployments that reported in the last 10 minutes.",
            [({}, float(reporting))],
        )
    )
    backlog = IngestBatch.objects.filter(evaluated_at__isnull=True).aggregate(
        n=Count("pk"), oldest=Min("received_at")
    )
    lag = (now - backlog["oldest"]).total_seconds() if backlog["oldest"] else 0.0
    metrics.append(
        (
            "roadie_monitoring_batches_unevaluated",
            "gauge",
            "Ingested batches the rule cycle has not read yet.",
            [({}, float(backlog["n"]))],
        )
    )
    metrics.append(
        (
            "roadie_monitoring_evaluation_lag_seconds",
            "gauge",
            "Age of the oldest batch the rule cycle has not read yet.",
            [({}, max(lag, 0.0))],
        )
    )
    durations, last_runs = [], []
    for kind in CycleRun.Kind.values:
        run = CycleRun.objects.filter(kind=kind).order_by("-started_at", "-id").first()
        if run is not None:
            durations.append(({"kind": kind}, run.duration_ms / 1000))
            last_runs.append(({"kind": kind}, run.started_at.timestamp()))
    metrics.append(
        (
            "roadie_monitoring_cycle_duration_seconds",
            "gauge",
            "How long the last rule cycle or storage run took.",
            durations,
        )
    )
    metrics.append(
        (
            "roadie_monitoring_cycle_last_run_timestamp_seconds",
            "gauge",
            "When the last rule cycle or storage run started.",
            last_runs,
        )
    )
    try:
        pending = float(HUEY.pending_count())
    except Exception:  # the queue's store may be unreachable; /metrics still answers
        pending = -1.0
    metrics.append(
        ("roadie_task_queue_pending", "gauge", "Tasks waiting in the queue.", [({}, pending)])
    )
    return metrics
