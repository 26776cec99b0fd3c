"""Shape checks for the monitoring console pages; the rules live in roadie.monitoring.services."""

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from roadie.monitoring.models import RuleName
from roadie.monitoring.selectors import FLEET_FILTERS


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


def add_domain_error(form: forms.Form, field: str | None, message: str) -> None:
    form.add_error(field if field in form.fields else None, message)


class FleetFilterForm(forms.Form):
    show = forms.ChoiceField(choices=[(f, f) for f in FLEET_FILTERS], required=False)
    q = forms.CharField(max_length=100, required=False)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    replace = forms.BooleanField(
        label=_("Revoke the other tokens of this deployment (rotate)"), required=False
    )


class SilenceForm(forms.Form):
    rule = forms.CharField(
        label=_("Rule"),
        max_length=100,
        required=False,
        help_text=_("A Roadie rule, an Alertmanager alertname, or empty for every rule."),
    )
    matchers = forms.CharField(
        label=_("Labels"),
        max_length=500,
        required=False,
        help_text=_("Optional, e.g. process=srs, mount=/data"),
    )
    starts_at = forms.DateTimeField(label=_("From"), widget=DateTimeLocal(), required=False)
    ends_at = forms.DateTimeField(label=_("Until"), widget=DateTimeLocal())
    comment = forms.CharField(label=_("Why"), max_length=500)

    def clean_matchers(self) -> dict[str, str]:
        text = self.cleaned_data.get("matchers") or ""
        matchers = {}
        for part in text.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise forms.ValidationError(_("Write name=value pairs separated by commas."))
            key, value = part.split("=", 1)
            matchers[key.strip()] = value.strip()
        return matchers


class MaintenanceForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("From"), widget=DateTimeLocal(), required=False)
    ends_at = forms.DateTimeField(label=_("Until"), widget=DateTimeLocal())
    reason = forms.CharField(label=_("Reason"), max_length=500)


class RuleForm(forms.Form):
    rule = forms.ChoiceField(label=_("Rule"), choices=RuleName.choices)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    params = forms.CharField(
        label=_("Parameters (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_('e.g. {"threshold": 95, "for_seconds": 600}'),
    )
    clear = forms.BooleanField(label=_("Back to the defaults"), required=False)

    def clean_params(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("params") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("Not valid JSON."))
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Write an object, e.g. {"threshold": 95}.'))
        return value
