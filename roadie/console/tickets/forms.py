"""Shape checks for the console's ticket pages; the rules live in the services."""

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from roadie.accounts.models import User
from roadie.customers.models import Deployment, Module, Organization
from roadie.tickets.attachments import CheckedUpload, check_upload
from roadie.tickets.errors import AttachmentRejected
from roadie.tickets.models import SEVERITY_DEFINITIONS, Kind, Severity, Status

QUEUES = [
    ("mine", _("Mine")),
    ("unassigned", _("Unassigned")),
    ("open", _("All open")),
    ("closed", _("Closed")),
    ("all", _("All")),
]
SORTS = [
    ("severity", _("Severity (urgent first)")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
]
UNASSIGN = "none"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; cleans to a list of CheckedUpload (type and size checked)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[CheckedUpload]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(f, initial) for f in files if f]
        return check_uploads(files)


def check_uploads(files: Iterable[UploadedFile]) -> list[CheckedUpload]:
    """Every file checked; all refusals reported together so nothing is stored."""
    limit = settings.ROADIE_MAX_UPLOAD_BYTES
    checked, errors = [], []
    for upload in files:
        try:
            # Reading one byte past the limit is enough for check_upload to refuse it.
            data = upload.read(limit + 1)
            checked.append(
                check_upload(
                    name=upload.name or "", declared_type=upload.content_type or "", data=data
                )
            )
        except AttachmentRejected as error:
            errors.append(forms.ValidationError(error.message, code=error.code))
    if errors:
        raise forms.ValidationError(errors)
    return checked


def _any(label: str, choices: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class QueueFilterForm(forms.Form):
    """The queue's query string; an invalid value is dropped, never an error page."""

    queue = forms.ChoiceField(choices=QUEUES, required=False)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or RD-123")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_any(_("Any status"), Status.choices)
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=_any(_("Any severity"), Severity.choices)
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_any(_("Any kind"), Kind.choices)
    )
    organization = forms.ChoiceField(label=_("Organization"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)

    def __init__(
        self,
        data: Any,
        *,
        organizations: Sequence[Organization],
        staff: Sequence[User],
    ) -> None:
        super().__init__(data)
        self.fields["organization"].choices = _any(
            _("Any organization"), [(o.slug, o.name) for o in organizations]
        )
        self.fields["assignee"].choices = _any(
            _("Anyone"), [(u.email, u.display_name) for u in staff]
        )

    def value(self, name: str) -> str:
        if not self.is_bound:
            return ""
        self.is_valid()
        return str(self.cleaned_data.get(name) or "")


class BulkAssignForm(forms.Form):
    tickets = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={
            "required": _("Select at least one ticket."),
        },
    )
    assignee = forms.ChoiceField(error_messages={"required": _("Choose an assignee.")})

    def __init__(self, data: Any, *, ticket_ids: Iterable[int], staff: Sequence[User]) -> None:
        super().__init__(data)
        self.staff = {str(u.pk): u for u in staff}
        self.fields["tickets"].choices = [(str(pk), str(pk)) for pk in ticket_ids]
        self.fields["assignee"].choices = [
            ("", _("Assign to…")),
            (UNASSIGN, _("Nobody (unassign)")),
            *[(pk, u.display_name) for pk, u in self.staff.items()],
        ]

    def assignee_user(self) -> User | None:
        value = self.cleaned_data["assignee"]
        return None if value == UNASSIGN else self.staff[value]


class DeploymentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Deployment) -> str:
        return f"{obj.organization.name} · {obj}"


class ModuleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Module) -> str:
        return f"{obj.product.name} · {obj.name}"


class TicketCreateForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none()
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown is supported."),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, widget=forms.RadioSelect
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.INCIDENT)
    module = ModuleChoiceField(label=_("Module"), required=False, queryset=Module.objects.none())
    deployment = DeploymentChoiceField(
        label=_("Deployment"), required=False, queryset=Deployment.objects.none()
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(
        self,
        *args: Any,
        organizations: QuerySet[Organization],
        modules: QuerySet[Module],
        deployments: QuerySet[Deployment],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["module"].queryset = modules
        self.fields["deployment"].queryset = deployments
        # Choosing the organization reloads the deployment list with its deployments only.
        self.fields["organization"].widget.attrs.update(
            {
                "hx-get": reverse("console:ticket_new_deployments"),
                "hx-target": "#deployment-field",
                "hx-swap": "outerHTML",
            }
        )

    def severity_options(self) -> list[tuple[Any, str]]:
        """Each radio button with the definition of its grade, shown beside it."""
        return [
            (radio, str(SEVERITY_DEFINITIONS.get(radio.data["value"], "")))
            for radio in self["severity"]
        ]

    def add_domain_error(self, field: str | None, message: str) -> None:
        self.add_error(_field_for(self, field, {"file": "attachments"}), message)


def _field_for(form: forms.Form, field: str | None, aliases: dict[str, str]) -> str | None:
    field = aliases.get(field or "", field)
    return field if field in form.fields else None


class ReplyForm(forms.Form):
    PUBLIC, INTERNAL = "public", "internal"

    body = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown is supported."),
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[(PUBLIC, _("Public reply")), (INTERNAL, _("Internal note"))],
        initial=PUBLIC,
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(label=_("Attachments"))

    @property
    def is_public(self) -> bool:
        return self.cleaned_data["visibility"] == self.PUBLIC

    def add_domain_error(self, field: str | None, message: str) -> None:
        self.add_error(_field_for(self, field, {"file": "attachments"}), message)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)


class KindForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    def __init__(self, data: Any, *, staff: Sequence[User]) -> None:
        super().__init__(data)
        self.staff = {str(u.pk): u for u in staff}
        self.fields["assignee"].choices = [("", ""), *[(pk, "") for pk in self.staff]]

    def assignee_user(self) -> User | None:
        value = self.cleaned_data["assignee"]
        return self.staff[value] if value else None


class TagsForm(forms.Form):
    tags = forms.CharField(label=_("Tags"), required=False, max_length=1000)

    def names(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]


class WatchForm(forms.Form):
    watching = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1"
    )


class MailAcceptForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none()
    )

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
