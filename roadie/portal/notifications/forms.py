"""The customer's notification preferences: an events × channels grid, quiet hours."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from roadie.notifications.events import EVENTS
from roadie.notifications.models import ChannelKind
from roadie.notifications.quiet import is_valid_zone

TIME_ZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
]
# Events a customer hears about; on-call paging is the vendor's own business.
CUSTOMER_EVENTS = [
    "ticket.created",
    "ticket.reply",
    "ticket.status",
    "sla.warning",
    "sla.breach",
    "advisory",
    "release",
]


class PreferenceForm(forms.Form):
    quiet_start = forms.TimeField(
        label=_("Quiet hours start"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours end"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Messages in quiet hours wait until they end; urgent ones never wait."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"))
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        required=False,
        help_text=_("Used to @-mention you in WeCom and DingTalk groups."),
    )

    def __init__(
        self,
        *args: Any,
        targets: list[tuple[str, str]],
        routes: dict[str, list[str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        zone = self.initial.get("time_zone") or "Asia/Shanghai"
        zones = TIME_ZONES if zone in TIME_ZONES else [zone, *TIME_ZONES]
        self.fields["time_zone"].choices = [(z, z) for z in zones]
        self.targets = targets
        self.events = [(name, EVENTS[name]) for name in CUSTOMER_EVENTS]
        default = routes.get("*", ["email"])
        for event, _label in self.events:
            chosen = routes.get(event, default)
            for target, _name in targets:
                self.fields[self.key(event, target)] = forms.BooleanField(
                    required=False, initial=target in chosen
                )

    @staticmethod
    def key(event: str, target: str) -> str:
        return f"route__{event}__{target}"

    def grid(self) -> list[tuple[str, Any, list[forms.BoundField]]]:
        return [
            (event, label, [self[self.key(event, target)] for target, _name in self.targets])
            for event, label in self.events
        ]

    def routes(self) -> dict[str, list[str]]:
        return {
            event: [t for t, _name in self.targets if self.cleaned_data.get(self.key(event, t))]
            for event, _label in self.events
        }

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data["time_zone"]
        if not is_valid_zone(zone):
            raise forms.ValidationError(_("Unknown time zone."))
        return str(zone)


class OrganizationChannelForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k, label) for k, label in ChannelKind.choices if k != ChannelKind.EMAIL]
        + [(ChannelKind.EMAIL, ChannelKind.EMAIL.label)],
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.CharField(
        label=_("URL or address"),
        max_length=1000,
        help_text=_("The robot's webhook URL, or the e-mail address for an e-mail channel."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("zh-hans", "简体中文"), ("en", "English")]
    )
