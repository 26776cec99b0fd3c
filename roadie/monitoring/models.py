"""Monitoring data: ingest credentials, raw samples and roll-ups, rule settings and state,
alerts, incidents and their append-only history, silences and maintenance windows."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roadie.customers.models import Deployment, Product
from roadie.tickets.models import Ticket


class Severity(models.TextChoices):
    """An alert's own grade (Alertmanager labels, PagerDuty's payload.severity, a rule's)."""

    CRITICAL = "critical", _("Critical")
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")
    INFO = "info", _("Info")


SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}


class Source(models.TextChoices):
    RULE = "rule", _("Roadie rule")
    ALERTMANAGER = "alertmanager", _("Alertmanager")
    EVENTS = "events", _("Events API")


class IngestToken(models.Model):
    """A deployment's credential for the ingest endpoints; only its SHA-256 is stored."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="ingest_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ingest token")
        verbose_name_plural = _("ingest tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.deployment_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IngestBatch(models.Model):
    """One accepted metrics request: stored whole or not at all; the rule cycle and the roll-up
    task each mark the batches they have consumed."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    received_at = models.DateTimeField()
    # The agent's Idempotency-Key: a batch resent after a lost response is stored once.
    idempotency_key = models.CharField(max_length=100, blank=True)
    samples = models.PositiveIntegerField(default=0)
    first_ts = models.FloatField(null=True)
    last_ts = models.FloatField(null=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    rolled_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ingest batch")
        verbose_name_plural = _("ingest batches")
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="monitoring_batch_idempotency_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(evaluated_at__isnull=True), name="mon_batch_unevaluated"
            ),
            models.Index(
                fields=["id"], condition=Q(rolled_up_at__isnull=True), name="mon_batch_unrolled"
            ),
            models.Index(fields=["received_at"], name="mon_batch_received"),
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.samples} samples)"


class Sample(models.Model):
    """A raw metric sample, kept for a short while (the roll-ups keep the long view).

    `ts` is the sample's own time in epoch seconds: rules judge samples by it, and reading
    floats is what keeps a rule cycle over ten thousand deployments cheap.
    """

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    batch = models.ForeignKey(
        IngestBatch, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    name = models.CharField(max_length=64)
    # Canonical JSON of the labels ('' when there are none): one series per (name, labels).
    labels = models.CharField(max_length=200, blank=True)
    ts = models.FloatField()
    bucket = models.IntegerField()  # start of the sample's 5-minute roll-up bucket (epoch s)
    value = models.FloatField()

    class Meta:
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        indexes = [
            models.Index(fields=["deployment", "name", "labels", "ts"], name="mon_sample_series"),
            models.Index(fields=["ts"], name="mon_sample_ts"),
        ]

    def __str__(self) -> str:
        return f"{self.name}{self.labels} = {self.value}"

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, tz=UTC)


class Rollup(models.Model):
    """Five minutes of one series: count, sum, minimum, maximum. Kept for 30 days."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    name = models.CharField(max_length=64)
    labels = models.CharField(max_length=200, blank=True)
    bucket = models.IntegerField()
    count = models.PositiveIntegerField()
    total = models.FloatField()
    min = models.FloatField()
    max = models.FloatField()

    class Meta:
        verbose_name = _("roll-up")
        verbose_name_plural = _("roll-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "name", "labels", "bucket"], name="monitoring_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["bucket"], name="mon_rollup_bucket")]

    def __str__(self) -> str:
        return f"{self.name}{self.labels} @ {self.bucket}"

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


class DeploymentHealth(models.Model):
    """What Roadie last heard from a deployment, and the rules' working state for it.

    Ingest touches it with one UPDATE a batch (no read): the current figures are read from the
    samples themselves when a page asks for them."""

    deployment = models.OneToOneField(
        Deployment, on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    first_report_at = models.DateTimeField(null=True, blank=True)
    last_report_at = models.DateTimeField(_("last report"), null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    # The newest backup's time as the agent last saw it (sample time minus the backup's age),
    # and the time of the sample that said so (a later sample replaces it, an older one not).
    newest_backup_at = models.DateTimeField(_("newest backup"), null=True, blank=True)
    backup_seen_at = models.DateTimeField(null=True, blank=True)
    reported_version = models.CharField(_("reported version"), max_length=64, blank=True)
    agent = models.CharField(_("agent"), max_length=100, blank=True)
    # Small per-series rule state (threshold runs, leak buckets in progress, hit counters).
    rule_state = models.JSONField(default=dict, blank=True)
    # Closed memory floor buckets per series; read only when a bucket closes.
    leak_history = models.JSONField(default=dict, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("deployment health")
        verbose_name_plural = _("deployment health")

    def __str__(self) -> str:
        return f"health of deployment {self.deployment_id}"


class RuleName(models.TextChoices):
    CPU_HIGH = "cpu_high", _("CPU high")
    DISK_FULL = "disk_full", _("Disk almost full")
    SERVICE_DOWN = "service_down", _("Health check failing")
    HEARTBEAT_MISSING = "heartbeat_missing", _("Heartbeat missing")
    BACKUP_STALE = "backup_stale", _("Backup stale")
    MEMORY_LEAK = "memory_leak", _("Memory leak")


class RuleSetting(models.Model):
    """A product's default for one rule, or one deployment's override of it."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rule = models.CharField(_("rule"), max_length=32, choices=RuleName.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["rule", "id"]
        verbose_name = _("rule setting")
        verbose_name_plural = _("rule settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False, deployment__isnull=True)
                | Q(product__isnull=True, deployment__isnull=False),
                name="monitoring_rule_setting_one_scope",
            ),
            models.UniqueConstraint(
                fields=["product", "rule"],
                condition=Q(product__isnull=False),
                name="monitoring_rule_per_product",
            ),
            models.UniqueConstraint(
                fields=["deployment", "rule"],
                condition=Q(deployment__isnull=False),
                name="monitoring_rule_per_deployment",
            ),
        ]

    def __str__(self) -> str:
        scope = f"deployment {self.deployment_id}" if self.deployment_id else str(self.product)
        return f"{self.rule} · {scope}"


class Incident(models.Model):
    """Alerts of one deployment and one rule (or one Events API dedup_key), grouped."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("deployment")
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    rule = models.CharField(_("rule"), max_length=100)
    group_key = models.CharField(max_length=200)
    title = models.CharField(_("title"), max_length=300)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    dedup_key = models.CharField(_("dedup key"), max_length=255, blank=True)
    outage = models.BooleanField(_("outage"), default=False)
    opened_at = models.DateTimeField(_("opened"))
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    flaps = models.PositiveIntegerField(_("flaps"), default=0)
    flapping = models.BooleanField(_("flapping"), default=False)
    # A flapping incident resolves only after this long without a firing alert.
    quiet_since = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="monitoring_incidents",
        verbose_name=_("ticket"),
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "group_key"],
                condition=~Q(status="resolved"),
                name="monitoring_one_open_incident_per_group",
            )
        ]
        indexes = [
            models.Index(fields=["deployment", "status"], name="mon_incident_dep_status"),
            models.Index(
                fields=["deployment", "group_key", "resolved_at"], name="mon_incident_group"
            ),
            models.Index(fields=["status", "quiet_since"], name="mon_incident_quiet"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def page_source(self) -> str:
        return f"incident:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    @property
    def duration(self) -> timedelta | None:
        return (
            timedelta(seconds=self.duration_seconds) if self.duration_seconds is not None else None
        )


class Alert(models.Model):
    """One occurrence of one alert (a fingerprint from its start until it resolves)."""

    class Status(models.TextChoices):
        FIRING = "firing", _("Firing")
        RESOLVED = "resolved", _("Resolved")

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    fingerprint = models.CharField(_("fingerprint"), max_length=255)
    rule = models.CharField(_("rule"), max_length=100)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    outage = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    # "silence:<id>" or "maintenance:<id>" while a silence or maintenance window covers it.
    suppressed_by = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "source", "fingerprint"],
                condition=Q(status="firing"),
                name="monitoring_one_firing_alert_per_fingerprint",
            )
        ]
        indexes = [
            models.Index(fields=["deployment", "source", "fingerprint"], name="mon_alert_fp"),
            models.Index(fields=["status", "rule"], name="mon_alert_status_rule"),
        ]

    def __str__(self) -> str:
        return self.summary or self.rule

    @property
    def is_firing(self) -> bool:
        return self.status == self.Status.FIRING


class IncidentEvent(models.Model):
    """Append-only history of an incident."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ALERT_FIRED = "alert_fired", _("Alert fired")
        ALERT_RESOLVED = "alert_resolved", _("Alert resolved")
        SEVERITY_RAISED = "severity_raised", _("Severity raised")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        QUIET = "quiet", _("Quiet (waiting before resolving)")
        RESOLVED = "resolved", _("Resolved")
        REOPENED = "reopened", _("Reopened")
        FLAPPING = "flapping", _("Flapping")
        TICKET_OPENED = "ticket_opened", _("Ticket opened")
        TICKET_UPDATED = "ticket_updated", _("Ticket updated")
        TICKET_FAILED = "ticket_failed", _("Ticket not updated")
        PAGE_STARTED = "page_started", _("Page started")
        PAGE_FAILED = "page_failed", _("Page not started")
        PAGE_RESOLVED = "page_resolved", _("Page resolved")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"


class Silence(models.Model):
    """Alerts of one deployment (one rule, or every rule; optionally matching labels) that open
    no incident while the silence lasts."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="+", verbose_name=_("deployment")
    )
    rule = models.CharField(
        _("rule"), max_length=100, blank=True, help_text=_("Empty: every rule.")
    )
    matchers = models.JSONField(_("label matchers"), default=dict, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    comment = models.CharField(_("comment"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("silence")
        verbose_name_plural = _("silences")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="monitoring_silence_order"
            )
        ]

    def __str__(self) -> str:
        return self.comment

    def covers(self, *, rule: str, labels: dict[str, str], at: datetime) -> bool:
        if not (self.starts_at <= at < self.ends_at):
            return False
        if self.rule and self.rule != rule:
            return False
        return all(labels.get(key) == value for key, value in (self.matchers or {}).items())


class MaintenanceWindow(models.Model):
    """Planned work on a deployment: no alert of it opens an incident meanwhile."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="+", verbose_name=_("deployment")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="monitoring_maintenance_order"
            )
        ]

    def __str__(self) -> str:
        return self.reason

    def covers(self, *, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


class CycleRun(models.Model):
    """One run of the rule cycle or the storage task, for /metrics and the fleet view."""

    class Kind(models.TextChoices):
        EVALUATE = "evaluate", _("Rule cycle")
        MAINTAIN = "maintain", _("Roll-up and pruning")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    deployments = models.PositiveIntegerField(default=0)
    samples = models.PositiveIntegerField(default=0)
    transitions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("cycle run")
        verbose_name_plural = _("cycle runs")
        indexes = [models.Index(fields=["kind", "started_at"], name="mon_cycle_kind")]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.started_at:%Y-%m-%d %H:%M:%S}"
