"""The customer's monitoring: its deployments (last heartbeat, incidents), and per deployment
the figures, charts over 24 hours and 7 days, open and past incidents. Customer admins manage
the deployment's ingest tokens (to install the agent) and plan maintenance windows."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from roadie.core import clock
from roadie.core.errors import DomainError
from roadie.customers.models import Deployment
from roadie.monitoring import selectors, services
from roadie.monitoring.models import IngestToken, MaintenanceWindow
from roadie.portal.access import add_domain_error, customer_required
from roadie.portal.monitoring import forms

T = "portal/monitoring/"


def _deployment(request: HttpRequest, deployment_id: int) -> Deployment:
    try:
        return selectors.deployment_get(viewer=request.user, deployment_id=deployment_id)
    except Deployment.DoesNotExist:
        raise Http404


@customer_required
@require_GET
def deployments(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        T + "deployments.html",
        {"rows": selectors.fleet(viewer=request.user), "now": clock.now()},
    )


def _context(request: HttpRequest, item: Deployment, **extra: Any) -> dict[str, Any]:
    now = clock.now()
    may_tokens = services.may_manage_tokens(user=request.user, deployment=item)
    return {
        "overview": selectors.deployment_overview(deployment=item, now=now),
        "may_tokens": may_tokens,
        "may_maintenance": services.may_plan_maintenance(user=request.user, deployment=item),
        "tokens": selectors.ingest_tokens_of(deployment=item) if may_tokens else [],
        "token_form": extra.pop("token_form", None) or forms.TokenForm(),
        "maintenance_form": extra.pop("maintenance_form", None) or forms.MaintenanceForm(),
        "now": now,
        **extra,
    }


@customer_required
def deployment(request: HttpRequest, deployment_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)  # first: an invisible deployment is a 404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return render(request, T + "deployment.html", _context(request, item))


@customer_required
@require_POST
def token_create(request: HttpRequest, deployment_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    form = forms.TokenForm(request.POST)
    if form.is_valid():
        try:
            _token, plain = services.ingest_token_create(
                deployment=item,
                by=request.user,
                name=form.cleaned_data["name"],
                replace=form.cleaned_data["replace"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return render(request, T + "deployment.html", _context(request, item, new_token=plain))
    return render(
        request, T + "deployment.html", _context(request, item, token_form=form), status=422
    )


@customer_required
@require_POST
def token_revoke(request: HttpRequest, deployment_id: int, token_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    try:
        token = item.ingest_tokens.get(pk=token_id)
    except IngestToken.DoesNotExist:
        raise Http404
    try:
        services.ingest_token_revoke(token=token, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("portal:monitoring:deployment", deployment_id=item.pk)


@customer_required
@require_POST
def maintenance_create(request: HttpRequest, deployment_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    form = forms.MaintenanceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.maintenance_create(
                deployment=item,
                by=request.user,
                starts_at=data["starts_at"] or clock.now(),
                ends_at=data["ends_at"],
                reason=data["reason"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Maintenance window planned."))
            return redirect("portal:monitoring:deployment", deployment_id=item.pk)
    return render(
        request, T + "deployment.html", _context(request, item, maintenance_form=form), status=422
    )


@customer_required
@require_POST
def maintenance_end(request: HttpRequest, deployment_id: int, window_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    try:
        window = MaintenanceWindow.objects.select_related("deployment").get(
            deployment=item, pk=window_id
        )
    except MaintenanceWindow.DoesNotExist:
        raise Http404
    try:
        services.maintenance_end(window=window, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Maintenance window ended."))
    return redirect("portal:monitoring:deployment", deployment_id=item.pk)
