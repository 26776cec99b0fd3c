"""`{% load monitoring %}`: durations in words, and the small inline SVG chart."""

from typing import Any

from django import template
from django.utils.translation import gettext as _

from roadie.monitoring.charts import Spark

register = template.Library()


@register.filter
def duration(seconds: Any) -> str:
    """3725 → "1 h 2 min"; None → ""."""
    if seconds is None or seconds == "":
        return ""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": seconds}


@register.inclusion_tag("monitoring/_spark.html")
def spark(chart: Spark, label: str = "") -> dict[str, Any]:
    return {"spark": chart, "label": label}
