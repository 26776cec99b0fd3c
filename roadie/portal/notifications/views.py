"""A customer's notification preferences and (customer admins) the organization's robots."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from roadie.accounts.models import Role, User
from roadie.core.errors import DomainError
from roadie.notifications import selectors
from roadie.notifications.models import Channel
from roadie.notifications.services import (
    channel_create,
    channel_set_enabled,
    channel_test,
    preference_update,
)
from roadie.portal.access import add_domain_error, customer_required, is_htmx
from roadie.portal.notifications.forms import OrganizationChannelForm, PreferenceForm

PAGE = "portal/notifications/preferences.html"


def _viewer(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # the decorator let only users in


def _targets(request: HttpRequest) -> list[tuple[str, str]]:
    channels = selectors.channels_routable(user=_viewer(request)).order_by("name", "pk")
    return [("email", _("E-mail"))] + [(str(c.pk), c.name) for c in channels]


def _org_channels(request: HttpRequest) -> list[Channel]:
    return list(
        Channel.objects.filter(
            organization_id=_viewer(request).organization_id, user__isnull=True
        ).order_by("name", "pk")
    )


@customer_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    preference = selectors.preference_of(user=user)
    initial = {
        "quiet_start": preference.quiet_start if preference else None,
        "quiet_end": preference.quiet_end if preference else None,
        "time_zone": preference.time_zone if preference else "Asia/Shanghai",
        "mobile": preference.mobile if preference else "",
    }
    routes = preference.routes if preference else {}
    is_admin = user.role == Role.CUSTOMER_ADMIN
    posted_prefs = request.method == "POST" and "save_preferences" in request.POST
    posted_channel = request.method == "POST" and "add_channel" in request.POST
    form = PreferenceForm(
        request.POST if posted_prefs else None,
        initial=initial,
        targets=_targets(request),
        routes=routes,
    )
    channel_form = (
        OrganizationChannelForm(request.POST if posted_channel else None) if is_admin else None
    )
    if posted_channel and channel_form is None:
        raise Http404
    if posted_prefs and form.is_valid():
        data = form.cleaned_data
        try:
            preference_update(
                user=user,
                routes={**form.routes(), "*": routes.get("*", ["email"])},
                quiet_start=data["quiet_start"],
                quiet_end=data["quiet_end"],
                time_zone=data["time_zone"],
                mobile=data["mobile"],
                im_user_ids=preference.im_user_ids if preference else {},
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your notification preferences were saved."))
            return redirect("portal:notifications")
    if posted_channel and channel_form is not None and channel_form.is_valid():
        data = channel_form.cleaned_data
        try:
            channel = channel_create(
                by=user,
                kind=data["kind"],
                name=data["name"],
                url=data["url"],
                secret=data["secret"],
                organization=user.organization,
                language=data["language"],
            )
        except DomainError as error:
            add_domain_error(channel_form, error)
        else:
            messages.success(request, _("Channel %(name)s created.") % {"name": channel.name})
            return redirect("portal:notifications")
    context = {
        "form": form,
        "channel_form": channel_form,
        "channels": _org_channels(request),
        "is_admin": is_admin,
    }
    return render(request, PAGE, context, status=422 if request.method == "POST" else 200)


def _own_channel(request: HttpRequest, pk: int) -> Channel:
    """An organization channel the customer admin may manage; anything else is a 404."""
    channel = selectors.channels_visible(viewer=_viewer(request)).filter(pk=pk).first()
    if channel is None or not selectors.may_manage_channel(user=_viewer(request), channel=channel):
        raise Http404
    return channel


@customer_required
@require_POST
def channel_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _own_channel(request, pk)
    result = channel_test(channel=channel, by=_viewer(request))
    if is_htmx(request):
        return render(request, f"{PAGE}#test-result", {"channel": channel, "result": result})
    if result.ok:
        messages.success(request, _("Test message sent to %(name)s.") % {"name": channel.name})
    else:
        messages.error(
            request,
            _("The test message to %(name)s failed: %(detail)s")
            % {"name": channel.name, "detail": result.detail},
        )
    return redirect("portal:notifications")


@customer_required
@require_POST
def channel_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _own_channel(request, pk)
    channel_set_enabled(channel=channel, by=_viewer(request), enabled=not channel.enabled)
    return redirect("portal:notifications")
