"""Channel forms: shape only; the services check URLs, owners and limits."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from roadie.customers.models import Organization
from roadie.notifications.models import ChannelKind

LANGUAGE_CHOICES = [("zh-hans", "简体中文"), ("en", "English")]
VENDOR = ""


class ChannelCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    owner = forms.ChoiceField(label=_("Belongs to"), required=False)
    url = forms.CharField(
        label=_("URL or address"),
        max_length=1000,
        help_text=_("The robot's webhook URL, or the e-mail address for an e-mail channel."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=500,
        required=False,
        help_text=_("DingTalk and Feishu robots with signing on, and generic webhooks."),
        widget=forms.PasswordInput(render_value=False),
    )
    rate_limit_per_minute = forms.IntegerField(
        label=_("Messages per minute"),
        min_value=0,
        required=False,
        help_text=_("Empty: the platform's limit (DingTalk and WeCom 20, Feishu 100)."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(VENDOR, _("Vendor team"))] + [
            (str(o.pk), o.name) for o in Organization.objects.order_by("name")
        ]

    def organization(self) -> Organization | None:
        owner = self.cleaned_data.get("owner") or VENDOR
        if owner == VENDOR:
            return None
        return Organization.objects.filter(pk=int(owner)).first()


class ChannelEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.CharField(label=_("URL or address"), max_length=1000)
    secret = forms.CharField(
        label=_("New signing secret"),
        max_length=500,
        required=False,
        help_text=_("Leave empty to keep the current secret."),
        widget=forms.PasswordInput(render_value=False),
    )
    rate_limit_per_minute = forms.IntegerField(label=_("Messages per minute"), min_value=0)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
