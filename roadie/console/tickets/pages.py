"""The paging fragment of a ticket page: who was paged when, through which channel, who
acknowledged; and a button to acknowledge from the ticket.

The ticket page loads it with htmx; a POST acknowledges one of the ticket's pages through the
on-call service and answers with the fresh fragment (or, without htmx, back to the ticket).
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from roadie.console.decorators import staff_required
from roadie.console.htmx import is_htmx
from roadie.console.oncall.views import event_sentence
from roadie.oncall import services as oncall
from roadie.oncall.errors import PageClosed
from roadie.oncall.models import Page
from roadie.tickets.models import Severity, Ticket
from roadie.tickets.paging import ticket_page_problems, ticket_pages
from roadie.tickets.selectors import ticket_get

PAGES = "console/tickets/_pages.html"

# While something may still change (a page climbing its ladder), the fragment reloads itself.
POLL_SECONDS = 30


def _ticket(request: HttpRequest, number: str) -> Ticket:
    try:
        return ticket_get(viewer=request.user, number=number)  # type: ignore[arg-type]
    except Ticket.DoesNotExist:
        raise Http404 from None


def _acknowledge(request: HttpRequest, ticket: Ticket) -> str:
    """Acknowledge the posted page of this ticket; the error message, if any."""
    raw = request.POST.get("page", "")
    page = ticket_pages(ticket).filter(pk=int(raw)).first() if raw.isdigit() else None
    if page is None:
        raise Http404
    try:
        oncall.page_acknowledge(page=page, by=request.user, via="console")  # type: ignore[arg-type]
    except PageClosed as error:
        return str(error.message)
    return ""


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_pages_view(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    error = ""
    if request.method == "POST":
        error = _acknowledge(request, ticket)
        if not is_htmx(request):
            if error:
                messages.error(request, error)
            else:
                messages.success(request, _("Acknowledged: the escalation stopped."))
            return redirect("console:ticket", number=ticket.number)
    pages = [
        (page, [(event, event_sentence(event)) for event in page.events.all()])
        for page in ticket_pages(ticket)
    ]
    open_pages = any(page.status == Page.Status.TRIGGERED for page, _events in pages)
    urgent = ticket.is_open and ticket.severity == Severity.URGENT
    return render(
        request,
        PAGES,
        {
            "ticket": ticket,
            "pages": pages,
            "problems": list(ticket_page_problems(ticket)),
            "error": error,
            "poll_seconds": POLL_SECONDS if open_pages or urgent else 0,
        },
    )
