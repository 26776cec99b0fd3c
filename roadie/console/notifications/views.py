"""Dead letters with a retry button, and the notification channels of the vendor and customers."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from roadie.accounts.models import User
from roadie.accounts.permissions import Action
from roadie.console.decorators import staff_required
from roadie.console.htmx import is_htmx
from roadie.console.notifications.forms import ChannelCreateForm, ChannelEditForm
from roadie.core.errors import DomainError
from roadie.notifications import selectors
from roadie.notifications.models import Channel, OutboxMessage
from roadie.notifications.services import (
    channel_create,
    channel_set_enabled,
    channel_set_secret,
    channel_test,
    channel_update,
    outbox_retry,
)

OUTBOX = "console/notifications/outbox.html"
CHANNELS = "console/notifications/channels.html"
CHANNEL = "console/notifications/channel.html"
MAX_ROWS = 500


def _viewer(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # the decorator let only users in


@staff_required(action=Action.MANAGE_CUSTOMERS)
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    dead = selectors.outbox_dead_letters(limit=MAX_ROWS)
    return render(request, OUTBOX, {"dead": dead, "max_rows": MAX_ROWS})


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


def _channel(request: HttpRequest, pk: int) -> Channel:
    channel = selectors.channels_visible(viewer=_viewer(request)).filter(pk=pk).first()
    if channel is None or not selectors.may_manage_channel(user=_viewer(request), channel=channel):
        raise Http404
    return channel


def _channel_list(request: HttpRequest) -> list[Channel]:
    return list(
        selectors.channels_visible(viewer=_viewer(request))
        .filter(user__isnull=True)
        .order_by("organization__name", "name", "pk")
    )


@staff_required(action=Action.MANAGE_CUSTOMERS)
@require_http_methods(["GET", "POST"])
def channels(request: HttpRequest) -> HttpResponse:
    form = ChannelCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = channel_create(
                by=_viewer(request),
                kind=data["kind"],
                name=data["name"],
                url=data["url"],
                secret=data["secret"],
                organization=form.organization(),
                rate_limit_per_minute=data["rate_limit_per_minute"],
                language=data["language"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Channel %(name)s created.") % {"name": channel.name})
            return redirect("console:channels")
    status = 422 if request.method == "POST" else 200
    return render(
        request, CHANNELS, {"channels": _channel_list(request), "form": form}, status=status
    )


@staff_required(action=Action.MANAGE_CUSTOMERS)
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    initial = {
        "name": channel.name,
        "url": channel.url,
        "rate_limit_per_minute": channel.rate_limit_per_minute,
        "language": channel.language,
    }
    form = ChannelEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel_update(
                channel=channel,
                by=_viewer(request),
                name=data["name"],
                url=data["url"],
                rate_limit_per_minute=data["rate_limit_per_minute"],
                language=data["language"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            if data["secret"]:
                channel_set_secret(channel=channel, by=_viewer(request), secret=data["secret"])
            messages.success(request, _("Channel %(name)s saved.") % {"name": channel.name})
            return redirect("console:channels")
    status = 422 if request.method == "POST" else 200
    return render(request, CHANNEL, {"channel": channel, "form": form}, status=status)


@staff_required(action=Action.MANAGE_CUSTOMERS)
@require_POST
def channel_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    result = channel_test(channel=channel, by=_viewer(request))
    if is_htmx(request):
        return render(request, f"{CHANNELS}#test-result", {"channel": channel, "result": result})
    if result.ok:
        messages.success(request, _("Test message sent to %(name)s.") % {"name": channel.name})
    else:
        messages.error(
            request,
            _("The test message to %(name)s failed: %(detail)s")
            % {"name": channel.name, "detail": result.detail},
        )
    return redirect("console:channels")


@staff_required(action=Action.MANAGE_CUSTOMERS)
@require_POST
def channel_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    channel = channel_set_enabled(channel=channel, by=_viewer(request), enabled=not channel.enabled)
    if is_htmx(request):
        return render(request, f"{CHANNELS}#channel-row", {"channel": channel})
    return redirect("console:channels")
