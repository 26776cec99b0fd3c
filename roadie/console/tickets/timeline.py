"""Ticket events as sentences a person reads: "Li Wei changed the status from New to Open"."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from roadie.tickets.models import Kind, Severity, Status, TicketEvent
from roadie.tickets.selectors import TimelineEntry


@dataclass
class Row:
    entry: TimelineEntry
    sentence: str = ""


def _label(choices: type[models.TextChoices], value: object) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _person(email: object, names: Mapping[str, str]) -> str:
    if not email:
        return _("nobody")
    return names.get(str(email), str(email))


def event_sentence(event: TicketEvent, names: Mapping[str, str]) -> str:
    """One event in the reader's language; `names` maps staff e-mails to display names."""
    actor = event.actor.display_name if event.actor else _("Roadie")
    data = event.data or {}
    kind = event.kind
    E = TicketEvent.Kind
    if kind == E.CREATED:
        return _("%(actor)s opened the ticket as %(severity)s %(kind)s.") % {
            "actor": actor,
            "severity": _label(Severity, data.get("severity")),
            "kind": _label(Kind, data.get("kind")),
        }
    if kind == E.STATUS_CHANGED:
        return _("%(actor)s changed the status from %(old)s to %(new)s.") % {
            "actor": actor,
            "old": _label(Status, data.get("old")),
            "new": _label(Status, data.get("new")),
        }
    if kind == E.SEVERITY_CHANGED:
        return _("%(actor)s changed the severity from %(old)s to %(new)s.") % {
            "actor": actor,
            "old": _label(Severity, data.get("old")),
            "new": _label(Severity, data.get("new")),
        }
    if kind == E.KIND_CHANGED:
        return _("%(actor)s changed the kind from %(old)s to %(new)s.") % {
            "actor": actor,
            "old": _label(Kind, data.get("old")),
            "new": _label(Kind, data.get("new")),
        }
    if kind == E.ASSIGNED:
        old, new = data.get("old"), data.get("new")
        if new and not old:
            return _("%(actor)s assigned the ticket to %(new)s.") % {
                "actor": actor,
                "new": _person(new, names),
            }
        if new:
            return _("%(actor)s reassigned the ticket from %(old)s to %(new)s.") % {
                "actor": actor,
                "old": _person(old, names),
                "new": _person(new, names),
            }
        return _("%(actor)s unassigned the ticket from %(old)s.") % {
            "actor": actor,
            "old": _person(old, names),
        }
    if kind in (E.WATCHER_ADDED, E.WATCHER_REMOVED):
        user = data.get("user")
        itself = event.actor is not None and user == event.actor.email
        if kind == E.WATCHER_ADDED:
            if itself:
                return _("%(actor)s started watching the ticket.") % {"actor": actor}
            return _("%(actor)s added %(user)s as a watcher.") % {
                "actor": actor,
                "user": _person(user, names),
            }
        if itself:
            return _("%(actor)s stopped watching the ticket.") % {"actor": actor}
        return _("%(actor)s removed %(user)s from the watchers.") % {
            "actor": actor,
            "user": _person(user, names),
        }
    if kind == E.TAGS_CHANGED:
        tags = data.get("new") or []
        if not tags:
            return _("%(actor)s removed all tags.") % {"actor": actor}
        return _("%(actor)s set the tags to %(tags)s.") % {
            "actor": actor,
            "tags": ", ".join(str(tag) for tag in tags),
        }
    if kind == E.ATTACHMENT_ADDED:
        return _("%(actor)s attached %(name)s.") % {"actor": actor, "name": data.get("name", "")}
    if kind == E.REOPENED:
        return _("%(actor)s reopened the ticket.") % {"actor": actor}
    if kind in SLA_KINDS:
        return _sla_sentence(kind, data)
    # Kinds added later still read sensibly until they get their own sentence.
    return _("%(actor)s: %(what)s") % {"actor": actor, "what": event.get_kind_display()}


# The SLA sweep's events (roadie.tickets.sla), by value: data = {clock, threshold, at, reason}.
SLA_KINDS = frozenset({"sla_warning", "sla_breached", "escalated"})


def _clock(value: object) -> str:
    return {"response": _("response"), "resolution": _("resolution")}.get(str(value), str(value))


def _when(value: object) -> str:
    moment = parse_datetime(str(value or ""))
    if moment is None:
        return str(value or "")
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "Y-m-d H:i")


def _sla_sentence(kind: str, data: Mapping[str, object]) -> str:
    values = {"clock": _clock(data.get("clock")), "at": _when(data.get("at"))}
    if kind == "sla_warning":
        return _("The %(clock)s target is close: due at %(at)s.") % values
    if kind == "sla_breached":
        return _("The %(clock)s target was missed: it was due at %(at)s.") % values
    reason = str(data.get("reason") or "")
    if reason.startswith("stale"):
        return _("Escalated: still unsolved after 14 days.")
    if reason.endswith("_breach"):
        return _("Escalated: the %(clock)s target was missed.") % {
            "clock": _clock(reason.removesuffix("_breach"))
        }
    return _("Escalated.")


def timeline_rows(entries: list[TimelineEntry], names: Mapping[str, str]) -> list[Row]:
    """Sentences for the events; a file attached to a reply is shown with the reply only."""
    on_comments = {
        attachment.pk
        for entry in entries
        if entry.comment is not None
        for attachment in entry.comment.attachments.all()
    }
    rows = []
    for entry in entries:
        event = entry.event
        if event is None:
            rows.append(Row(entry=entry))
        elif not (
            event.kind == TicketEvent.Kind.ATTACHMENT_ADDED
            and (event.data or {}).get("attachment") in on_comments
        ):
            rows.append(Row(entry=entry, sentence=event_sentence(event, names)))
    return rows
