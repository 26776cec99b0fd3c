"""Shape checks for the on-call console pages; the rules live in roadie.oncall.services.

Times are entered as wall-clock times in the schedule's zone (the view activates it).
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from roadie.accounts.models import STAFF_ROLES, User

WEEK_CHOICES = [(n, n) for n in (1, 2, 4, 8, 13, 26)]


def staff_choices() -> Any:
    return User.objects.filter(is_active=True, role__in=list(STAFF_ROLES)).order_by("email")


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class _SpanForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Person"))
    start = forms.DateTimeField(label=_("From"), widget=DateTimeLocal())
    end = forms.DateTimeField(label=_("Until"), widget=DateTimeLocal())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        return data


class OverrideForm(_SpanForm):
    pass


class LeaveForm(_SpanForm):
    pass


class WeeksForm(forms.Form):
    """?weeks=N on coverage pages; anything else falls back to the default."""

    weeks = forms.TypedChoiceField(choices=WEEK_CHOICES, coerce=int, required=False)
