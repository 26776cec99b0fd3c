"""Reads for tickets. Everything that crosses the customer boundary takes the viewer."""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet

from roadie.accounts.models import User
from roadie.tickets.models import (
    PENDING_DUE,
    Attachment,
    Comment,
    InboundMail,
    Ticket,
    TicketEvent,
)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

# Each sort is a keyset: the ordering fields and, for each, whether it descends.
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "severity": (("severity", True), ("id", True)),
    "newest": (("id", True),),
    "oldest": (("id", False),),
    # The earliest pending due time first (Ticket.PENDING_DUE), then the tickets whose clocks
    # stand still or have no SLA, oldest first: a keyset of its own (see _due_page).
    "due": (("pending_due", False), ("id", False)),
}
# Staff see escalated tickets rise within their severity (the sweep sets `escalated`).
STAFF_SEVERITY_KEYS = (("severity", True), ("escalated", True), ("id", True))


def tickets_visible(*, viewer: User) -> QuerySet[Ticket]:
    if viewer.is_vendor_staff:
        return Ticket.objects.all()
    if viewer.is_customer and viewer.organization_id:
        return Ticket.objects.filter(organization_id=viewer.organization_id)
    return Ticket.objects.none()


def ticket_get(*, viewer: User, number: str) -> Ticket:
    """The ticket, or Ticket.DoesNotExist if it does not exist or the viewer may not see it."""
    pk = Ticket.pk_from_number(number)
    if pk is None:
        raise Ticket.DoesNotExist
    return (
        tickets_visible(viewer=viewer)
        .select_related("organization", "requester", "assignee", "module", "deployment__product")
        .prefetch_related("tags", "watchers")
        .get(pk=pk)
    )


@dataclass
class QueueFilters:
    queue: str = "open"  # open, mine, unassigned, all, closed
    status: str = ""
    severity: str = ""
    organization: str = ""  # slug
    kind: str = ""
    assignee: str = ""  # e-mail
    q: str = ""


@dataclass
class Page:
    items: list[Ticket]
    next_cursor: str | None
    sort: str
    filters: QueueFilters = field(default_factory=QueueFilters)


class InvalidCursor(ValueError):
    pass


def _encode_cursor(values: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, width: int) -> list[object]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("The cursor is not valid.")
    if not isinstance(values, list) or len(values) != width:
        raise InvalidCursor("The cursor is not valid.")
    return values


def _after(keys: tuple[tuple[str, bool], ...], values: list[object]) -> Q:
    """Rows strictly after `values` in the keyset order (a row-value comparison spelled out)."""
    condition = Q()
    for depth, (name, descending) in enumerate(keys):
        step = Q(**{f"{name}__lt" if descending else f"{name}__gt": values[depth]})
        for prior_depth in range(depth):
            step &= Q(**{keys[prior_depth][0]: values[prior_depth]})
        condition |= step
    return condition


def filter_tickets(
    qs: QuerySet[Ticket], *, viewer: User, filters: QueueFilters
) -> QuerySet[Ticket]:
    if filters.queue == "open":
        qs = qs.filter(is_open=True)
    elif filters.queue == "mine":
        qs = qs.filter(is_open=True, assignee=viewer)
    elif filters.queue == "unassigned":
        qs = qs.filter(is_open=True, assignee__isnull=True)
    elif filters.queue == "closed":
        qs = qs.filter(is_open=False)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.organization:
        qs = qs.filter(organization__slug=filters.organization)
    if filters.assignee:
        qs = qs.filter(assignee__email=filters.assignee.lower())
    if filters.q:
        pk = Ticket.pk_from_number(filters.q)
        qs = qs.filter(pk=pk) if pk else qs.filter(title__icontains=filters.q)
    return qs


def _sort_keys(sort: str, viewer: User) -> tuple[tuple[str, bool], ...]:
    if sort == "severity" and viewer.is_vendor_staff:
        return STAFF_SEVERITY_KEYS
    return SORTS[sort]


def ticket_queue(
    *,
    viewer: User,
    filters: QueueFilters,
    sort: str = "severity",
    cursor: str = "",
    limit: int = PAGE_SIZE,
) -> Page:
    """One page of the queue, by keyset pagination: as fast on page 1,000 as on page 1."""
    sort = sort if sort in SORTS else "severity"
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = filter_tickets(tickets_visible(viewer=viewer), viewer=viewer, filters=filters)
    qs = qs.select_related("organization", "assignee", "requester", "module")
    if sort == "due":
        return _due_page(qs, cursor=cursor, limit=limit, filters=filters)
    keys = _sort_keys(sort, viewer)
    if cursor:
        try:
            qs = qs.filter(_after(keys, _decode_cursor(cursor, len(keys))))
        except (ValidationError, ValueError, TypeError):
            # Values of the wrong type (a hand-edited cursor, or one from another sort).
            raise InvalidCursor("The cursor is not valid.")
    ordering = [f"-{name}" if descending else name for name, descending in keys]
    rows = list(qs.order_by(*ordering)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor([getattr(last, name) for name, _ in keys])
    return Page(items=rows, next_cursor=next_cursor, sort=sort, filters=filters)


def _due_page(qs: QuerySet[Ticket], *, cursor: str, limit: int, filters: QueueFilters) -> Page:
    """Tickets by their earliest pending due time, then those with nothing pending, by id.

    Two index ranges instead of one ORDER BY with NULLS LAST (which SQLite cannot walk in
    index order): the running tickets by (pending_due, id), then, once they run out, the rest
    by id.  The cursor is [pending_due ISO or null, id].
    """
    due: datetime | None = None
    after_id = 0
    if cursor:
        values = _decode_cursor(cursor, 2)
        if values[0] is not None and not isinstance(values[0], str):
            raise InvalidCursor("The cursor is not valid.")
        if not isinstance(values[1], int) or isinstance(values[1], bool):
            raise InvalidCursor("The cursor is not valid.")
        try:
            due = datetime.fromisoformat(values[0]) if values[0] else None
        except ValueError:
            raise InvalidCursor("The cursor is not valid.")
        if due is not None and due.utcoffset() is None:
            raise InvalidCursor("The cursor is not valid.")
        after_id = values[1]
    qs = qs.alias(pending_due=PENDING_DUE)
    rows: list[Ticket] = []
    # Only open tickets have a pending due time; saying so lets the partial index serve.
    if filters.queue != "closed" and (not cursor or due is not None):
        running = qs.filter(is_open=True, pending_due__isnull=False)
        if due is not None:
            running = running.filter(Q(pending_due__gt=due) | Q(pending_due=due, id__gt=after_id))
        rows = list(
            running.annotate(pending_due_at=PENDING_DUE).order_by("pending_due", "id")[: limit + 1]
        )
        after_id = 0
    if len(rows) <= limit:
        rest = qs.filter(pending_due__isnull=True, id__gt=after_id).order_by("id")
        rows.extend(rest[: limit + 1 - len(rows)])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        last_due = getattr(last, "pending_due_at", None)
        next_cursor = _encode_cursor([last_due.isoformat() if last_due else None, last.pk])
    return Page(items=rows, next_cursor=next_cursor, sort="due", filters=filters)


@dataclass
class TimelineEntry:
    at: object
    comment: Comment | None = None
    event: TicketEvent | None = None


def ticket_timeline(*, ticket: Ticket, viewer: User) -> list[TimelineEntry]:
    """Replies, notes and changes in order; customers see neither notes nor internal events."""
    comments = ticket.comments.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    events = ticket.events.select_related("actor").exclude(
        kind__in=[TicketEvent.Kind.COMMENTED, TicketEvent.Kind.NOTE_ADDED]
    )
    if not viewer.is_vendor_staff:
        comments = comments.filter(public=True)
        events = events.filter(public=True)
    entries = chain(
        (TimelineEntry(at=c.created_at, comment=c) for c in comments),
        (TimelineEntry(at=e.created_at, event=e) for e in events),
    )
    return sorted(entries, key=lambda entry: entry.at)  # type: ignore[arg-type,return-value]


def comments_visible(*, ticket: Ticket, viewer: User) -> QuerySet[Comment]:
    qs = ticket.comments.select_related("author").order_by("created_at", "id")
    return qs if viewer.is_vendor_staff else qs.filter(public=True)


def attachment_get(*, viewer: User, attachment_id: int) -> Attachment:
    """An attachment the viewer may download; customers never get those on internal notes."""
    qs = Attachment.objects.select_related("ticket", "comment").filter(
        ticket__in=tickets_visible(viewer=viewer)
    )
    if not viewer.is_vendor_staff:
        qs = qs.filter(Q(comment__isnull=True) | Q(comment__public=True))
    return qs.get(pk=attachment_id)


def attachments_visible(*, ticket: Ticket, viewer: User) -> QuerySet[Attachment]:
    qs = ticket.attachments.all()
    if not viewer.is_vendor_staff:
        qs = qs.filter(Q(comment__isnull=True) | Q(comment__public=True))
    return qs


def staff_users() -> QuerySet[User]:
    return User.objects.filter(
        role__in=["agent", "engineer", "manager", "admin"], is_active=True
    ).order_by("name", "email")


def inbound_mail_held(*, limit: int = 500) -> QuerySet[InboundMail]:
    """Mail waiting for a reviewer, newest first, without the raw bytes."""
    return (
        InboundMail.objects.filter(status=InboundMail.Status.HELD)
        .defer("raw")
        .order_by("-received_at")[:limit]
    )


def inbound_mail_get(*, pk: int) -> InboundMail:
    return InboundMail.objects.select_related("ticket", "reviewed_by").get(pk=pk)
