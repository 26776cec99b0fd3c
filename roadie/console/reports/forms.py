"""Shape checks for the SLA report's query string; an invalid value falls back, never errors."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roadie.customers.models import Organization
from roadie.scorecard.selectors import BUCKETS
from roadie.tickets.models import Severity

# Longest period one report reads.
MAX_DAYS = 3 * 366
DEFAULT_DAYS = 90

BUCKET_CHOICES = [
    ("", _("Automatic")),
    ("day", _("Day")),
    ("week", _("Week")),
    ("month", _("Month")),
]


class ReportForm(forms.Form):
    organization = forms.ChoiceField(label=_("Organization"), required=False)
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("Any severity")), *Severity.choices],
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Until (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    bucket = forms.ChoiceField(label=_("Per"), required=False, choices=BUCKET_CHOICES)

    def __init__(self, data: Any, *, organizations: list[Organization]) -> None:
        super().__init__(data)
        self.organizations = {o.slug: o for o in organizations}
        self.fields["organization"].choices = [
            ("", _("All organizations")),
            *((o.slug, o.name) for o in organizations),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        elif start and end and (end - start).days > MAX_DAYS:
            self.add_error("end", _("Ask for at most %(days)s days.") % {"days": MAX_DAYS})
        return data

    def value(self, name: str) -> Any:
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None

    def period(self, now: datetime) -> tuple[date, date]:
        """The chosen dates (inclusive), by default the last DEFAULT_DAYS days up to today."""
        today = timezone.localdate(now)
        end = self.value("end") or today
        start = self.value("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if end < start or (end - start).days > MAX_DAYS:
            start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
        return start, end

    def chosen_organization(self) -> Organization | None:
        return self.organizations.get(self.value("organization") or "")

    def chosen_bucket(self) -> str:
        value = self.value("bucket") or ""
        return value if value in BUCKETS else ""


def day_range(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the current time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )
