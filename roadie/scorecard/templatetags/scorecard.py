"""Figures in words for the reports and the scorecard: `{% load scorecard %}`."""

from django import template
from django.utils.translation import gettext as _

from roadie.tickets.templatetags.sla_badges import duration_text

register = template.Library()


@register.filter
def span(seconds: float | None) -> str:
    """A duration in seconds as "1 h 12 min"; "—" when nothing was measured."""
    if seconds is None:
        return "—"
    return duration_text(seconds)


@register.filter
def pct(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(value)s %%") % {"value": f"{value:.1f}"}


@register.filter
def score(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f} / 5"


@register.filter
def within(seconds: float | None, minutes: object) -> str:
    """CSS class comparing an achieved time with a promised one: "ok" or "over"."""
    if seconds is None or not isinstance(minutes, int):
        return ""
    return "ok" if seconds <= minutes * 60 else "over"
