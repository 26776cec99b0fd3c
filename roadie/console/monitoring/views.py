"""Staff console for monitoring: the fleet (silent, leaking, behind on backups), one
deployment's figures, charts and incidents, its ingest tokens, silences, maintenance windows and
rule overrides, and one incident's history."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from roadie.accounts.permissions import Action, can
from roadie.console.decorators import staff_required
from roadie.console.monitoring import forms
from roadie.core import clock
from roadie.core.errors import DomainError
from roadie.customers.models import Deployment
from roadie.monitoring import selectors, services
from roadie.monitoring.models import Incident, IngestToken, MaintenanceWindow, Silence
from roadie.oncall.models import Page

T = "console/monitoring/"


def _deployment(request: HttpRequest, deployment_id: int) -> Deployment:
    try:
        return selectors.deployment_get(viewer=request.user, deployment_id=deployment_id)
    except Deployment.DoesNotExist:
        raise Http404


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    try:
        return selectors.incident_get(viewer=request.user, incident_id=incident_id)
    except Incident.DoesNotExist:
        raise Http404


@staff_required
@require_GET
def fleet(request: HttpRequest) -> HttpResponse:
    form = forms.FleetFilterForm(request.GET)
    show, q = "all", ""
    if form.is_valid():
        show = form.cleaned_data["show"] or "all"
        q = form.cleaned_data["q"].strip()
    return render(
        request,
        T + "fleet.html",
        {
            "rows": selectors.fleet(viewer=request.user, show=show, q=q),
            "counts": selectors.fleet_counts(viewer=request.user),
            "show": show,
            "q": q,
            "filters": selectors.FLEET_FILTERS,
            "max_rows": selectors.MAX_ROWS,
            "now": clock.now(),
        },
    )


@staff_required
@require_GET
def incidents(request: HttpRequest) -> HttpResponse:
    qs = selectors.incidents_visible(viewer=request.user)
    open_ = list(qs.exclude(status=Incident.Status.RESOLVED).order_by("-opened_at")[:200])
    past = list(qs.filter(status=Incident.Status.RESOLVED).order_by("-resolved_at")[:100])
    return render(request, T + "incidents.html", {"open": open_, "past": past})


def _deployment_context(
    request: HttpRequest, deployment: Deployment, **extra: Any
) -> dict[str, Any]:
    now = clock.now()
    return {
        "overview": selectors.deployment_overview(deployment=deployment, now=now),
        "tokens": selectors.ingest_tokens_of(deployment=deployment),
        "silences": selectors.silences_of(deployment=deployment, now=now),
        "rules": selectors.rules_of(deployment=deployment),
        "may_work": can(request.user, Action.WORK_TICKETS),
        "token_form": extra.pop("token_form", None) or forms.TokenForm(),
        "silence_form": extra.pop("silence_form", None) or forms.SilenceForm(),
        "maintenance_form": extra.pop("maintenance_form", None) or forms.MaintenanceForm(),
        "rule_form": extra.pop("rule_form", None) or forms.RuleForm(),
        "now": now,
        **extra,
    }


@staff_required
def deployment(request: HttpRequest, deployment_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)  # first: an invisible deployment is a 404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return render(request, T + "deployment.html", _deployment_context(request, item))


def _invalid(request: HttpRequest, item: Deployment, **form: Any) -> HttpResponse:
    return render(
        request, T + "deployment.html", _deployment_context(request, item, **form), status=422
    )


@staff_required
@require_POST
def token_create(request: HttpRequest, deployment_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    form = forms.TokenForm(request.POST)
    if not form.is_valid():
        return _invalid(request, item, token_form=form)
    try:
        token, plain = services.ingest_token_create(
            deployment=item,
            by=request.user,
            name=form.cleaned_data["name"],
            replace=form.cleaned_data["replace"],
        )
    except DomainError as error:
        forms.add_domain_error(form, error.field, error.message)
        return _invalid(request, item, token_form=form)
    # Shown once, in this answer only: Roadie keeps the hash.
    return render(
        request,
        T + "deployment.html",
        _deployment_context(request, item, new_token=plain, new_token_row=token),
    )


@staff_required
@require_POST
def token_revoke(request: HttpRequest, deployment_id: int, token_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    try:
        token = item.ingest_tokens.get(pk=token_id)
    except IngestToken.DoesNotExist:
        raise Http404
    services.ingest_token_revoke(token=token, by=request.user)
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("console:monitoring:deployment", deployment_id=item.pk)


@staff_required
@require_POST
def silence_create(request: HttpRequest, deployment_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    form = forms.SilenceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.silence_create(
                deployment=item,
                by=request.user,
                starts_at=data["starts_at"] or clock.now(),
                ends_at=data["ends_at"],
                comment=data["comment"],
                rule=data["rule"],
                matchers=data["matchers"],
            )
        except DomainError as error:
            forms.add_domain_error(form, error.field, error.message)
        else:
            messages.success(request, _("Silence added."))
            return redirect("console:monitoring:deployment", deployment_id=item.pk)
    return _invalid(request, item, silence_form=form)


@staff_required
@require_POST
def silence_expire(request: HttpRequest, deployment_id: int, silence_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    try:
        silence = Silence.objects.get(deployment=item, pk=silence_id)
    except Silence.DoesNotExist:
        raise Http404
    services.silence_expire(silence=silence, by=request.user)
    messages.success(request, _("Silence ended."))
    return redirect("console:monitoring:deployment", deployment_id=item.pk)


@staff_required
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
            forms.add_domain_error(form, error.field, error.message)
        else:
            messages.success(request, _("Maintenance window planned."))
            return redirect("console:monitoring:deployment", deployment_id=item.pk)
    return _invalid(request, item, maintenance_form=form)


@staff_required
@require_POST
def maintenance_end(request: HttpRequest, deployment_id: int, window_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    try:
        window = MaintenanceWindow.objects.select_related("deployment").get(
            deployment=item, pk=window_id
        )
    except MaintenanceWindow.DoesNotExist:
        raise Http404
    services.maintenance_end(window=window, by=request.user)
    messages.success(request, _("Maintenance window ended."))
    return redirect("console:monitoring:deployment", deployment_id=item.pk)


@staff_required
@require_POST
def rule_set(request: HttpRequest, deployment_id: int) -> HttpResponse:
    item = _deployment(request, deployment_id)
    form = forms.RuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["clear"]:
                services.rule_setting_clear(rule=data["rule"], by=request.user, deployment=item)
            else:
                services.rule_setting_set(
                    rule=data["rule"],
                    by=request.user,
                    enabled=data["enabled"],
                    params=data["params"],
                    deployment=item,
                )
        except DomainError as error:
            forms.add_domain_error(form, (error.field or "").split(".")[0], error.message)
        else:
            messages.success(request, _("Rule %(rule)s saved.") % {"rule": data["rule"]})
            return redirect("console:monitoring:deployment", deployment_id=item.pk)
    return _invalid(request, item, rule_form=form)


@staff_required
def incident(request: HttpRequest, incident_id: int) -> HttpResponse:
    item = _incident(request, incident_id)  # first: an invisible incident is a 404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return render(
        request,
        T + "incident.html",
        {
            "incident": item,
            "events": selectors.incident_events(incident=item),
            "alerts": selectors.incident_alerts(incident=item),
            "pages": list(Page.objects.filter(source=item.page_source)),
            "may_work": can(request.user, Action.WORK_TICKETS),
        },
    )


@staff_required(action=Action.WORK_TICKETS)
@require_POST
def incident_acknowledge(request: HttpRequest, incident_id: int) -> HttpResponse:
    item = _incident(request, incident_id)
    services.incident_acknowledge(incident=item, by=request.user)
    messages.success(request, _("Incident acknowledged."))
    return redirect("console:monitoring:incident", incident_id=item.pk)


@staff_required(action=Action.WORK_TICKETS)
@require_POST
def incident_resolve(request: HttpRequest, incident_id: int) -> HttpResponse:
    item = _incident(request, incident_id)
    try:
        services.incident_resolve(incident=item, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Incident resolved."))
    return redirect("console:monitoring:incident", incident_id=item.pk)
