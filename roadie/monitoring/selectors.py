"""Reads for monitoring; reads across the customer boundary take the viewer."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from roadie.accounts.models import User
from roadie.customers.models import Deployment
from roadie.customers.selectors import deployments_visible
from roadie.monitoring.charts import Spark, downsample, sparkline
from roadie.monitoring.models import (
    Alert,
    DeploymentHealth,
    Incident,
    IncidentEvent,
    IngestToken,
    MaintenanceWindow,
    Rollup,
    RuleSetting,
    Sample,
    Silence,
    Source,
)
from roadie.monitoring.rules import (
    BACKUP_STALE,
    DEFAULTS,
    HEARTBEAT_MISSING,
    MEMORY_LEAK,
    RuleConfig,
    effective_rules,
    labels_of,
)

MAX_ROWS = 500


# --- deployments and incidents, as the viewer may see them ------------------------------------


def deployment_get(*, viewer: User, deployment_id: int) -> Deployment:
    """Raises Deployment.DoesNotExist for a deployment the viewer may not see."""
    return deployments_visible(viewer=viewer).select_related("health").get(pk=deployment_id)


def incidents_visible(*, viewer: User) -> QuerySet[Incident]:
    qs = Incident.objects.select_related(
        "deployment__organization", "deployment__product", "ticket"
    )
    if viewer.is_vendor_staff:
        return qs
    return qs.filter(deployment__organization_id=viewer.organization_id)


def incident_get(*, viewer: User, incident_id: int) -> Incident:
    """Raises Incident.DoesNotExist for an incident the viewer may not see."""
    return incidents_visible(viewer=viewer).get(pk=incident_id)


def incident_events(*, incident: Incident) -> list[IncidentEvent]:
    return list(incident.events.select_related("actor"))


def incident_alerts(*, incident: Incident) -> list[Alert]:
    return list(incident.alerts.order_by("-starts_at", "-id")[:MAX_ROWS])


def incidents_of(
    *, deployment: Deployment, limit: int = 50
) -> tuple[list[Incident], list[Incident]]:
    """Open incidents (all) and past ones (the latest `limit`)."""
    qs = Incident.objects.filter(deployment=deployment).select_related("ticket")
    open_ = list(qs.exclude(status=Incident.Status.RESOLVED).order_by("-opened_at"))
    past = list(qs.filter(status=Incident.Status.RESOLVED).order_by("-resolved_at")[:limit])
    return open_, past


# --- the fleet -----------------------------------------------------------------------------


def _firing(rule: str) -> Exists:
    return Exists(
        Alert.objects.filter(
            deployment_id=OuterRef("pk"),
            source=Source.RULE,
            rule=rule,
            status=Alert.Status.FIRING,
        )
    )


FLEET_FILTERS = ("all", "silent", "leaking", "backups", "incidents", "unmonitored")


def fleet(*, viewer: User, show: str = "all", q: str = "") -> list[Deployment]:
    """Deployments with their health and flags: silent, leaking, behind on backups."""
    qs = (
        deployments_visible(viewer=viewer)
        .select_related("health")
        .annotate(
            is_silent=_firing(HEARTBEAT_MISSING),
            is_leaking=_firing(MEMORY_LEAK),
            is_backup_behind=_firing(BACKUP_STALE),
            open_incidents=Count(
                "incidents", filter=~Q(incidents__status=Incident.Status.RESOLVED)
            ),
        )
        .order_by("organization__name", "product__name", "environment", "pk")
    )
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(organization__name__icontains=q)
            | Q(organization__slug__icontains=q)
            | Q(product__name__icontains=q)
        )
    if show == "silent":
        qs = qs.filter(is_silent=True)
    elif show == "leaking":
        qs = qs.filter(is_leaking=True)
    elif show == "backups":
        qs = qs.filter(is_backup_behind=True)
    elif show == "incidents":
        qs = qs.filter(open_incidents__gt=0)
    elif show == "unmonitored":
        qs = qs.filter(health__isnull=True)
    return list(qs[:MAX_ROWS])


def fleet_counts(*, viewer: User) -> dict[str, int]:
    visible = deployments_visible(viewer=viewer)
    firing = Alert.objects.filter(
        source=Source.RULE, status=Alert.Status.FIRING, deployment__in=visible
    )
    by_rule = dict(
        firing.values("rule")
        .annotate(n=Count("deployment_id", distinct=True))
        .values_list("rule", "n")
    )
    return {
        "all": visible.count(),
        "silent": by_rule.get(HEARTBEAT_MISSING, 0),
        "leaking": by_rule.get(MEMORY_LEAK, 0),
        "backups": by_rule.get(BACKUP_STALE, 0),
        "incidents": Incident.objects.filter(deployment__in=visible)
        .exclude(status=Incident.Status.RESOLVED)
        .values("deployment_id")
        .distinct()
        .count(),
    }


# --- one deployment's page ------------------------------------------------------------------


@dataclass
class Figure:
    key: str
    label: str
    value: float
    unit: str
    at: datetime


def _when(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


FIGURE_WINDOW = timedelta(hours=2)


def latest_values(*, deployment: Deployment, now: datetime) -> dict[str, dict[str, list[float]]]:
    """The latest (time, value) of each series: from the raw samples of the last two hours, or
    else from the newest 5-minute roll-ups (their mean)."""
    data: dict[str, dict[str, list[float]]] = defaultdict(dict)
    rows = (
        Sample.objects.filter(deployment=deployment, ts__gte=(now - FIGURE_WINDOW).timestamp())
        .order_by("ts", "id")
        .values_list("name", "labels", "ts", "value")
    )
    for name, key, ts, value in rows:
        data[name][key] = [ts, value]
    if data:
        return dict(data)
    newest = Rollup.objects.filter(deployment=deployment).order_by("-bucket").first()
    if newest is None:
        return {}
    for name, key, bucket, total, count in (
        Rollup.objects.filter(deployment=deployment, bucket__gte=newest.bucket - 3600)
        .order_by("bucket")
        .values_list("name", "labels", "bucket", "total", "count")
    ):
        data[name][key] = [float(bucket), total / count if count else 0.0]
    return dict(data)


def figures(*, deployment: Deployment, now: datetime) -> list[Figure]:
    """The latest value of each series, in a stable order, with its unit."""
    data = latest_values(deployment=deployment, now=now)
    rows: list[Figure] = []

    def add(name: str, label: str, unit: str, scale: float = 1.0) -> None:
        for key, (ts, value) in sorted(data.get(name, {}).items()):
            labels = labels_of(key)
            suffix = " ".join(f"{v}" for v in labels.values())
            rows.append(Figure(name, f"{label} {suffix}".strip(), value / scale, unit, _when(ts)))

    add("heartbeat", "heartbeat", "")
    add("cpu_percent", "CPU", "%")
    add("load1", "load1", "")
    add("memory_used_bytes", "memory used", "GB", 1e9)
    add("memory_total_bytes", "memory total", "GB", 1e9)
    add("process_rss_bytes", "RSS", "MB", 1e6)
    add("disk_used_percent", "disk", "%")
    add("live_streams", "live streams", "")
    add("backup_age_seconds", "backup age", "h", 3600)
    known = {
        "heartbeat",
        "cpu_percent",
        "load1",
        "memory_used_bytes",
        "memory_total_bytes",
        "process_rss_bytes",
        "disk_used_percent",
        "live_streams",
        "backup_age_seconds",
    }
    for name in sorted(set(data) - known):
        add(name, name, "")
    return rows


@dataclass
class Chart:
    title: str
    unit: str
    day: Spark
    week: Spark
    scale: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


def charts(*, deployment: Deployment, now: datetime) -> list[Chart]:
    """Charts over the last 24 hours (5-minute points) and 7 days (hourly points)."""
    end = int(now.timestamp())
    week_start = end - 7 * 86400
    day_start = end - 86400
    series: dict[tuple[str, str], list[tuple[int, float, int]]] = defaultdict(list)
    rows = Rollup.objects.filter(deployment=deployment, bucket__gte=week_start).values_list(
        "name", "labels", "bucket", "total", "count"
    )
    for name, key, bucket, total, count in rows:
        series[(name, key)].append((bucket, total, count))

    def spark_pair(
        points: list[tuple[int, float, int]],
        *,
        scale: float = 1.0,
        low: float | None = None,
        high: float | None = None,
    ) -> tuple[Spark, Spark]:
        scaled = [(b, t / scale, c) for b, t, c in points]
        day = downsample([p for p in scaled if p[0] >= day_start], 300)
        week = downsample(scaled, 3600)
        return (
            sparkline(day, start=day_start, end=end, step=300, low=low, high=high),
            sparkline(week, start=week_start, end=end, step=3600, low=low, high=high),
        )

    result = []
    if ("cpu_percent", "") in series:
        day, week = spark_pair(series[("cpu_percent", "")], low=0, high=100)
        result.append(Chart("CPU", "%", day, week))
    used, total = series.get(("memory_used_bytes", "")), series.get(("memory_total_bytes", ""))
    if used and total:
        totals = {b: t / c for b, t, c in total if c}
        percent = [(b, t / c / totals[b] * 100, 1) for b, t, c in used if c and totals.get(b)]
        day, week = spark_pair(percent, low=0, high=100)
        result.append(Chart("memory", "%", day, week))
    for (name, key), points in sorted(series.items()):
        labels = " ".join(labels_of(key).values())
        if name == "process_rss_bytes":
            day, week = spark_pair(points, scale=1e6, low=0)
            result.append(Chart(f"RSS {labels}", "MB", day, week))
        elif name == "disk_used_percent":
            day, week = spark_pair(points, low=0, high=100)
            result.append(Chart(f"disk {labels}", "%", day, week))
    for name, title in (("load1", "load1"), ("live_streams", "live streams")):
        if (name, "") in series:
            day, week = spark_pair(series[(name, "")], low=0)
            result.append(Chart(title, "", day, week))
    return result


def ingest_tokens_of(*, deployment: Deployment) -> list[IngestToken]:
    return list(deployment.ingest_tokens.select_related("created_by"))


def silences_of(*, deployment: Deployment, now: datetime) -> list[Silence]:
    return list(
        Silence.objects.filter(deployment=deployment, ends_at__gt=now - timedelta(days=7))
        .select_related("created_by")
        .order_by("-starts_at")[:50]
    )


def maintenance_of(*, deployment: Deployment, now: datetime) -> list[MaintenanceWindow]:
    return list(
        MaintenanceWindow.objects.filter(deployment=deployment, ends_at__gt=now - timedelta(days=7))
        .select_related("created_by")
        .order_by("-starts_at")[:50]
    )


@dataclass
class EffectiveRule:
    rule: str
    config: RuleConfig
    layer: str  # "default", "product" or "deployment"


def rules_of(*, deployment: Deployment) -> list[EffectiveRule]:
    settings = list(
        RuleSetting.objects.filter(Q(product=deployment.product_id) | Q(deployment=deployment))
    )
    product = {s.rule: (s.enabled, s.params) for s in settings if s.product_id}
    own = {s.rule: (s.enabled, s.params) for s in settings if s.deployment_id}
    effective = effective_rules(product, own)
    return [
        EffectiveRule(
            rule,
            effective[rule],
            "deployment" if rule in own else "product" if rule in product else "default",
        )
        for rule in DEFAULTS
    ]


@dataclass
class Overview:
    """Everything the per-deployment page shows, for the console and the portal alike."""

    deployment: Deployment
    health: DeploymentHealth | None
    figures: list[Figure]
    charts: list[Chart]
    open_incidents: list[Incident]
    past_incidents: list[Incident]
    firing: list[Alert]
    maintenance: list[MaintenanceWindow]
    silent: bool
    leaking: bool
    backup_behind: bool


def deployment_overview(*, deployment: Deployment, now: datetime) -> Overview:
    health = DeploymentHealth.objects.filter(deployment=deployment).first()
    open_, past = incidents_of(deployment=deployment)
    firing = list(
        Alert.objects.filter(deployment=deployment, status=Alert.Status.FIRING).order_by(
            "rule", "starts_at"
        )[:MAX_ROWS]
    )
    rules = {a.rule for a in firing if a.source == Source.RULE}
    return Overview(
        deployment=deployment,
        health=health,
        figures=figures(deployment=deployment, now=now),
        charts=charts(deployment=deployment, now=now),
        open_incidents=open_,
        past_incidents=past,
        firing=firing,
        maintenance=maintenance_of(deployment=deployment, now=now),
        silent=HEARTBEAT_MISSING in rules,
        leaking=MEMORY_LEAK in rules,
        backup_behind=BACKUP_STALE in rules,
    )
