from datetime import date, time
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from roadie.core.choices import Severity
from roadie.customers.models import Contract, Tier
from roadie.sla import clocks
from roadie.sla.calendar import WorkingCalendar
from roadie.sla.clocks import calendar_from_spec, calendar_spec


def default_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class Calendar(models.Model):
    """When an SLA clock runs: always, or working hours on working days."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    always_open = models.BooleanField(_("always open (7×24)"), default=False)
    start_time = models.TimeField(_("opens at"), default=time(9))
    end_time = models.TimeField(_("closes at"), default=time(18))
    lunch_start = models.TimeField(_("lunch break from"), null=True, blank=True)
    lunch_end = models.TimeField(_("lunch break to"), null=True, blank=True)
    # Working weekdays, 0 = Monday.
    weekdays = models.JSONField(_("working weekdays"), default=default_weekdays)
    use_chinese_calendar = models.BooleanField(
        _("follow the Chinese holiday calendar"),
        default=True,
        help_text=_("Statutory holidays are off and adjusted working days (调休) are on."),
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self) -> str:
        return self.name

    @property
    def lunch(self) -> tuple[time, time] | None:
        if self.lunch_start is None or self.lunch_end is None:
            return None
        return (self.lunch_start, self.lunch_end)

    def spec(self, *, time_zone: str | None = None) -> dict[str, Any]:
        """The snapshot form; ``time_zone`` (a contract's zone) replaces the calendar's own."""
        return calendar_spec(
            tz=time_zone or self.time_zone,
            always_open=self.always_open,
            start=self.start_time,
            end=self.end_time,
            lunch=self.lunch,
            weekdays=self.weekdays,
            chinese=self.use_chinese_calendar,
        )

    def working_calendar(
        self, *, time_zone: str | None = None, overrides: dict[date, bool] | None = None
    ) -> WorkingCalendar:
        """Raises roadie.sla.calendar.CalendarError if the hours make no sense."""
        return calendar_from_spec(self.spec(time_zone=time_zone), overrides)


class CalendarOverride(models.Model):
    """A date the holiday library gets wrong or does not know yet (e.g. next year's holidays).

    Applies to every calendar that follows the Chinese calendar.
    """

    date = models.DateField(_("date"), unique=True)
    is_working = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday calendar correction")
        verbose_name_plural = _("holiday calendar corrections")

    def __str__(self) -> str:
        return f"{self.date} {'working' if self.is_working else 'holiday'}"


class Policy(models.Model):
    """The promised response and resolution times of one tier and severity."""

    tier = models.ForeignKey(
        Tier, on_delete=models.CASCADE, related_name="sla_policies", verbose_name=_("tier")
    )
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    response_minutes = models.PositiveIntegerField(_("response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))
    response_calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, related_name="+", verbose_name=_("response calendar")
    )
    resolution_calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, related_name="+", verbose_name=_("resolution calendar")
    )
    warning_percent = models.PositiveSmallIntegerField(_("warn at (% of the target)"), default=75)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tier", "severity"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["tier", "severity"], name="sla_policy_per_severity")
        ]

    def __str__(self) -> str:
        return f"{self.tier} · {self.get_severity_display()}"


class ContractTarget(models.Model):
    """A contract's own targets for one severity, replacing its tier's."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="sla_targets", verbose_name=_("contract")
    )
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    response_minutes = models.PositiveIntegerField(
        _("response target (minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (minutes)"), null=True, blank=True
    )

    class Meta:
        ordering = ["contract", "severity"]
        verbose_name = _("contract SLA target")
        verbose_name_plural = _("contract SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "severity"], name="sla_contract_target_per_severity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract} · {self.get_severity_display()}"


class SlaEvent(models.Model):
    """A threshold a ticket's clock crossed, recorded exactly once by the sweep."""

    class Clock(models.TextChoices):
        RESPONSE = clocks.RESPONSE, _("Response")
        RESOLUTION = clocks.RESOLUTION, _("Resolution")

    class Threshold(models.TextChoices):
        WARNING = clocks.WARNING, _("Warning")
        BREACH = clocks.BREACH, _("Breach")
        STALE_14D = clocks.STALE, _("Defect open 14 days")

    # A string reference: sla never imports tickets.
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    clock = models.CharField(max_length=16, choices=Clock.choices)
    threshold = models.CharField(max_length=16, choices=Threshold.choices)
    # When the threshold was reached (the sweep may record it a little later).
    at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    # The sweep run that recorded it: after an insert that ignores conflicts, the rows carrying
    # its own run id are the ones this run may act on (notify, escalate).
    run = models.CharField(max_length=32)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "clock", "threshold"], name="sla_event_once_per_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.clock} {self.threshold}"


class Revision(models.Model):
    """One row whose token changes with anything a ticket's SLA snapshot reads.

    Tiers, calendars, holiday corrections, policies and contract targets change rarely and
    are read on every new ticket; each process caches them under the token it read
    (roadie.sla.selectors). A token, not a counter: a rolled-back change must never hand its
    number to a later change with other contents.
    """

    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("SLA settings revision")

    def __str__(self) -> str:
        return self.token
