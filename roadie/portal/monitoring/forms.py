"""Shape checks for the customer's monitoring pages; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    replace = forms.BooleanField(
        label=_("Revoke the other tokens of this deployment (rotate)"), required=False
    )


class MaintenanceForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("From"), widget=DateTimeLocal(), required=False)
    ends_at = forms.DateTimeField(label=_("Until"), widget=DateTimeLocal())
    reason = forms.CharField(label=_("Reason"), max_length=500)
