"""Event names callers pass to notify_user / notify_organization, with their labels.

Unknown events are allowed (they follow the "*" route); these are the ones a person can pick
in the preferences pages.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EVENTS: dict[str, Promise] = {
    "ticket.created": _("New ticket"),
    "ticket.reply": _("Reply on a ticket"),
    "ticket.status": _("Ticket status changed"),
    "ticket.assigned": _("Ticket assigned"),
    "sla.warning": _("SLA warning"),
    "sla.breach": _("SLA breached"),
    "oncall.page": _("Page (on-call)"),
    "oncall.shift_notice": _("On-call shift starts soon"),
    "oncall.handoff": _("On-call hand-off"),
    "advisory": _("Security advisory"),
    "release": _("New release"),
}

LINKS: dict[str, Promise] = {
    "acknowledge": _("Acknowledge"),
    "ticket": _("View ticket"),
    "open": _("Open"),
    "resolve": _("Resolve"),
    "page": _("Open page"),
    "advisory": _("Read advisory"),
}


def event_label(event: str) -> str | Promise:
    return EVENTS.get(event, event)


def link_label(name: str) -> str | Promise:
    return LINKS.get(name, name)
