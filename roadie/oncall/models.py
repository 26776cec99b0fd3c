"""On-call: teams, schedules (rotations, shifts, overrides, leave), escalation policies, pages."""

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A group of people an escalation step can notify all at once."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="oncall_teams", blank=True, verbose_name=_("members")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Schedule(models.Model):
    """A rota: who is on call when, in layers; hand-offs are in the schedule's time zone."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("on-call schedule")
        verbose_name_plural = _("on-call schedules")

    def __str__(self) -> str:
        return self.name


class Rotation(models.Model):
    """Members take turns of a day or a week (times `interval`), handing off at a local time."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="rotations", verbose_name=_("schedule")
    )
    name = models.CharField(_("name"), max_length=100)
    # Higher layers win wherever they have someone on call.
    layer = models.PositiveSmallIntegerField(_("layer"), default=1)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WEEKLY)
    interval = models.PositiveSmallIntegerField(
        _("shift length"), default=1, help_text=_("In days (daily) or weeks (weekly).")
    )
    handoff_time = models.TimeField(_("hand-off time"), default=time(9))
    # The first member's shift starts at the hand-off time on this date.
    start_date = models.DateField(_("start date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["schedule", "-layer", "name"]
        verbose_name = _("rotation")
        verbose_name_plural = _("rotations")

    def __str__(self) -> str:
        return f"{self.schedule} · {self.name}"


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_rotations"
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["rotation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "position"], name="oncall_rotation_member_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rotation} #{self.position} {self.user}"


class ImportedCalendar(models.Model):
    """Shifts kept as iCalendar text (RFC 5545): each event is a shift of the person it names.

    Recurring events are expanded when a window is read, so an open-ended RRULE needs no
    materialised rows.
    """

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="calendars", verbose_name=_("schedule")
    )
    layer = models.PositiveSmallIntegerField(_("layer"), default=1)
    source = models.TextField(_("iCalendar text"))
    # E-mail (lower case) → user id, resolved and checked at import.
    people = models.JSONField(default=dict)
    event_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["schedule", "-layer"]
        verbose_name = _("imported calendar")
        verbose_name_plural = _("imported calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "layer"], name="oncall_one_calendar_per_layer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule} · layer {self.layer}"


class Override(models.Model):
    """Someone covers [start, end) on a schedule, above every layer (a swap is two of these)."""

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("schedule")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="oncall_overrides",
        verbose_name=_("covered by"),
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("override")
        verbose_name_plural = _("overrides")
        indexes = [models.Index(fields=["schedule", "end"], name="oncall_override_window")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="oncall_override_order")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"


class Leave(models.Model):
    """A person is away over [start, end): never on call then, on any schedule."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="oncall_leaves",
        verbose_name=_("person"),
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("leave")
        verbose_name_plural = _("leave")
        indexes = [models.Index(fields=["end", "start"], name="oncall_leave_window")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="oncall_leave_order")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"


class ShiftNotice(models.Model):
    """A notice before a shift or a hand-off summary, sent once: its key says which."""

    key = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("shift notice")
        verbose_name_plural = _("shift notices")

    def __str__(self) -> str:
        return self.key


class PersonalFeed(models.Model):
    """The secret address of a person's own on-call calendar; only its SHA-256 is stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("personal on-call feed")
        verbose_name_plural = _("personal on-call feeds")

    def __str__(self) -> str:
        return str(self.user)


class EscalationPolicy(models.Model):
    """An ordered ladder of steps, run `repeat_times` more times if nobody acknowledges."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(
        _("default policy"), default=False, help_text=_("Used for urgent tickets.")
    )
    repeat_times = models.PositiveSmallIntegerField(
        _("repeat the ladder"), default=0, help_text=_("Extra runs after the first.")
    )
    # 0: an acknowledged page waits for its resolution however long it takes.
    ack_timeout_minutes = models.PositiveIntegerField(
        _("page again if acknowledged but not resolved within (minutes)"), default=0
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="oncall_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """Notify someone, then wait; a `policy` step runs another policy's ladder in its place."""

    class Kind(models.TextChoices):
        SCHEDULE = "schedule", _("Whoever is on call on a schedule")
        USER = "user", _("A person")
        TEAM = "team", _("A team")
        POLICY = "policy", _("Another policy's steps")

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    schedule = models.ForeignKey(
        Schedule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    wait_minutes = models.PositiveIntegerField(_("then wait (minutes)"), default=5)

    class Meta:
        ordering = ["policy", "position"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="oncall_step_position")
        ]

    def __str__(self) -> str:
        return f"{self.policy} #{self.position} {self.kind}"


class Page(models.Model):
    """Someone must act: the frozen ladder climbs until a person acknowledges."""

    class Status(models.TextChoices):
        TRIGGERED = "triggered", _("Paging")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="pages"
    )
    # What started it, generically ("ticket:RD-12", "sla:RD-12:resolution:breach", "manual").
    source = models.CharField(_("source"), max_length=200, db_index=True)
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(_("link"), max_length=500, blank=True)
    urgent = models.BooleanField(_("urgent"), default=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.TRIGGERED
    )
    # The policy as it was when the page started (Rule 7): editing the policy changes no page.
    ladder = models.JSONField(default=dict)
    # Index of the next step over all runs: run = index // len(steps).
    step_index = models.PositiveIntegerField(default=0)
    # When the sweep must next look at this page; None when there is nothing left to do.
    next_step_at = models.DateTimeField(null=True, blank=True, db_index=True)
    repage_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    @property
    def steps(self) -> list[dict[str, object]]:
        return list(self.ladder.get("steps", []))

    @property
    def total_steps(self) -> int:
        return len(self.steps) * (int(self.ladder.get("repeat_times", 0)) + 1)


class PageEvent(models.Model):
    """The append-only timeline of a page: who was notified when, through which channel."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        NOTIFIED = "notified", _("Notified")
        UNREACHABLE = "unreachable", _("Could not notify")
        NOBODY = "nobody", _("Nobody to notify")
        EXHAUSTED = "exhausted", _("Ladder exhausted")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REPAGED = "repaged", _("Paged again")
        RESOLVED = "resolved", _("Resolved")

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    # Who acted (acknowledged, resolved) or who was notified.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=32, blank=True)
    # 1-based step of the ladder and 1-based run, when the event belongs to a step.
    step = models.PositiveIntegerField(null=True, blank=True)
    run = models.PositiveIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("page event")
        verbose_name_plural = _("page events")

    def __str__(self) -> str:
        return f"{self.page_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
