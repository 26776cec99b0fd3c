import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Severity lives in core (SLA policies use it too); importers may keep using it from here.
from roadie.core.choices import SEVERITY_DEFINITIONS, Severity
from roadie.customers.models import Deployment, Module, Organization

NUMBER_PREFIX = "RD-"
NUMBER_RE = re.compile(r"^RD-(\d{1,18})$", re.IGNORECASE)


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    DEFECT = "defect", _("Defect")
    CHANGE_REQUEST = "change_request", _("Change request")
    QUESTION = "question", _("Question")
    SECURITY = "security", _("Security")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.WAITING})
# The earliest due time still pending on a running ticket: the response due time until the
# first response (unless the resolution falls due first), then the resolution due time.  Null
# while the clocks stand still (waiting on the customer: sla_paused_at is set; resolved or
# closed: not is_open) and for tickets without SLA.  The "due first" queue orders by it through
# the partial functional index ticket_due_queue.  It holds no literal values on purpose: SQLite
# uses an indexed expression only when the query's copy is identical, bound parameters included.
_RUNNING = models.Q(is_open=True, sla_paused_at__isnull=True)
PENDING_DUE = models.Case(
    models.When(
        _RUNNING
        & models.Q(
            first_response_at__isnull=True, response_due_at__lt=models.F("resolution_due_at")
        ),
        then=models.F("response_due_at"),
    ),
    models.When(_RUNNING, then=models.F("resolution_due_at")),
    default=None,
    output_field=models.DateTimeField(),
)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("organization"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INCIDENT)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    # Derived from status, stored so the open queues are one index range.
    is_open = models.BooleanField(default=True)
    module = models.ForeignKey(
        Module, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("module")
    )
    deployment = models.ForeignKey(
        Deployment, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("deployment")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_tickets"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    # SLA clocks (roadie.tickets.sla, rules in docs/sla.md). The snapshot holds the targets and
    # calendars bound when the ticket was opened, so editing a policy later rewrites no ticket.
    sla_snapshot = models.JSONField(default=dict, blank=True)
    # Intervals the clocks stood still: [{"from": iso, "to": iso | null, "why": "waiting" |
    # "stopped"}], oldest first; an open interval (to = null) is the current pause.
    sla_pauses = models.JSONField(default=list, blank=True)
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True, db_index=True)
    resolution_due_at = models.DateTimeField(
        _("resolution due"), null=True, blank=True, db_index=True
    )
    # Start of the current wait for the customer (status waiting), else null.
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    # Wall-clock seconds spent waiting on the customer, in total.
    paused_seconds = models.PositiveIntegerField(default=0)
    # Business time the clock had used when it stopped (for reports); null while it runs.
    response_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    # The earliest SLA warning/breach instant not yet recorded: the sweep reads only these.
    next_sla_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalated = models.BooleanField(_("escalated"), default=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # Staff queues: escalated tickets rise within their severity.  The open ones are
            # partial indexes: `is_open` compiles to a bare column, which SQLite cannot use as
            # the equality prefix of an index but does match against an index's WHERE.
            models.Index(
                fields=["-severity", "-escalated", "-id"],
                condition=models.Q(is_open=True),
                name="ticket_open_queue_esc",
            ),
            models.Index(
                fields=["organization", "is_open", "-severity", "-id"], name="ticket_org_queue"
            ),
            models.Index(
                fields=["assignee", "-severity", "-escalated", "-id"],
                condition=models.Q(is_open=True),
                name="ticket_mine_esc",
            ),
            models.Index(
                fields=["status", "-severity", "-escalated", "-id"], name="ticket_status_queue_esc"
            ),
            models.Index(fields=["organization", "-id"], name="ticket_org_recent"),
            # Partial: only open tickets have anything pending (SQLite puts NULLs first).
            models.Index(
                PENDING_DUE,
                models.F("id"),
                condition=models.Q(is_open=True),
                name="ticket_due_queue",
            ),
            # Reports read a period of tickets; the satisfaction survey reads recent resolutions.
            models.Index(fields=["created_at"], name="ticket_created"),
            models.Index(fields=["resolved_at"], name="ticket_resolved"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"{NUMBER_PREFIX}{self.pk}"

    @staticmethod
    def pk_from_number(number: str) -> int | None:
        match = NUMBER_RE.match((number or "").strip())
        return int(match.group(1)) if match else None

    @property
    def severity_definition(self) -> str:
        return str(SEVERITY_DEFINITIONS[Severity(self.severity)])


class Comment(models.Model):
    """A public reply or an internal note on a ticket."""

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        EMAIL = "email", _("E-mail")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ticket_comments"
    )
    body = models.TextField(_("body"))
    public = models.BooleanField(_("public"), default=True)
    # Automatic messages (acknowledgements) never stop the response clock.
    is_auto = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_timeline")]

    def __str__(self) -> str:
        return f"{self.ticket.number} · {self.author}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.ticket_id}/{instance.sha256[:16]}-{filename}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=500)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class TicketEvent(models.Model):
    """Append-only history: who changed what and when."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        COMMENTED = "commented", _("Replied")
        NOTE_ADDED = "note_added", _("Internal note")
        STATUS_CHANGED = "status_changed", _("Status changed")
        SEVERITY_CHANGED = "severity_changed", _("Severity changed")
        KIND_CHANGED = "kind_changed", _("Kind changed")
        ASSIGNED = "assigned", _("Assigned")
        WATCHER_ADDED = "watcher_added", _("Watcher added")
        WATCHER_REMOVED = "watcher_removed", _("Watcher removed")
        TAGS_CHANGED = "tags_changed", _("Tags changed")
        ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
        REOPENED = "reopened", _("Reopened")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        ESCALATED = "escalated", _("Escalated")
        SATISFACTION_SENT = "satisfaction_sent", _("Satisfaction survey sent")
        SATISFACTION_ANSWERED = "satisfaction_answered", _("Satisfaction rated")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    # Internal events (notes) are hidden from customers.
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_timeline")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class SatisfactionSurvey(models.Model):
    """The one-question survey of a resolved ticket (roadie.tickets.satisfaction): 1–5 and a
    comment, answered once, through a signed link in the e-mail or on the portal ticket page."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="satisfaction", verbose_name=_("ticket")
    )
    created_at = models.DateTimeField(_("created"))
    # When the e-mail was queued; null if the customer answered in the portal before any e-mail.
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="satisfaction_score_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.score or '-'}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class InboundMail(models.Model):
    """Every e-mail Roadie received: threaded onto a ticket, or held for review."""

    class Status(models.TextChoices):
        THREADED = "threaded", _("Added to a ticket")
        CREATED = "created", _("Opened a ticket")
        HELD = "held", _("Held for review")
        DISCARDED = "discarded", _("Discarded")

    message_id = models.CharField(max_length=500, unique=True)
    sender = models.CharField(_("sender"), max_length=320)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    raw = models.BinaryField()
    status = models.CharField(max_length=16, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        indexes = [models.Index(fields=["status", "-received_at"], name="inbound_status")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"
