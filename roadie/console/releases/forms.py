"""Shape checks for the console's release and advisory pages; the rules live in the services."""

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from roadie.customers.models import Product
from roadie.releases.models import Advisory, Cost, DeliveryMode, Kind, Release
from roadie.releases.services import RangeSpec


def add_domain_error(form: forms.Form, field: str | None, message: str) -> None:
    form.add_error(field if field in form.fields else None, message)


class ReleaseForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.all(), to_field_name="slug"
    )
    version = forms.CharField(label=_("Version"), max_length=64, help_text=_("SemVer, e.g. 2.5.0"))
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Derive from the previous release")), *Kind.choices],
    )
    kind_reason = forms.CharField(
        label=_("Reason for another kind"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Release.Channel.choices)
    released_on = forms.DateField(
        label=_("Released on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end_of_support_on = forms.DateField(
        label=_("End of support"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=_("Release notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown."),
    )
    upgrade_guide = forms.CharField(
        label=_("Upgrade guide"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown."),
    )
    compatibility_notes = forms.CharField(
        label=_("Compatibility notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ArtifactForm(forms.Form):
    file = forms.FileField(label=_("File"), required=False)
    url = forms.URLField(label=_("…or a link"), required=False, assume_scheme="https")
    name = forms.CharField(label=_("Name"), required=False, max_length=255)
    sha256 = forms.CharField(
        label=_("SHA-256"),
        required=False,
        max_length=64,
        help_text=_("Required for links; for files it is computed and must match if given."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not data.get("url"):
            raise forms.ValidationError(_("Upload a file or give a link."))
        return data


class RangeForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.all(), to_field_name="slug", required=False
    )
    introduced = forms.CharField(
        label=_("Introduced in"),
        required=False,
        max_length=64,
        initial="0",
        help_text=_("0 = every earlier version"),
    )
    fixed = forms.CharField(
        label=_("Fixed in"), required=False, max_length=64, help_text=_("Empty = no fix yet")
    )


RangeFormSet = formset_factory(RangeForm, extra=2)


def range_specs(formset: Any) -> list[RangeSpec]:
    specs = []
    for form in formset.forms:
        data = form.cleaned_data if form.is_valid() else {}
        if data.get("product"):
            specs.append(
                RangeSpec(
                    product=data["product"].slug,
                    introduced=data.get("introduced") or "0",
                    fixed=data.get("fixed") or "",
                    field=f"affected.{len(specs)}",
                )
            )
    return specs


def add_range_error(formset: Any, field: str, message: str) -> bool:
    """Put a service error "affected.N.fixed" on the Nth filled range row."""
    parts = field.split(".")
    if len(parts) != 3 or parts[0] != "affected" or not parts[1].isdigit():
        return False
    filled = [f for f in formset.forms if f.is_valid() and f.cleaned_data.get("product")]
    index = int(parts[1])
    if index >= len(filled):
        return False
    filled[index].add_error(parts[2] if parts[2] in filled[index].fields else None, message)
    return True


class AdvisoryForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    cvss_vector = forms.CharField(
        label=_("CVSS vector"),
        max_length=200,
        help_text=_("CVSS:3.1/AV:N/AC:L/… or CVSS:4.0/AV:N/AC:L/AT:N/…"),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown."),
    )
    workarounds = forms.CharField(
        label=_("Workarounds"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    aliases = forms.CharField(
        label=_("Aliases"), required=False, help_text=_("Comma-separated, e.g. CVE-2026-1234")
    )
    references = forms.CharField(
        label=_("References"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One link per line, optionally preceded by its type (FIX, REPORT, WEB, …)."),
    )
    credits = forms.CharField(
        label=_("Credits"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One name per line."),
    )

    def aliases_list(self) -> list[str]:
        return [a.strip() for a in self.cleaned_data["aliases"].split(",") if a.strip()]

    def references_list(self) -> list[dict[str, str]]:
        out = []
        for line in self.cleaned_data["references"].splitlines():
            parts = line.split()
            if len(parts) == 1:
                out.append({"type": "WEB", "url": parts[0]})
            elif len(parts) >= 2:
                out.append({"type": parts[0].upper(), "url": parts[1]})
        return out

    def credits_list(self) -> list[dict[str, str]]:
        return [{"name": n.strip()} for n in self.cleaned_data["credits"].splitlines() if n.strip()]

    @staticmethod
    def initial_for(advisory: Advisory) -> dict[str, Any]:
        return {
            "title": advisory.title,
            "cvss_vector": advisory.cvss_vector,
            "description": advisory.description,
            "workarounds": advisory.workarounds,
            "aliases": ", ".join(advisory.aliases),
            "references": "\n".join(f"{r['type']} {r['url']}" for r in advisory.references),
            "credits": "\n".join(c["name"] for c in advisory.credits),
        }


class ImportForm(forms.Form):
    document = forms.CharField(
        label=_("OSV JSON"), widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"})
    )


class EmbargoForm(forms.Form):
    embargo_until = forms.DateTimeField(
        label=_("Public from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Affected customers are told at publication; everyone else from this time."),
    )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EntitlementForm(forms.Form):
    patch_cost = forms.ChoiceField(label=_("Patch releases"), choices=Cost.choices)
    minor_cost = forms.ChoiceField(label=_("Minor releases"), choices=Cost.choices)
    minor_allowance_per_year = forms.IntegerField(
        label=_("Minor releases included per contract year"), min_value=0, max_value=100
    )
    major_cost = forms.ChoiceField(label=_("Major releases"), choices=Cost.choices)
    delivery_mode = forms.ChoiceField(label=_("Delivery"), choices=DeliveryMode.choices)
    support_until = forms.DateField(
        label=_("Support until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the contract's end."),
    )
