"""Staff console: the queue, a new ticket, the ticket page and its htmx actions."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from roadie.console.decorators import staff_required
from roadie.console.htmx import is_htmx
from roadie.console.tickets.forms import (
    QUEUES,
    SORTS,
    AssignForm,
    BulkAssignForm,
    KindForm,
    QueueFilterForm,
    ReplyForm,
    SeverityForm,
    StatusForm,
    TagsForm,
    TicketCreateForm,
    WatchForm,
)
from roadie.console.tickets.timeline import timeline_rows
from roadie.core.errors import DomainError
from roadie.customers.models import Module
from roadie.customers.selectors import deployments_visible, organizations_visible
from roadie.tickets.models import Kind, Severity, Status, Ticket
from roadie.tickets.selectors import (
    InvalidCursor,
    QueueFilters,
    attachments_visible,
    staff_users,
    ticket_get,
    ticket_queue,
    ticket_timeline,
    tickets_visible,
)
from roadie.tickets.services import (
    STAFF_TRANSITIONS,
    ticket_assign,
    ticket_change_kind,
    ticket_change_severity,
    ticket_change_status,
    ticket_comment,
    ticket_create,
    ticket_set_tags,
    ticket_watch,
    tickets_bulk_assign,
)

QUEUE = "console/tickets/queue.html"
NEW = "console/tickets/new.html"
DETAIL = "console/tickets/detail.html"


# The queue ----------------------------------------------------------------------------------


def _queue_context(request: HttpRequest, params: QueryDict) -> dict[str, Any]:
    staff = list(staff_users())
    organizations = list(organizations_visible(viewer=request.user).only("slug", "name"))
    form = QueueFilterForm(params, organizations=organizations, staff=staff)
    # The SLA sort (roadie.tickets.selectors.SORTS["due"]): the earliest pending due time first.
    form.fields["sort"].choices = [*SORTS, ("due", _("Due first"))]  # type: ignore[attr-defined]
    filters = QueueFilters(
        queue=form.value("queue") or "open",
        status=form.value("status"),
        severity=form.value("severity"),
        organization=form.value("organization"),
        kind=form.value("kind"),
        assignee=form.value("assignee"),
        q=form.value("q").strip(),
    )
    sort = form.value("sort") or "severity"
    try:
        page = ticket_queue(
            viewer=request.user, filters=filters, sort=sort, cursor=params.get("cursor", "")
        )
    except (InvalidCursor, ValueError, TypeError):
        # A cursor edited by hand (or from another sort): start again from the first page.
        page = ticket_queue(viewer=request.user, filters=filters, sort=sort)
    return {
        "form": form,
        "page": page,
        "filters": filters,
        "queues": QUEUES,
        "staff": staff,
        "is_first_page": not params.get("cursor"),
    }


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    template = f"{QUEUE}#results" if is_htmx(request) else QUEUE
    return render(request, template, _queue_context(request, request.GET))


@staff_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign the selected rows; the form posts to this URL with the queue's query string."""
    ids = [int(value) for value in request.POST.getlist("tickets") if value.isdigit()]
    tickets = list(tickets_visible(viewer=request.user).filter(pk__in=ids))
    form = BulkAssignForm(request.POST, ticket_ids=[t.pk for t in tickets], staff=staff_users())
    notice, error = "", ""
    if form.is_valid():
        assignee = form.assignee_user()
        try:
            count = tickets_bulk_assign(tickets=tickets, assignee=assignee, by=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            if assignee is None:
                notice = ngettext(
                    "%(count)d ticket unassigned.", "%(count)d tickets unassigned.", count
                ) % {"count": count}
            else:
                notice = ngettext(
                    "%(count)d ticket assigned to %(name)s.",
                    "%(count)d tickets assigned to %(name)s.",
                    count,
                ) % {"count": count, "name": assignee.display_name}
    else:
        error = " ".join(message for errors in form.errors.values() for message in errors)
    if is_htmx(request):
        context = _queue_context(request, request.GET)
        context.update(notice=notice, bulk_error=error)
        return render(request, f"{QUEUE}#results", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    query = request.GET.urlencode()
    return redirect(reverse("console:queue") + (f"?{query}" if query else ""))


# A new ticket -------------------------------------------------------------------------------


def _create_form(request: HttpRequest, data: Any = None, files: Any = None) -> TicketCreateForm:
    organization = (data or request.GET).get("organization", "")
    deployments = deployments_visible(viewer=request.user)
    if organization.isdigit():
        deployments = deployments.filter(organization_id=int(organization))
    return TicketCreateForm(
        data,
        files,
        organizations=organizations_visible(viewer=request.user),
        modules=Module.objects.select_related("product"),
        deployments=deployments,
        initial={"organization": organization or None, "kind": Kind.INCIDENT},
    )


@staff_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, NEW, {"form": _create_form(request)})
    form = _create_form(request, request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket = ticket_create(
                by=request.user,
                organization=data["organization"],
                title=data["title"],
                description=data["description"],
                severity=data["severity"],
                kind=data["kind"],
                module=data["module"],
                deployment=data["deployment"],
                attachments=data["attachments"],
            )
        except DomainError as exc:
            form.add_domain_error(exc.field, exc.message)
        else:
            messages.success(request, _("Ticket %(number)s created.") % {"number": ticket.number})
            return redirect("console:ticket", number=ticket.number)
    return render(request, NEW, {"form": form})


@staff_required
@require_GET
def ticket_new_deployments(request: HttpRequest) -> HttpResponse:
    """The deployment field, narrowed to the organization just chosen (htmx)."""
    return render(request, f"{NEW}#deployment_field", {"form": _create_form(request)})


# The ticket page ----------------------------------------------------------------------------


def _ticket(request: HttpRequest, number: str) -> Ticket:
    try:
        return ticket_get(viewer=request.user, number=number)
    except Ticket.DoesNotExist:
        raise Http404


def _detail_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    staff = list(staff_users())
    names = {user.email: user.display_name for user in staff}
    user = request.user
    return {
        "ticket": ticket,
        "rows": timeline_rows(ticket_timeline(ticket=ticket, viewer=user), names),
        "attachments": list(attachments_visible(ticket=ticket, viewer=user)),
        "staff": staff,
        "statuses": [
            (value, label)
            for value, label in Status.choices
            if value == ticket.status or value in STAFF_TRANSITIONS[ticket.status]
        ],
        "severities": Severity.choices,
        "kinds": Kind.choices,
        "tags_text": ", ".join(tag.name for tag in ticket.tags.all()),
        "watching": any(watcher.pk == user.pk for watcher in ticket.watchers.all()),
        "reply_form": reply_form or ReplyForm(),
        "errors": errors or {},
    }


@staff_required
@require_GET
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    return render(request, DETAIL, _detail_context(request, ticket))


def _respond(
    request: HttpRequest,
    number: str,
    *,
    reply_form: ReplyForm | None = None,
    errors: dict[str, str] | None = None,
    include_reply: bool = False,
) -> HttpResponse:
    """htmx: the changed fragments, swapped out of band. Otherwise back to the page."""
    failed = bool(errors) or (reply_form is not None and reply_form.errors)
    if not is_htmx(request) and not failed:
        return redirect("console:ticket", number=number)
    ticket = _ticket(request, number)  # fresh, with the change applied
    context = _detail_context(request, ticket, reply_form=reply_form, errors=errors)
    if not is_htmx(request):
        return render(request, DETAIL, context)
    context.update(oob=True, include_reply=include_reply)
    return render(request, f"{DETAIL}#updates", context)


def _first_error(form: forms.Form) -> str:
    return next((str(message) for errors in form.errors.values() for message in errors), "")


def _change(
    request: HttpRequest,
    number: str,
    section: str,
    form: forms.Form,
    apply: Callable[[Ticket, dict[str, Any]], object],
) -> HttpResponse:
    """Validate a sidebar form, call its service, show a refusal next to the form."""
    ticket = _ticket(request, number)
    error = ""
    if form.is_valid():
        try:
            apply(ticket, form.cleaned_data)
        except DomainError as exc:
            error = exc.message
    else:
        error = _first_error(form)
    return _respond(request, ticket.number, errors={section: error} if error else None)


@staff_required
@require_POST
def ticket_reply(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ticket_comment(
                ticket=ticket,
                by=request.user,
                body=form.cleaned_data["body"],
                public=form.is_public,
                attachments=form.cleaned_data["attachments"],
            )
        except DomainError as exc:
            form.add_domain_error(exc.field, exc.message)
        else:
            # A new, empty form: the reply is in the timeline now.
            form = ReplyForm(initial={"visibility": form.cleaned_data["visibility"]})
    return _respond(request, ticket.number, reply_form=form, include_reply=True)


@staff_required
@require_POST
def ticket_status(request: HttpRequest, number: str) -> HttpResponse:
    return _change(
        request,
        number,
        "status",
        StatusForm(request.POST),
        lambda ticket, data: ticket_change_status(
            ticket=ticket, status=data["status"], by=request.user
        ),
    )


@staff_required
@require_POST
def ticket_severity(request: HttpRequest, number: str) -> HttpResponse:
    return _change(
        request,
        number,
        "severity",
        SeverityForm(request.POST),
        lambda ticket, data: ticket_change_severity(
            ticket=ticket, severity=data["severity"], by=request.user
        ),
    )


@staff_required
@require_POST
def ticket_kind(request: HttpRequest, number: str) -> HttpResponse:
    return _change(
        request,
        number,
        "kind",
        KindForm(request.POST),
        lambda ticket, data: ticket_change_kind(ticket=ticket, kind=data["kind"], by=request.user),
    )


@staff_required
@require_POST
def ticket_assign_view(request: HttpRequest, number: str) -> HttpResponse:
    form = AssignForm(request.POST, staff=staff_users())
    return _change(
        request,
        number,
        "assignee",
        form,
        lambda ticket, data: ticket_assign(
            ticket=ticket, assignee=form.assignee_user(), by=request.user
        ),
    )


@staff_required
@require_POST
def ticket_tags(request: HttpRequest, number: str) -> HttpResponse:
    form = TagsForm(request.POST)
    return _change(
        request,
        number,
        "tags",
        form,
        lambda ticket, data: ticket_set_tags(ticket=ticket, names=form.names(), by=request.user),
    )


@staff_required
@require_POST
def ticket_watch_view(request: HttpRequest, number: str) -> HttpResponse:
    return _change(
        request,
        number,
        "watch",
        WatchForm(request.POST),
        lambda ticket, data: ticket_watch(
            ticket=ticket, user=request.user, by=request.user, watching=data["watching"]
        ),
    )
