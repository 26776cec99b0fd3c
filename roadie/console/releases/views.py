"""Staff pages: releases and artifacts, who runs what and how far behind, update requests,
contract entitlements, security advisories (draft → embargoed → published) and their notices."""

import json
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from roadie.console.decorators import staff_required
from roadie.console.releases import forms
from roadie.core.errors import DomainError
from roadie.customers.models import Contract, Product
from roadie.releases import selectors, services
from roadie.releases.access import may_manage_releases
from roadie.releases.entitlements import terms_of
from roadie.releases.models import Advisory, AdvisoryNotice, Release, UpdateRequest

T = "console/releases/"
MAX_ROWS = 500


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


# Releases -------------------------------------------------------------------------------------


@staff_required
@require_GET
def releases(request: HttpRequest) -> HttpResponse:
    products = list(Product.objects.all())
    grouped = selectors.releases_by_product(p.pk for p in products)
    rows = [{"product": p, "releases": list(reversed(grouped.get(p.pk, [])))} for p in products]
    return render(
        request,
        T + "releases.html",
        {"rows": rows, "may_manage": may_manage_releases(request.user)},
    )


@staff_required
def release_new(request: HttpRequest) -> HttpResponse:
    form = forms.ReleaseForm(request.POST or None, initial={"product": request.GET.get("product")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            release = services.release_create(
                product=data["product"],
                version=data["version"],
                by=request.user,
                notes=data["notes"],
                upgrade_guide=data["upgrade_guide"],
                compatibility_notes=data["compatibility_notes"],
                channel=data["channel"],
                kind=data["kind"] or None,
                kind_reason=data["kind_reason"],
                released_on=data["released_on"],
                end_of_support_on=data["end_of_support_on"],
            )
        except DomainError as error:
            forms.add_domain_error(form, error.field, error.message)
        else:
            messages.success(
                request,
                _("%(version)s recorded as a %(kind)s release.")
                % {"version": release.version, "kind": release.get_kind_display()},
            )
            return redirect("console:release", release_id=release.pk)
    return render(request, T + "release_new.html", {"form": form})


def _release_context(request: HttpRequest, release: Release, **extra: Any) -> dict[str, Any]:
    return {
        "release": release,
        "artifacts": list(release.artifacts.all()),
        "events": list(release.events.select_related("actor", "organization")),
        "requests": list(release.update_requests.select_related("organization")[:MAX_ROWS]),
        "may_manage": may_manage_releases(request.user),
        "artifact_form": extra.pop("artifact_form", None) or forms.ArtifactForm(),
        **extra,
    }


@staff_required
@require_GET
def release_detail(request: HttpRequest, release_id: int) -> HttpResponse:
    release = _release(request, release_id)
    return render(request, T + "release.html", _release_context(request, release))


@staff_required
@require_POST
def release_artifact_add(request: HttpRequest, release_id: int) -> HttpResponse:
    release = _release(request, release_id)
    form = forms.ArtifactForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["file"]:
                services.artifact_add_file(
                    release=release,
                    by=request.user,
                    content=data["file"],
                    name=data["name"],
                    sha256=data["sha256"],
                )
            else:
                services.artifact_add_link(
                    release=release,
                    by=request.user,
                    url=data["url"],
                    sha256=data["sha256"],
                    name=data["name"],
                )
        except DomainError as error:
            forms.add_domain_error(form, error.field, error.message)
        else:
            messages.success(request, _("Artifact added."))
            return redirect("console:release", release_id=release.pk)
    context = _release_context(request, release, artifact_form=form)
    return render(request, T + "release.html", context, status=422)


@staff_required
@require_GET
def release_artifact(request: HttpRequest, release_id: int, artifact_id: int) -> HttpResponse:
    release = _release(request, release_id)
    artifact = release.artifacts.filter(pk=artifact_id).first()
    if artifact is None:
        raise Http404
    if artifact.url:
        return HttpResponseRedirect(artifact.url)
    return FileResponse(artifact.file.open("rb"), as_attachment=True, filename=artifact.name)


@staff_required
@require_GET
def behind(request: HttpRequest) -> HttpResponse:
    """Which customers run what, and how far behind the latest release of its product."""
    products = list(Product.objects.all())
    product = next((p for p in products if p.slug == request.GET.get("product")), None)
    rows = selectors.deployments_behind(
        viewer=request.user, product_id=product.pk if product else None
    )
    contracts: dict[int, int] = {}
    for organization_id, contract_id in Contract.objects.order_by(
        "organization_id", "-starts_on"
    ).values_list("organization_id", "pk"):
        contracts.setdefault(organization_id, contract_id)
    for row in rows:
        row.contract_id = contracts.get(row.deployment.organization_id)
    summary = {
        "total": len(rows),
        "current": sum(1 for r in rows if r.latest and not r.count),
        "behind": sum(1 for r in rows if r.count),
    }
    return render(
        request,
        T + "behind.html",
        {
            "rows": rows[:MAX_ROWS],
            "max_rows": MAX_ROWS,
            "products": products,
            "product": product,
            "summary": summary,
        },
    )


# Update requests and entitlements -------------------------------------------------------------


@staff_required
@require_GET
def update_requests(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", UpdateRequest.Status.REQUESTED)
    qs = selectors.update_requests_visible(viewer=request.user)
    if status in UpdateRequest.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        T + "update_requests.html",
        {
            "items": list(qs[:MAX_ROWS]),
            "status": status,
            "statuses": UpdateRequest.Status.choices,
            "may_manage": may_manage_releases(request.user),
        },
    )


def _decide(request: HttpRequest, update_request_id: int, approve: bool) -> HttpResponse:
    item = (
        selectors.update_requests_visible(viewer=request.user).filter(pk=update_request_id).first()
    )
    if item is None:
        raise Http404
    form = forms.DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if approve:
            services.update_request_approve(request=item, by=request.user, note=note)
        else:
            services.update_request_decline(request=item, by=request.user, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Request approved.") if approve else _("Request declined."))
    return redirect("console:update_requests")


@staff_required
@require_POST
def update_request_approve(request: HttpRequest, update_request_id: int) -> HttpResponse:
    return _decide(request, update_request_id, approve=True)


@staff_required
@require_POST
def update_request_decline(request: HttpRequest, update_request_id: int) -> HttpResponse:
    return _decide(request, update_request_id, approve=False)


@staff_required
def entitlement(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = (
        Contract.objects.select_related("organization", "tier").filter(pk=contract_id).first()
    )
    if contract is None:
        raise Http404
    terms = terms_of(contract)
    initial = {
        "patch_cost": terms.patch_cost,
        "minor_cost": terms.minor_cost,
        "minor_allowance_per_year": terms.minor_allowance_per_year,
        "major_cost": terms.major_cost,
        "delivery_mode": terms.delivery_mode,
        "support_until": terms.support_until,
    }
    form = forms.EntitlementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.entitlement_set(contract=contract, by=request.user, **form.cleaned_data)
        except DomainError as error:
            forms.add_domain_error(form, error.field, error.message)
        else:
            messages.success(request, _("Entitlement saved."))
            return redirect("console:entitlement", contract_id=contract.pk)
    return render(
        request,
        T + "entitlement.html",
        {"contract": contract, "form": form, "is_default": terms.pk is None},
    )


# Advisories -----------------------------------------------------------------------------------


@staff_required
@require_GET
def advisories(request: HttpRequest) -> HttpResponse:
    qs = selectors.advisories_visible(viewer=request.user)
    status = request.GET.get("status", "")
    if status in Advisory.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        T + "advisories.html",
        {
            "advisories": list(qs[:MAX_ROWS]),
            "status": status,
            "statuses": Advisory.Status.choices,
            "may_manage": may_manage_releases(request.user),
        },
    )


def _advisory_form_page(
    request: HttpRequest, advisory: Advisory | None, template: str
) -> HttpResponse:
    if advisory is not None:
        initial = forms.AdvisoryForm.initial_for(advisory)
        ranges = [
            {"product": r.product.slug, "introduced": r.introduced, "fixed": r.fixed}
            for r in advisory.ranges.select_related("product")
        ]
    else:
        initial, ranges = {}, []
    form = forms.AdvisoryForm(request.POST or None, initial=initial)
    formset = forms.RangeFormSet(request.POST or None, initial=ranges or None, prefix="affected")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        common = {
            "by": request.user,
            "title": data["title"],
            "cvss_vector": data["cvss_vector"],
            "description": data["description"],
            "workarounds": data["workarounds"],
            "affected": forms.range_specs(formset),
            "aliases": form.aliases_list(),
            "references": form.references_list(),
            "credits": form.credits_list(),
        }
        try:
            if advisory is None:
                advisory = services.advisory_create(**common)
            else:
                advisory = services.advisory_update(advisory=advisory, **common)
        except DomainError as error:
            if not forms.add_range_error(formset, error.field or "", error.message):
                forms.add_domain_error(form, error.field, error.message)
        else:
            messages.success(request, _("Advisory %(id)s saved.") % {"id": advisory.identifier})
            return redirect("console:advisory", advisory_id=advisory.identifier)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        T + template,
        {"form": form, "formset": formset, "advisory": advisory},
        status=status,
    )


@staff_required
def advisory_new(request: HttpRequest) -> HttpResponse:
    return _advisory_form_page(request, None, "advisory_form.html")


@staff_required
def advisory_edit(request: HttpRequest, advisory_id: str) -> HttpResponse:
    return _advisory_form_page(request, _advisory(request, advisory_id), "advisory_form.html")


@staff_required
def advisory_import(request: HttpRequest) -> HttpResponse:
    form = forms.ImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = json.loads(form.cleaned_data["document"])
        except ValueError as error:
            form.add_error("document", _("Not JSON: %(error)s") % {"error": error})
        else:
            try:
                advisory = services.advisory_import_osv(document=document, by=request.user)
            except DomainError as error:
                form.add_error("document", f"{error.field}: {error.message}")
            else:
                messages.success(
                    request, _("Imported as draft %(id)s.") % {"id": advisory.identifier}
                )
                return redirect("console:advisory", advisory_id=advisory.identifier)
    return render(request, T + "advisory_import.html", {"form": form})


@staff_required
@require_GET
def advisory_detail(request: HttpRequest, advisory_id: str) -> HttpResponse:
    advisory = _advisory(request, advisory_id)
    affected = selectors.affected_deployments(advisory=advisory)
    notices = list(
        AdvisoryNotice.objects.filter(advisory=advisory).select_related(
            "organization", "acknowledged_by"
        )
    )
    counts = {status: 0 for status in AdvisoryNotice.Status.values}
    for notice in notices:
        counts[notice.status] += 1
    return render(
        request,
        T + "advisory.html",
        {
            "advisory": advisory,
            "ranges": list(advisory.ranges.select_related("product")),
            "fixed_releases": list(advisory.fixed_releases.select_related("product")),
            "affected": affected[:MAX_ROWS],
            "affected_total": len(affected),
            "affected_organizations": len({a.organization_id for a in affected}),
            "notices": notices,
            "counts": counts,
            "events": list(advisory.events.select_related("actor", "organization")[:MAX_ROWS]),
            "embargo_form": forms.EmbargoForm(initial={"embargo_until": advisory.embargo_until}),
            "may_manage": may_manage_releases(request.user),
        },
    )


def _transition(request: HttpRequest, advisory_id: str, publish: bool) -> HttpResponse:
    advisory = _advisory(request, advisory_id)
    form = forms.EmbargoForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a valid date and time."))
        return redirect("console:advisory", advisory_id=advisory.identifier)
    until = form.cleaned_data["embargo_until"]
    try:
        if publish:
            advisory = services.advisory_publish(
                advisory=advisory, by=request.user, embargo_until=until
            )
            notified = advisory.notices.count()
            messages.success(
                request,
                _("Published; %(n)s organizations were notified.") % {"n": notified},
            )
        else:
            services.advisory_embargo(advisory=advisory, by=request.user, embargo_until=until)
            messages.success(request, _("The advisory is embargoed."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("console:advisory", advisory_id=advisory.identifier)


@staff_required
@require_POST
def advisory_embargo(request: HttpRequest, advisory_id: str) -> HttpResponse:
    return _transition(request, advisory_id, publish=False)


@staff_required
@require_POST
def advisory_publish(request: HttpRequest, advisory_id: str) -> HttpResponse:
    return _transition(request, advisory_id, publish=True)
