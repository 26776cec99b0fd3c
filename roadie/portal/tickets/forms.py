"""Forms of the customer portal: shape checks only; the ticket services hold the rules."""

from collections.abc import Sequence

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from roadie.accounts.models import User
from roadie.customers.models import Deployment, Module, Product
from roadie.customers.selectors import deployments_visible
from roadie.portal.tickets.labels import CUSTOMER_STATUS_LABELS
from roadie.tickets.attachments import ALLOWED_TYPES, CheckedUpload, check_upload
from roadie.tickets.errors import AttachmentRejected
from roadie.tickets.models import SEVERITY_DEFINITIONS, Kind, Severity
from roadie.tickets.services import MAX_TITLE

MAX_FILES = 10
ACCEPT = ",".join(sorted({ext for exts in ALLOWED_TYPES.values() for ext in exts}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by roadie.tickets.attachments."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def clean(self, data: object, initial: object = None) -> list[CheckedUpload]:  # type: ignore[override]
        files: Sequence[UploadedFile]
        if isinstance(data, list | tuple):
            files = [f for f in data if f]
        else:
            files = [data] if data else []  # type: ignore[list-item]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(max)s files at a time.") % {"max": MAX_FILES}
            )
        checked: list[CheckedUpload] = []
        errors: list[str] = []
        limit = settings.ROADIE_MAX_UPLOAD_BYTES
        for upload in files:
            # Never read more than one byte past the limit: that is enough to refuse the file.
            data_bytes = upload.read(limit + 1)
            try:
                checked.append(
                    check_upload(
                        name=upload.name or "",
                        declared_type=upload.content_type or "",
                        data=data_bytes,
                    )
                )
            except AttachmentRejected as error:
                errors.append(error.message)
        if errors:
            raise forms.ValidationError(errors)
        return checked


def _help_attachments() -> str:
    return _("Screenshots, logs, PDF or zip files; up to %(mb)s MB each.") % {
        "mb": settings.ROADIE_MAX_UPLOAD_BYTES // (1024 * 1024)
    }


class ModuleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Module) -> str:  # type: ignore[override]
        return f"{obj.product.name} · {obj.name}"


def modules_for(user: User) -> QuerySet[Module]:
    """Modules of the products the customer's organization has deployed."""
    products = Product.objects.filter(deployments__organization_id=user.organization_id)
    return (
        Module.objects.filter(product__in=products)
        .select_related("product")
        .order_by("product__name", "name")
    )


class TicketForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=MAX_TITLE,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Co-hosting drops after 30 seconds")}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Markdown: **bold**, `code`, lists, links. Put logs in a ``` block. Say what you did, "
            "what you expected and what happened instead."
        ),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, widget=forms.RadioSelect
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Kind.choices,
        initial=Kind.INCIDENT,
        help_text=_(
            "Defects in our code are fixed free of charge. "
            "Change requests are evaluated and quoted separately."
        ),
    )
    module = ModuleChoiceField(
        label=_("Module"), queryset=Module.objects.none(), required=False, empty_label=_("Not sure")
    )
    deployment = forms.ModelChoiceField(
        label=_("Deployment"),
        queryset=Deployment.objects.none(),
        required=False,
        empty_label=_("Not sure"),
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["module"].queryset = modules_for(user)  # type: ignore[attr-defined]
        self.fields["deployment"].queryset = deployments_visible(viewer=user)  # type: ignore[attr-defined]
        self.fields["attachments"].help_text = _help_attachments()

    def severity_options(self) -> list[tuple[forms.BoundField, str]]:
        """Each radio button with the definition a customer grades against."""
        return [
            (radio, str(SEVERITY_DEFINITIONS[Severity(radio.data["value"])]))
            for radio in self["severity"]
        ]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown is supported."),
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["attachments"].help_text = _help_attachments()


TAB_CHOICES = [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))]
SORT_CHOICES = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("severity", _("Most severe first")),
]


class TicketFilterForm(forms.Form):
    tab = forms.ChoiceField(choices=TAB_CHOICES, required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or RD-number")}),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("Any severity")), *Severity.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *CUSTOMER_STATUS_LABELS.items()],
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
