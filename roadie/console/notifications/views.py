"""Dead letters: messages the outbox gave up on, with a button to try again."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from roadie.accounts.permissions import Action
from roadie.console.decorators import staff_required
from roadie.console.htmx import is_htmx
from roadie.notifications.models import OutboxMessage
from roadie.notifications.services import outbox_retry

OUTBOX = "console/notifications/outbox.html"
MAX_ROWS = 500


@staff_required(action=Action.MANAGE_CUSTOMERS)
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    dead = OutboxMessage.objects.filter(status=OutboxMessage.Status.DEAD).order_by("-created_at")
    return render(request, OUTBOX, {"dead": dead[:MAX_ROWS], "max_rows": MAX_ROWS})


@staff_required(action=Action.MANAGE_CUSTOMERS)
@require_POST
def outbox_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = OutboxMessage.objects.filter(pk=pk, status=OutboxMessage.Status.DEAD).first()
    if message is None:
        raise Http404
    message = outbox_retry(message=message)
    if is_htmx(request):
        return render(request, f"{OUTBOX}#row", {"message": message})
    messages.success(
        request,
        _("The message to %(recipient)s was queued again.") % {"recipient": message.recipient},
    )
    return redirect("console:outbox")
