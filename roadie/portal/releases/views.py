"""The customer's view of updates: the advisories that affect it first, then the releases open to
it with their entitlement state and the upgrade path from what it runs."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from roadie.core.errors import DomainError
from roadie.customers.selectors import deployments_visible
from roadie.portal.access import customer_required
from roadie.releases import selectors, services
from roadie.releases.access import may_act_for_organization
from roadie.releases.entitlements import Entitlement, download_check, entitlement_check
from roadie.releases.errors import NotEntitled
from roadie.releases.models import Advisory, AdvisoryNotice, Release

T = "portal/releases/"


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VersionForm(forms.Form):
    version = forms.CharField(label=gettext_lazy("Installed version"), max_length=64)


@dataclass
class PathStep:
    release: Release
    entitlement: Entitlement


def _release(request: HttpRequest, release_id: int) -> Release:
    try:
        return selectors.release_get(viewer=request.user, release_id=release_id)
    except Release.DoesNotExist:
        raise Http404


def _advisory(request: HttpRequest, advisory_id: str) -> Advisory:
    try:
        return selectors.advisory_get(viewer=request.user, identifier=advisory_id)
    except Advisory.DoesNotExist:
        raise Http404


def _open_first(qs: Any) -> Any:
    return qs.annotate(
        closed=Case(
            When(status=AdvisoryNotice.Status.UPGRADED, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("closed", "-notified_at")


@customer_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    organization = user.organization
    notices = list(_open_first(selectors.notices_visible(viewer=user)))
    told = {n.advisory_id for n in notices}
    others = [a for a in selectors.advisories_visible(viewer=user)[:50] if a.pk not in told][:20]
    paths = []
    for row in selectors.deployments_behind(viewer=user):
        steps = [
            PathStep(r, entitlement_check(organization=organization, release=r)) for r in row.behind
        ]
        paths.append({"row": row, "steps": steps, "form": VersionForm(initial={"version": ""})})
    return render(
        request,
        T + "overview.html",
        {
            "notices": notices,
            "advisories": others,
            "paths": paths,
            "releases": list(selectors.releases_visible(viewer=user)[:30]),
            "may_act": may_act_for_organization(user),
        },
    )


@customer_required
@require_GET
def advisories(request: HttpRequest) -> HttpResponse:
    user = request.user
    notices = {n.advisory_id: n for n in selectors.notices_visible(viewer=user)}
    items = [
        {"advisory": a, "notice": notices.get(a.pk)}
        for a in selectors.advisories_visible(viewer=user)[:200]
    ]
    items.sort(key=lambda item: item["notice"] is None)
    return render(request, T + "advisories.html", {"items": items})


@customer_required
def advisory_detail(request: HttpRequest, advisory_id: str) -> HttpResponse:
    user = request.user
    advisory = _advisory(request, advisory_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return render(
        request,
        T + "advisory.html",
        {
            "advisory": advisory,
            "ranges": list(advisory.ranges.select_related("product")),
            "fixed_releases": [
                r
                for r in advisory.fixed_releases.select_related("product")
                if selectors.releases_visible(viewer=user).filter(pk=r.pk).exists()
            ],
            "notice": selectors.notice_for(viewer=user, advisory=advisory),
            "affected": selectors.affected_for_viewer(viewer=user, advisory=advisory),
            "may_act": may_act_for_organization(user),
        },
    )


@customer_required
@require_POST
def advisory_acknowledge(request: HttpRequest, advisory_id: str) -> HttpResponse:
    user = request.user
    advisory = _advisory(request, advisory_id)
    notice = selectors.notice_for(viewer=user, advisory=advisory)
    if notice is None:
        raise Http404
    try:
        services.advisory_notice_acknowledge(notice=notice, by=user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you: the advisory is acknowledged."))
    return redirect("portal:advisory", advisory_id=advisory.identifier)


@customer_required
def release_detail(request: HttpRequest, release_id: int) -> HttpResponse:
    user = request.user
    release = _release(request, release_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return render(
        request,
        T + "release.html",
        {
            "release": release,
            "artifacts": list(release.artifacts.all()),
            "entitlement": entitlement_check(organization=user.organization, release=release),
            "download": download_check(viewer=user, release=release),
            "requests": list(
                selectors.update_requests_visible(viewer=user).filter(release=release)
            ),
            "deployments": list(
                deployments_visible(viewer=user).filter(product_id=release.product_id)
            ),
            "advisories": list(
                selectors.advisories_visible(viewer=user).filter(fixed_releases=release)
            ),
            "form": NoteForm(),
            "may_act": may_act_for_organization(user),
        },
    )


@customer_required
@require_POST
def release_request(request: HttpRequest, release_id: int) -> HttpResponse:
    release = _release(request, release_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        created = services.update_request_create(release=release, by=request.user, note=note)
    except NotEntitled as refusal:
        messages.error(request, refusal.message)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if created.status == created.Status.APPROVED:
            messages.success(request, _("Granted: you can download the update now."))
        else:
            messages.success(request, _("Requested; you will hear from us by e-mail."))
    return redirect("portal:release", release_id=release.pk)


@customer_required
@require_POST
def release_quote(request: HttpRequest, release_id: int) -> HttpResponse:
    release = _release(request, release_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        ticket = services.quote_request_create(release=release, by=request.user, note=note)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal:release", release_id=release.pk)
    messages.success(
        request, _("Quote requested as ticket %(number)s.") % {"number": ticket.number}
    )
    return redirect("portal:ticket", number=ticket.number)


@customer_required
def release_artifact(request: HttpRequest, release_id: int, artifact_id: int) -> HttpResponse:
    """Downloading checks the entitlement; a refusal says why and offers the way to a quote."""
    release = _release(request, release_id)
    artifact = release.artifacts.filter(pk=artifact_id).first()
    if artifact is None:
        raise Http404
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    decision = download_check(viewer=request.user, release=release)
    if not decision.allowed:
        return render(
            request,
            T + "refused.html",
            {"release": release, "entitlement": decision, "form": NoteForm()},
            status=403,
        )
    if artifact.url:
        return HttpResponseRedirect(artifact.url)
    return FileResponse(artifact.file.open("rb"), as_attachment=True, filename=artifact.name)


@customer_required
@require_POST
def deployment_version(request: HttpRequest, deployment_id: int) -> HttpResponse:
    """ "We have upgraded": the installed version, and the advisory notices follow at once."""
    deployment = deployments_visible(viewer=request.user).filter(pk=deployment_id).first()
    if deployment is None:
        raise Http404
    if not may_act_for_organization(request.user):
        raise PermissionDenied
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the installed version."))
        return redirect("portal:releases")
    try:
        services.deployment_report_version(
            deployment=deployment, version=form.cleaned_data["version"], by=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(deployment)s now runs %(version)s.")
            % {"deployment": deployment, "version": deployment.version},
        )
    return redirect("portal:releases")
