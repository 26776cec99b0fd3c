"""Every write to a ticket goes through here, with its TicketEvent in the same transaction."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.accounts.permissions import Action, can
from roadie.core import clock
from roadie.customers.models import Deployment, Module, Organization
from roadie.tickets import notify, paging, sla
from roadie.tickets.attachments import CheckedUpload
from roadie.tickets.errors import (
    InvalidTicket,
    InvalidTransition,
    NotAllowed,
    TicketClosed,
)
from roadie.tickets.models import (
    OPEN_STATUSES,
    Attachment,
    Comment,
    Kind,
    Severity,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)

MAX_TITLE = 200
MAX_BODY = 100_000

# Which status a member of staff may move a ticket to from each status.
STAFF_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.WAITING: frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


def _event(
    ticket: Ticket,
    event_kind: str,
    actor: User | None,
    at: datetime,
    public: bool = True,
    **data: object,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=event_kind, actor=actor, data=data, public=public, created_at=at
    )


def _require_staff(user: User) -> None:
    if not can(user, Action.WORK_TICKETS):
        raise NotAllowed(_("Only support staff can do this."))


def _require_visible(ticket: Ticket, user: User) -> None:
    if not user.is_vendor_staff and ticket.organization_id != user.organization_id:
        raise Ticket.DoesNotExist


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidTicket(_("A ticket needs a title."), field="title")
    if len(title) > MAX_TITLE:
        raise InvalidTicket(
            _("The title is longer than %(max)s characters.") % {"max": MAX_TITLE}, field="title"
        )
    return title


def _clean_body(body: str, field: str, required: bool) -> str:
    body = (body or "").strip()
    if required and not body:
        raise InvalidTicket(_("This cannot be empty."), field=field)
    if len(body) > MAX_BODY:
        raise InvalidTicket(
            _("The text is longer than %(max)s characters.") % {"max": MAX_BODY}, field=field
        )
    return body


def _check_choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:  # type: ignore[attr-defined]
        raise InvalidTicket(
            _("%(value)r is not one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(choices.values)},  # type: ignore[attr-defined]
            field=field,
        )
    return value


def _store_attachments(
    ticket: Ticket,
    by: User,
    uploads: Iterable[CheckedUpload],
    comment: Comment | None,
    at: datetime,
) -> list[Attachment]:
    stored = []
    for upload in uploads:
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            name=upload.name,
            content_type=upload.content_type,
            size=len(upload.data),
            sha256=upload.sha256,
            uploaded_by=by,
        )
        attachment.file.save(upload.name, ContentFile(upload.data), save=False)
        attachment.save()
        _event(
            ticket,
            TicketEvent.Kind.ATTACHMENT_ADDED,
            by,
            at,
            public=comment is None or comment.public,
            name=upload.name,
            attachment=attachment.pk,
        )
        stored.append(attachment)
    return stored


@transaction.atomic
def ticket_create(
    *,
    by: User,
    title: str,
    description: str,
    severity: str,
    kind: str = Kind.INCIDENT,
    organization: Organization | None = None,
    module: Module | None = None,
    deployment: Deployment | None = None,
    attachments: Sequence[CheckedUpload] = (),
    source: str = Comment.Source.WEB,
    at: datetime | None = None,
) -> Ticket:
    """Open a ticket. Customers always file for their own organization; staff must name one."""
    if by.is_customer:
        organization = by.organization
    elif organization is None:
        raise InvalidTicket(_("Choose the customer organization."), field="organization")
    assert organization is not None
    title = _clean_title(title)
    description = _clean_body(description, "description", required=False)
    _check_choice(severity, Severity, "severity")
    _check_choice(kind, Kind, "kind")
    if deployment is not None and deployment.organization_id != organization.pk:
        raise InvalidTicket(
            _("That deployment belongs to another organization."), field="deployment"
        )
    if module is not None and deployment is not None and module.product_id != deployment.product_id:
        raise InvalidTicket(
            _("That module is not part of the deployment's product."), field="module"
        )
    now = at or clock.now()
    ticket = Ticket(
        organization=organization,
        title=title,
        description=description,
        severity=severity,
        kind=kind,
        module=module,
        deployment=deployment,
        requester=by,
        created_at=now,
        updated_at=now,
    )
    sla.bind(ticket, at=now)
    ticket.save(force_insert=True)
    ticket.watchers.add(by)
    _event(ticket, TicketEvent.Kind.CREATED, by, now, severity=severity, kind=kind, source=source)
    _store_attachments(ticket, by, attachments, None, now)
    notify.ticket_created(ticket=ticket)
    paging.ticket_page_start(ticket)
    # A new ticket has no tags; saying so spares whoever shows it a query.
    ticket._prefetched_objects_cache = {"tags": Tag.objects.none()}
    return ticket


def _touch(ticket: Ticket, at: datetime, *fields: str) -> None:
    ticket.updated_at = at
    ticket.save(update_fields=[*fields, "updated_at"])


def _set_status(ticket: Ticket, status: str, by: User | None, at: datetime) -> str:
    old = ticket.status
    ticket.status = status
    ticket.is_open = status in OPEN_STATUSES
    if status == Status.RESOLVED:
        ticket.resolved_at = at
    if status == Status.CLOSED:
        ticket.closed_at = at
    if status in OPEN_STATUSES:
        ticket.resolved_at = None
        ticket.closed_at = None
    sla.on_status(ticket, old=old, new=status, at=at)
    _touch(ticket, at, "status", "is_open", "resolved_at", "closed_at", *sla.SLA_FIELDS)
    _event(ticket, TicketEvent.Kind.STATUS_CHANGED, by, at, old=old, new=status)
    if not ticket.is_open:
        paging.ticket_pages_resolve(ticket, by, at=at)
    return old


def reopen_deadline(ticket: Ticket) -> datetime | None:
    finished_at = ticket.resolved_at or ticket.closed_at
    if finished_at is None:
        return None
    return finished_at + timedelta(days=settings.ROADIE_REOPEN_WINDOW_DAYS)


def _check_reopen_window(ticket: Ticket, now: datetime) -> None:
    deadline = reopen_deadline(ticket)
    if deadline is not None and now > deadline:
        raise TicketClosed(
            _("The reopen window of %(days)s days has passed; please file a new ticket.")
            % {"days": settings.ROADIE_REOPEN_WINDOW_DAYS}
        )


@transaction.atomic
def ticket_comment(
    *,
    ticket: Ticket,
    by: User,
    body: str,
    public: bool = True,
    attachments: Sequence[CheckedUpload] = (),
    source: str = Comment.Source.WEB,
    is_auto: bool = False,
    at: datetime | None = None,
) -> Comment:
    """A public reply or (staff only) an internal note; replies move the status as people expect."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _require_visible(ticket, by)
    if not public and not by.is_vendor_staff:
        raise NotAllowed(_("Customers cannot write internal notes."))
    body = _clean_body(body, "body", required=not attachments)
    now = at or clock.now()
    if ticket.status == Status.CLOSED and by.is_customer:
        raise TicketClosed(_("This ticket is closed. Reopen it or file a new one."))
    if ticket.status == Status.RESOLVED and by.is_customer and public:
        # A customer's reply reopens a resolved ticket, but only within the reopen window.
        _check_reopen_window(ticket, now)
    comment = Comment.objects.create(
        ticket=ticket,
        author=by,
        body=body,
        public=public,
        source=source,
        is_auto=is_auto,
        created_at=now,
    )
    kind = TicketEvent.Kind.COMMENTED if public else TicketEvent.Kind.NOTE_ADDED
    _event(ticket, kind, by, now, public=public, comment=comment.pk)
    _store_attachments(ticket, by, attachments, comment, now)
    if public and by.is_vendor_staff:
        fields = []
        if ticket.first_response_at is None and not is_auto:
            # The first public staff reply that is not automatic stops the response clock.
            ticket.first_response_at = now
            sla.refresh(ticket)
            fields.extend(["first_response_at", *sla.SLA_FIELDS])
        if ticket.status == Status.NEW:
            _set_status(ticket, Status.OPEN, by, now)
        _touch(ticket, now, *fields)
    elif public and by.is_customer:
        if ticket.status == Status.WAITING:
            _set_status(ticket, Status.OPEN, by, now)
        elif ticket.status == Status.RESOLVED:
            _reopen(ticket, by, now)
        else:
            _touch(ticket, now)
    else:
        _touch(ticket, now)
    if public:
        notify.public_reply(ticket=ticket, comment=comment)
    return comment


@transaction.atomic
def ticket_change_status(
    *, ticket: Ticket, status: str, by: User, at: datetime | None = None
) -> Ticket:
    """Staff move a ticket through new → open → waiting → resolved → closed."""
    _require_staff(by)
    _check_choice(status, Status, "status")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if status == ticket.status:
        return ticket
    if status not in STAFF_TRANSITIONS[ticket.status]:
        raise InvalidTransition(
            _("The status cannot change from “%(old)s” to “%(new)s”.")
            % {"old": Status(ticket.status).label, "new": Status(status).label},
            field="status",
        )
    now = at or clock.now()
    if ticket.status in {Status.RESOLVED, Status.CLOSED} and status == Status.OPEN:
        _reopen(ticket, by, now)
    else:
        _set_status(ticket, status, by, now)
    notify.status_changed(ticket=ticket, by=by)
    return ticket


def _reopen(ticket: Ticket, by: User, at: datetime) -> None:
    old = _set_status(ticket, Status.OPEN, by, at)
    _event(ticket, TicketEvent.Kind.REOPENED, by, at, old=old)
    paging.ticket_page_start(ticket)


@transaction.atomic
def ticket_close(*, ticket: Ticket, by: User, at: datetime | None = None) -> Ticket:
    """The customer (or staff) closes a ticket that needs nothing more."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _require_visible(ticket, by)
    if ticket.status == Status.CLOSED:
        return ticket
    now = at or clock.now()
    _set_status(ticket, Status.CLOSED, by, now)
    notify.status_changed(ticket=ticket, by=by)
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, by: User, at: datetime | None = None) -> Ticket:
    """Reopen a resolved or closed ticket; customers may do so within the reopen window."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _require_visible(ticket, by)
    if ticket.status not in {Status.RESOLVED, Status.CLOSED}:
        raise InvalidTransition(
            _("Only a resolved or closed ticket can be reopened."), field="status"
        )
    now = at or clock.now()
    if by.is_customer:
        _check_reopen_window(ticket, now)
    _reopen(ticket, by, now)
    notify.status_changed(ticket=ticket, by=by)
    return ticket


@transaction.atomic
def ticket_change_severity(
    *, ticket: Ticket, severity: str, by: User, at: datetime | None = None
) -> Ticket:
    _require_staff(by)
    _check_choice(severity, Severity, "severity")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if severity == ticket.severity:
        return ticket
    now = at or clock.now()
    old, ticket.severity = ticket.severity, severity
    # Due times are recomputed from creation under the new severity's snapshot targets.
    sla.refresh(ticket)
    _touch(ticket, now, "severity", *sla.SLA_FIELDS)
    _event(ticket, TicketEvent.Kind.SEVERITY_CHANGED, by, now, old=old, new=severity)
    paging.ticket_severity_changed(ticket, old=old, by=by, at=now)
    return ticket


@transaction.atomic
def ticket_change_kind(
    *, ticket: Ticket, kind: str, by: User, at: datetime | None = None
) -> Ticket:
    _require_staff(by)
    _check_choice(kind, Kind, "kind")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if kind == ticket.kind:
        return ticket
    now = at or clock.now()
    old, ticket.kind = ticket.kind, kind
    sla.refresh(ticket)  # open defects escalate after 14 days
    _touch(ticket, now, "kind", *sla.SLA_FIELDS)
    _event(ticket, TicketEvent.Kind.KIND_CHANGED, by, now, old=old, new=kind)
    return ticket


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee: User | None, by: User, at: datetime | None = None
) -> Ticket:
    """Assign to a member of staff, or unassign with None."""
    _require_staff(by)
    if assignee is not None and not assignee.is_vendor_staff:
        raise InvalidTicket(_("Tickets are assigned to vendor staff only."), field="assignee")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    now = at or clock.now()
    old = ticket.assignee.email if ticket.assignee else None
    ticket.assignee = assignee
    _touch(ticket, now, "assignee")
    if assignee is not None:
        ticket.watchers.add(assignee)
    _event(
        ticket,
        TicketEvent.Kind.ASSIGNED,
        by,
        now,
        old=old,
        new=assignee.email if assignee else None,
    )
    if assignee is not None and assignee != by:
        notify.assigned(ticket=ticket, by=by)
    return ticket


@transaction.atomic
def tickets_bulk_assign(*, tickets: Iterable[Ticket], assignee: User | None, by: User) -> int:
    count = 0
    for ticket in tickets:
        ticket_assign(ticket=ticket, assignee=assignee, by=by)
        count += 1
    return count


@transaction.atomic
def ticket_set_tags(*, ticket: Ticket, names: Iterable[str], by: User) -> Ticket:
    _require_staff(by)
    wanted = sorted({n.strip().lower()[:50] for n in names if n.strip()})
    current = sorted(ticket.tags.values_list("name", flat=True))
    if wanted == current:
        return ticket
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    ticket.tags.set(tags)
    now = clock.now()
    _touch(ticket, now)
    _event(ticket, TicketEvent.Kind.TAGS_CHANGED, by, now, old=current, new=wanted)
    return ticket


@transaction.atomic
def ticket_watch(*, ticket: Ticket, user: User, by: User, watching: bool = True) -> Ticket:
    _require_visible(ticket, by)
    _require_visible(ticket, user)
    if user != by:
        _require_staff(by)
    already = ticket.watchers.filter(pk=user.pk).exists()
    if already == watching:
        return ticket
    now = clock.now()
    if watching:
        ticket.watchers.add(user)
        _event(ticket, TicketEvent.Kind.WATCHER_ADDED, by, now, user=user.email)
    else:
        ticket.watchers.remove(user)
        _event(ticket, TicketEvent.Kind.WATCHER_REMOVED, by, now, user=user.email)
    return ticket


@transaction.atomic
def ticket_attach(
    *, ticket: Ticket, by: User, uploads: Sequence[CheckedUpload]
) -> list[Attachment]:
    """Attach files to a ticket without a comment."""
    _require_visible(ticket, by)
    if ticket.status == Status.CLOSED and by.is_customer:
        raise TicketClosed(_("This ticket is closed."))
    now = clock.now()
    stored = _store_attachments(ticket, by, uploads, None, now)
    _touch(ticket, now)
    return stored
