"""The customer's tickets: list, file, read, reply, close and reopen."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from roadie.core import clock
from roadie.core.errors import DomainError
from roadie.customers.selectors import current_contract
from roadie.portal.access import add_domain_error, customer_required, is_htmx
from roadie.portal.satisfaction.forms import SurveyForm
from roadie.portal.tickets.forms import TAB_CHOICES, ReplyForm, TicketFilterForm, TicketForm
from roadie.scorecard.selectors import quarter_start, sla_figures
from roadie.sla.selectors import commitments, commitments_from_snapshot, due_times_preview
from roadie.tickets import satisfaction, selectors, services
from roadie.tickets.models import Severity, Status, Ticket

LIST_TEMPLATE = "portal/tickets/list.html"
NEW_TEMPLATE = "portal/tickets/new.html"
DETAIL_TEMPLATE = "portal/tickets/detail.html"
PAGE_SIZE = 25
# Attachment errors come back from services as field "file"; the portal's field is "attachments".
FIELD_ALIASES = {"file": "attachments"}


def _ticket_or_404(request: HttpRequest, number: str) -> Ticket:
    try:
        return selectors.ticket_get(viewer=request.user, number=number)
    except Ticket.DoesNotExist:
        raise Http404


@customer_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    form = TicketFilterForm(request.GET)
    form.is_valid()  # invalid values are dropped; the valid ones still filter
    data = form.cleaned_data
    tab = data.get("tab") or "open"
    sort = data.get("sort") or "newest"
    filters = selectors.QueueFilters(
        queue=tab,
        status=data.get("status") or "",
        severity=data.get("severity") or "",
        q=(data.get("q") or "").strip(),
    )
    cursor = request.GET.get("cursor", "")
    try:
        page = selectors.ticket_queue(
            viewer=request.user, filters=filters, sort=sort, cursor=cursor, limit=PAGE_SIZE
        )
    except selectors.InvalidCursor:
        cursor = ""
        page = selectors.ticket_queue(
            viewer=request.user, filters=filters, sort=sort, limit=PAGE_SIZE
        )
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "tab": tab,
        "tabs": TAB_CHOICES,
        "is_first_page": not cursor,
    }
    if is_htmx(request):
        return render(request, f"{LIST_TEMPLATE}#results", context)
    now = clock.now()
    # The organization's own SLA figures since the quarter began (tickets_visible inside).
    context["quarter"] = {
        "start": quarter_start(now),
        "figures": sla_figures(viewer=request.user, start=quarter_start(now), end=now, now=now),
    }
    return render(request, LIST_TEMPLATE, context)


def _intake_preview(request: HttpRequest, severity: str) -> dict[str, Any]:
    """What filing now would promise: the same computation as POST /api/v1/sla/preview."""
    if severity not in Severity.values:
        return {"preview_severity": ""}
    assert request.user.organization is not None
    try:
        response, resolution = due_times_preview(
            contract=current_contract(organization=request.user.organization),
            severity=severity,
            opened_at=clock.now(),
        )
    except DomainError:
        return {"preview_severity": ""}
    return {
        "preview_severity": severity,
        "preview_response": response,
        "preview_resolution": resolution,
    }


@customer_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and is_htmx(request):
        # The severity radios ask for the due times of "if you file now" (htmx).
        preview = _intake_preview(request, request.GET.get("severity", ""))
        return render(request, f"{NEW_TEMPLATE}#sla-preview", preview)
    form = TicketForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                by=request.user,
                title=data["title"],
                description=data["description"],
                severity=data["severity"],
                kind=data["kind"],
                module=data["module"],
                deployment=data["deployment"],
                attachments=data["attachments"],
            )
        except DomainError as error:
            add_domain_error(form, error, FIELD_ALIASES)
        else:
            messages.success(
                request,
                _("Ticket %(number)s filed. We will reply here and by e-mail.")
                % {"number": ticket.number},
            )
            return redirect("portal:ticket", ticket.number)
    assert request.user.organization is not None
    context = {
        "form": form,
        "commitments": commitments(
            contract=current_contract(organization=request.user.organization)
        ),
        **_intake_preview(request, str(form["severity"].value() or "")),
    }
    return render(request, NEW_TEMPLATE, context)


def _detail_context(request: HttpRequest, ticket: Ticket, reply_form: ReplyForm) -> dict[str, Any]:
    now = clock.now()
    finished = ticket.status in {Status.RESOLVED, Status.CLOSED}
    deadline = services.reopen_deadline(ticket) if finished else None
    assert request.user.organization is not None
    return {
        "ticket": ticket,
        "timeline": selectors.ticket_timeline(ticket=ticket, viewer=request.user),
        "attachments": selectors.attachments_visible(ticket=ticket, viewer=request.user)
        .filter(comment__isnull=True)
        .order_by("id"),
        "reply_form": reply_form,
        "can_close": ticket.is_open,
        "can_reopen": finished and (deadline is None or now <= deadline),
        "reopen_deadline": deadline,
        "contract": current_contract(organization=request.user.organization),
        "today": timezone.localdate(now),
        # The promises this ticket was opened under (its snapshot), not today's policies.
        "commitments": commitments_from_snapshot(ticket.sla_snapshot or {}),
        **_survey_context(request, ticket),
    }


def _survey_context(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    """The satisfaction question once the ticket is resolved (answered through the signed link
    of roadie.tickets.satisfaction, made here for the viewer)."""
    if ticket.resolved_at is None or ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return {}
    return {
        "survey": satisfaction.survey_get(ticket=ticket),
        "survey_form": SurveyForm(),
        "survey_token": satisfaction.survey_token(ticket=ticket, user=request.user),
    }


@customer_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, ticket, ReplyForm()))


@customer_required
@require_POST
def ticket_reply(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_comment(
                ticket=ticket,
                by=request.user,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except DomainError as error:
            add_domain_error(form, error, FIELD_ALIASES)
        else:
            if not is_htmx(request):
                messages.success(request, _("Your reply was sent."))
                return redirect("portal:ticket", ticket.number)
            ticket = _ticket_or_404(request, number)  # the reply may have changed its status
            form = ReplyForm()
    if is_htmx(request):
        # The timeline replaces itself; the form and the status bar follow out of band.
        context = _detail_context(request, ticket, form)
        return render(request, f"{DETAIL_TEMPLATE}#reply-response", context)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, ticket, form))


@customer_required
@require_POST
def ticket_close(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    try:
        services.ticket_close(ticket=ticket, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Ticket closed. Thank you!"))
    return redirect("portal:ticket", ticket.number)


@customer_required
@require_POST
def ticket_reopen(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    try:
        services.ticket_reopen(ticket=ticket, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Ticket reopened. We will look at it again."))
    return redirect("portal:ticket", ticket.number)
