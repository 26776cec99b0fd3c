"""SLA badges and promises in templates: `{% load sla_badges %}`.

`{% sla_badge ticket "staff" %}` (or "customer") renders templates/tickets/_sla_badge.html: the
clock that matters now, as text rendered here ("response due in 1 h 12 min") and, for a running
or breached clock, a data-due attribute that static/roadie/app.js counts down every 30 s.
`{{ promise|promise_text }}` words a target ("30 min, 7×24", "2 business hours").
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from roadie.core import clock
from roadie.sla.selectors import ClockPromise
from roadie.tickets import sla
from roadie.tickets.models import Status, Ticket

register = template.Library()

RESPONSE = "response"
RESOLUTION = "resolution"

# Badge kinds: a running clock counts down, a breached one counts up since it ran out.
RUNNING = "running"
BREACHED = "breached"
PAUSED = "paused"
MET = "met"
MISSED = "missed"


@dataclass(frozen=True)
class Badge:
    kind: str
    clock: str = ""
    due: datetime | None = None  # running/breached: the instant the countdown refers to
    duration: str = ""  # "1 h 12 min": until due (running) or since due (breached)
    units: str = ""  # the unit words for app.js: "{n} d|{n} h|{n} min|less than a minute"


def _unit(name: str, n: int | str) -> str:
    count = n if isinstance(n, int) else 2
    if name == "d":
        return ngettext("%(n)s d", "%(n)s d", count) % {"n": n}
    if name == "h":
        return ngettext("%(n)s h", "%(n)s h", count) % {"n": n}
    return ngettext("%(n)s min", "%(n)s min", count) % {"n": n}


def duration_text(seconds: float) -> str:
    """The two largest units of a duration, rounded down: "2 d 3 h", "1 h 12 min", "5 min"."""
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return _("less than a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [_unit("d", days)] + ([_unit("h", hours)] if hours else [])
    elif hours:
        parts = [_unit("h", hours)] + ([_unit("min", minutes)] if minutes else [])
    else:
        parts = [_unit("min", minutes)]
    return " ".join(parts)


def units_for_script() -> str:
    return "|".join(
        [_unit("d", "{n}"), _unit("h", "{n}"), _unit("min", "{n}"), _("less than a minute")]
    )


def sla_badge_for(ticket: Ticket, *, now: datetime) -> Badge | None:
    """The badge of a ticket's clocks at ``now``; None for a ticket without SLA.

    Uses roadie.tickets.sla.status (the API's `sla`), stored columns only: no queries.
    """
    status = sla.status(ticket, now=now)
    if status is None:
        return None
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        if status.response_breached:
            return Badge(MISSED, RESPONSE)
        if status.resolution_breached:
            return Badge(MISSED, RESOLUTION)
        return Badge(MET)
    if ticket.status == Status.WAITING:
        return Badge(PAUSED)
    response_pending = ticket.first_response_at is None and status.response_due_at is not None
    if response_pending and (
        status.resolution_due_at is None or status.response_due_at <= status.resolution_due_at  # type: ignore[operator]
    ):
        which, due = RESPONSE, status.response_due_at
    else:
        which, due = RESOLUTION, status.resolution_due_at
    if due is None:
        return None
    left = (due - now).total_seconds()
    return Badge(
        RUNNING if left > 0 else BREACHED,
        which,
        due,
        duration_text(abs(left)),
        units_for_script(),
    )


@register.inclusion_tag("tickets/_sla_badge.html")
def sla_badge(ticket: Ticket, audience: str = "staff") -> dict[str, Any]:
    """`{% sla_badge ticket "customer" %}`: customers read "waiting on you"."""
    return {
        "badge": sla_badge_for(ticket, now=clock.now()),
        "for_customer": audience == "customer",
    }


@register.filter
def promise_text(promise: ClockPromise) -> str:
    """A target in words: "30 min, 7×24", "8 h, 7×24", "2 business hours"."""
    minutes = promise.minutes
    if promise.always_open:
        if minutes % 60:
            amount = ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
        else:
            amount = ngettext("%(n)s hour", "%(n)s hours", minutes // 60) % {"n": minutes // 60}
        return _("%(amount)s, 7×24") % {"amount": amount}
    if minutes % 60:
        return ngettext("%(n)s business minute", "%(n)s business minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)s business hour", "%(n)s business hours", hours) % {"n": hours}


def _weekday(index: int) -> str:
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    return names[index]


@register.filter
def business_hours_text(promise: ClockPromise) -> str:
    """When a business-hours clock runs: "09:00–18:00, Mon–Fri, Chinese working calendar"."""
    if promise.always_open:
        return _("around the clock, every day (7×24)")
    days = list(promise.weekdays)
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 1:
        span = f"{_weekday(days[0])}–{_weekday(days[-1])}"
    else:
        span = ", ".join(_weekday(d) for d in days)
    text = f"{promise.opens}–{promise.closes}, {span}"
    if promise.lunch:
        text += ", " + _("lunch break %(start)s–%(end)s") % {
            "start": promise.lunch[0],
            "end": promise.lunch[1],
        }
    if promise.chinese:
        text += ", " + _("Chinese working calendar (holidays off, adjusted working days on)")
    if promise.time_zone:
        text += f" ({promise.time_zone})"
    return text


def promise_signature(promise: ClockPromise) -> tuple[Any, ...]:
    return (promise.opens, promise.closes, promise.lunch, promise.weekdays, promise.chinese)


@register.simple_tag
def business_calendars(commitments: list[Any]) -> list[ClockPromise]:
    """The distinct business-hours calendars among the commitments (to explain them once)."""
    seen: dict[tuple[Any, ...], ClockPromise] = {}
    for commitment in commitments:
        for promise in (commitment.response, commitment.resolution):
            if not promise.always_open:
                seen.setdefault(promise_signature(promise) + (promise.time_zone,), promise)
    return list(seen.values())
