"""Template helpers of the customer portal: `{% load portal %}`."""

from django import template
from django.utils.translation import gettext as _

from roadie.portal.tickets.labels import customer_status_label
from roadie.tickets.models import Kind, Severity, TicketEvent

register = template.Library()

# Changes a customer has no use for (internal tags, who watches) stay out of their timeline.
HIDDEN_EVENTS = frozenset(
    {
        TicketEvent.Kind.TAGS_CHANGED,
        TicketEvent.Kind.WATCHER_ADDED,
        TicketEvent.Kind.WATCHER_REMOVED,
        # A reopen also writes a status change from resolved/closed to open, which says it all.
        TicketEvent.Kind.REOPENED,
    }
)


@register.filter
def customer_status(status: str) -> str:
    return customer_status_label(status)


def _choice_label(choices: type, value: object) -> str:
    try:
        return str(choices(value).label)  # type: ignore[call-arg]
    except ValueError:
        return str(value)


@register.simple_tag
def event_text(event: TicketEvent) -> str:
    """One line about a change, in the customer's words; "" for changes not worth showing."""
    data = event.data or {}
    kind = event.kind
    if kind in HIDDEN_EVENTS:
        return ""
    if kind == TicketEvent.Kind.CREATED:
        return _("Filed the ticket")
    if kind == TicketEvent.Kind.STATUS_CHANGED:
        return _("Status: %(old)s → %(new)s") % {
            "old": customer_status_label(str(data.get("old", ""))),
            "new": customer_status_label(str(data.get("new", ""))),
        }
    if kind == TicketEvent.Kind.SEVERITY_CHANGED:
        return _("Severity: %(old)s → %(new)s") % {
            "old": _choice_label(Severity, data.get("old")),
            "new": _choice_label(Severity, data.get("new")),
        }
    if kind == TicketEvent.Kind.KIND_CHANGED:
        return _("Kind: %(old)s → %(new)s") % {
            "old": _choice_label(Kind, data.get("old")),
            "new": _choice_label(Kind, data.get("new")),
        }
    if kind == TicketEvent.Kind.ASSIGNED:
        return _("An engineer is handling this ticket") if data.get("new") else ""
    if kind == TicketEvent.Kind.ATTACHMENT_ADDED:
        return _("Attached %(name)s") % {"name": data.get("name", "")}
    return str(event.get_kind_display())
