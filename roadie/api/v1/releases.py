"""Releases, entitlements, update requests and security advisories (with OSV export and import)."""

import json
from datetime import date, datetime
from typing import Any, TypeVar

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from ninja import Body, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from roadie.api.errors import problem
from roadie.api.v1.common import viewer
from roadie.core.errors import InvalidInput
from roadie.customers import selectors as customer_selectors
from roadie.customers.errors import UnknownReference
from roadie.customers.models import Contract, Product
from roadie.releases import osv, selectors, services
from roadie.releases.entitlements import Entitlement, download_check, entitlement_check, terms_of
from roadie.releases.errors import NotAllowed, NotEntitled, UnknownProduct
from roadie.releases.models import (
    Advisory,
    AdvisoryNotice,
    Artifact,
    Release,
    UpdateRequest,
)

router = Router(tags=["releases"])


S = TypeVar("S", bound=Schema)


def _optional_body(request: HttpRequest, schema: type[S]) -> S:
    """Actions whose body is optional: no body, an empty one or a form post mean the defaults
    (so `POST …/publish` with nothing works as well as with `{"embargo_until": …}`)."""
    raw = request.body.strip()
    data: Any = {}
    if raw and request.content_type in ("application/json", "text/plain", ""):
        try:
            data = json.loads(raw)
        except ValueError:
            raise InvalidInput("The request body is not JSON.", field="body")
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.", field="body")
    try:
        return schema.model_validate(data)
    except PydanticValidationError as error:
        first = error.errors()[0]
        raise InvalidInput(str(first["msg"]), field=".".join(str(p) for p in first["loc"]))


def _body_doc(schema: type[Schema]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


# Releases ------------------------------------------------------------------------------------


class ReleaseIn(Schema):
    product: str
    version: str = Field(max_length=64)
    notes: str = ""
    upgrade_guide: str = ""
    compatibility_notes: str = ""
    channel: str = "stable"
    kind: str | None = None
    kind_reason: str = ""
    released_on: date | None = None
    end_of_support_on: date | None = None


class ArtifactOut(Schema):
    id: int
    name: str
    sha256: str
    size: int | None
    link: str
    download: str

    @staticmethod
    def resolve_link(obj: Artifact) -> str:
        return obj.url

    @staticmethod
    def resolve_download(obj: Artifact) -> str:
        return reverse("api-v1:release_artifact", args=[obj.release_id, obj.pk])


class ReleaseOut(Schema):
    id: int
    product: str
    version: str
    kind: str
    derived_kind: str
    kind_reason: str
    channel: str
    notes: str
    upgrade_guide: str
    compatibility_notes: str
    released_on: date
    end_of_support_on: date | None
    artifacts: list[ArtifactOut]
    created_at: datetime

    @staticmethod
    def resolve_product(obj: Release) -> str:
        return obj.product.slug

    @staticmethod
    def resolve_artifacts(obj: Release) -> list[Artifact]:
        return list(obj.artifacts.all())


class ReleaseList(Schema):
    items: list[ReleaseOut]
    next: str | None = None


class EntitlementOut(Schema):
    allowed: bool
    cost: str
    reason: str
    message: str
    delivery_mode: str
    allowance: int
    used: int
    year_start: date | None
    year_end: date | None
    support_until: date | None
    already_granted: bool
    quote_possible: bool


def _product(slug: str) -> Product:
    product = Product.objects.filter(slug=slug).first()
    if product is None:
        raise UnknownProduct(f"Unknown product {slug!r}.", field="product")
    return product


def _refusal(request: HttpRequest, decision: Entitlement | NotEntitled) -> HttpResponse:
    reason = decision.reason
    message = decision.message
    return problem(
        request,
        403,
        "not_entitled",
        message,
        [{"field": "release", "message": message}],
        reason=reason,
        quote="Create a quote request with POST …/quote (a change-request ticket).",
    )


@router.post("/releases", response={201: ReleaseOut})
def create_release(request: HttpRequest, payload: ReleaseIn) -> Status:
    release = services.release_create(
        product=_product(payload.product),
        version=payload.version,
        by=viewer(request),
        notes=payload.notes,
        upgrade_guide=payload.upgrade_guide,
        compatibility_notes=payload.compatibility_notes,
        channel=payload.channel,
        kind=payload.kind,
        kind_reason=payload.kind_reason,
        released_on=payload.released_on,
        end_of_support_on=payload.end_of_support_on,
    )
    return Status(201, release)


@router.get("/releases", response=ReleaseList)
def list_releases(request: HttpRequest, product: str = "") -> dict[str, object]:
    qs = selectors.releases_visible(viewer=viewer(request)).prefetch_related("artifacts")
    if product:
        qs = qs.filter(product__slug=product)
    return {"items": list(qs), "next": None}


@router.get("/releases/{release_id}", response=ReleaseOut)
def get_release(request: HttpRequest, release_id: int) -> Release:
    return selectors.release_get(viewer=viewer(request), release_id=release_id)


@router.post("/releases/{release_id}/artifacts", response={201: ArtifactOut})
def add_artifact(
    request: HttpRequest,
    release_id: int,
    file: UploadedFile | None = File(None),  # noqa: B008
    name: str = Form(""),  # noqa: B008
    sha256: str = Form(""),  # noqa: B008
    url: str = Form(""),  # noqa: B008
) -> Status:
    """Multipart: a `file` (its SHA-256 is computed; a declared `sha256` must match) or a `url`
    with its `sha256`."""
    user = viewer(request)
    release = selectors.release_get(viewer=user, release_id=release_id)
    if file is not None:
        artifact = services.artifact_add_file(
            release=release, by=user, content=file, name=name, sha256=sha256
        )
    else:
        artifact = services.artifact_add_link(
            release=release, by=user, url=url, sha256=sha256, name=name
        )
    return Status(201, artifact)


@router.get("/releases/{release_id}/artifacts/{artifact_id}", url_name="release_artifact")
def download_artifact(request: HttpRequest, release_id: int, artifact_id: int) -> HttpResponse:
    """The file (or a redirect to the link) once the update is granted; else why not."""
    user = viewer(request)
    release = selectors.release_get(viewer=user, release_id=release_id)
    artifact = release.artifacts.get(pk=artifact_id)
    decision = download_check(viewer=user, release=release)
    if not decision.allowed:
        return _refusal(request, decision)
    if artifact.url:
        return HttpResponseRedirect(artifact.url)
    response = FileResponse(artifact.file.open("rb"), as_attachment=True, filename=artifact.name)
    response["X-Checksum-SHA256"] = artifact.sha256
    return response


@router.get("/releases/{release_id}/entitlement", response=EntitlementOut)
def release_entitlement(
    request: HttpRequest, release_id: int, organization: str = ""
) -> dict[str, object]:
    """What the release costs the organization (a customer: its own; staff: ?organization=)."""
    user = viewer(request)
    release = selectors.release_get(viewer=user, release_id=release_id)
    if user.is_vendor_staff:
        org = (
            customer_selectors.organizations_visible(viewer=user).filter(slug=organization).first()
        )
        if org is None:
            raise UnknownReference(f"Unknown organization {organization!r}.", field="organization")
    else:
        org = user.organization
    return entitlement_check(organization=org, release=release).as_dict()


class UpdateRequestIn(Schema):
    deployment: int | None = None
    note: str = Field("", max_length=5000)


class UpdateRequestOut(Schema):
    id: int
    organization: str
    product: str
    version: str
    status: str
    source: str
    cost: str
    note: str
    decision_note: str
    created_at: datetime
    decided_at: datetime | None

    @staticmethod
    def resolve_organization(obj: UpdateRequest) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_product(obj: UpdateRequest) -> str:
        return obj.release.product.slug

    @staticmethod
    def resolve_version(obj: UpdateRequest) -> str:
        return obj.release.version


class UpdateRequestList(Schema):
    items: list[UpdateRequestOut]
    next: str | None = None


class DecisionIn(Schema):
    note: str = Field("", max_length=5000)


class QuoteIn(Schema):
    note: str = Field("", max_length=5000)


class QuoteOut(Schema):
    ticket: str


@router.post(
    "/releases/{release_id}/requests",
    response={201: UpdateRequestOut},
    openapi_extra=_body_doc(UpdateRequestIn),
)
def request_update(request: HttpRequest, release_id: int) -> Status | HttpResponse:
    """A customer admin requests the release; a refusal is a 403 problem with its reason."""
    user = viewer(request)
    release = selectors.release_get(viewer=user, release_id=release_id)
    payload = _optional_body(request, UpdateRequestIn)
    deployment = None
    if payload.deployment is not None:
        deployment = customer_selectors.deployments_visible(viewer=user).get(pk=payload.deployment)
    try:
        created = services.update_request_create(
            release=release, by=user, deployment=deployment, note=payload.note
        )
    except NotEntitled as refusal:
        return _refusal(request, refusal)
    return Status(201, created)


@router.post(
    "/releases/{release_id}/quote", response={201: QuoteOut}, openapi_extra=_body_doc(QuoteIn)
)
def request_quote(request: HttpRequest, release_id: int) -> Status:
    user = viewer(request)
    release = selectors.release_get(viewer=user, release_id=release_id)
    payload = _optional_body(request, QuoteIn)
    ticket = services.quote_request_create(release=release, by=user, note=payload.note)
    return Status(201, {"ticket": ticket.number})


@router.get("/update-requests", response=UpdateRequestList)
def list_update_requests(request: HttpRequest, status: str = "") -> dict[str, object]:
    qs = selectors.update_requests_visible(viewer=viewer(request))
    if status:
        qs = qs.filter(status=status)
    return {"items": list(qs[:500]), "next": None}


def _update_request(request: HttpRequest, update_request_id: int) -> UpdateRequest:
    return selectors.update_requests_visible(viewer=viewer(request)).get(pk=update_request_id)


@router.post(
    "/update-requests/{update_request_id}/approve",
    response=UpdateRequestOut,
    openapi_extra=_body_doc(DecisionIn),
)
def approve_update_request(
    request: HttpRequest, update_request_id: int
) -> UpdateRequest | HttpResponse:
    item = _update_request(request, update_request_id)
    payload = _optional_body(request, DecisionIn)
    try:
        return services.update_request_approve(request=item, by=viewer(request), note=payload.note)
    except NotEntitled as refusal:
        return _refusal(request, refusal)


@router.post(
    "/update-requests/{update_request_id}/decline",
    response=UpdateRequestOut,
    openapi_extra=_body_doc(DecisionIn),
)
def decline_update_request(request: HttpRequest, update_request_id: int) -> UpdateRequest:
    item = _update_request(request, update_request_id)
    payload = _optional_body(request, DecisionIn)
    return services.update_request_decline(request=item, by=viewer(request), note=payload.note)


# Entitlements ---------------------------------------------------------------------------------


class ContractEntitlementIn(Schema):
    patch_cost: str = "free"
    minor_cost: str = "allowance"
    minor_allowance_per_year: int = Field(2, ge=0, le=100)
    major_cost: str = "paid"
    delivery_mode: str = "request"
    support_until: date | None = None


class ContractEntitlementOut(Schema):
    contract: int
    default: bool
    patch_cost: str
    minor_cost: str
    minor_allowance_per_year: int
    major_cost: str
    delivery_mode: str
    support_until: date


def _terms(contract: Contract) -> dict[str, object]:
    terms = terms_of(contract)
    return {
        "contract": contract.pk,
        "default": terms.pk is None,
        "patch_cost": terms.patch_cost,
        "minor_cost": terms.minor_cost,
        "minor_allowance_per_year": terms.minor_allowance_per_year,
        "major_cost": terms.major_cost,
        "delivery_mode": terms.delivery_mode,
        "support_until": terms.support_ends_on(),
    }


@router.get("/contracts/{contract_id}/entitlement", response=ContractEntitlementOut)
def get_entitlement(request: HttpRequest, contract_id: int) -> dict[str, object]:
    contract = customer_selectors.contracts_visible(viewer=viewer(request)).get(pk=contract_id)
    return _terms(contract)


@router.put("/contracts/{contract_id}/entitlement", response=ContractEntitlementOut)
def set_entitlement(
    request: HttpRequest, contract_id: int, payload: ContractEntitlementIn
) -> dict[str, object]:
    user = viewer(request)
    contract = customer_selectors.contracts_visible(viewer=user).get(pk=contract_id)
    services.entitlement_set(contract=contract, by=user, **payload.dict())
    contract = Contract.objects.select_related("entitlement").get(pk=contract.pk)
    return _terms(contract)


# Advisories -----------------------------------------------------------------------------------


class RangeIn(Schema):
    product: str
    introduced: str = "0"
    fixed: str | None = None
    last_affected: str | None = None


class ReferenceIn(Schema):
    type: str = "WEB"
    url: str


class CreditIn(Schema):
    name: str
    contact: list[str] = []
    type: str | None = None


class AdvisoryIn(Schema):
    title: str = Field(max_length=300)
    description: str = ""
    workarounds: str = ""
    cvss_vector: str = Field(max_length=200)
    affected: list[RangeIn]
    aliases: list[str] = []
    references: list[ReferenceIn] = []
    credits: list[CreditIn] = []
    embargo_until: datetime | None = None


class AdvisoryPatch(Schema):
    title: str | None = Field(None, max_length=300)
    description: str | None = None
    workarounds: str | None = None
    cvss_vector: str | None = Field(None, max_length=200)
    affected: list[RangeIn] | None = None
    aliases: list[str] | None = None
    references: list[ReferenceIn] | None = None
    credits: list[CreditIn] | None = None


class RangeOut(Schema):
    product: str
    introduced: str
    fixed: str | None
    last_affected: str | None


class AdvisoryOut(Schema):
    id: str
    title: str
    description: str
    workarounds: str
    cvss_vector: str
    cvss_score: float
    severity: str
    status: str
    embargo_until: datetime | None
    published_at: datetime | None
    affected: list[RangeOut]
    fixed_releases: list[str]
    aliases: list[str]
    references: list[dict[str, Any]]
    credits: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_id(obj: Advisory) -> str:
        return obj.identifier

    @staticmethod
    def resolve_cvss_score(obj: Advisory) -> float:
        return float(obj.cvss_score)

    @staticmethod
    def resolve_affected(obj: Advisory) -> list[dict[str, object]]:
        return [
            {
                "product": r.product.slug,
                "introduced": r.introduced,
                "fixed": r.fixed or None,
                "last_affected": r.last_affected or None,
            }
            for r in obj.ranges.select_related("product")
        ]

    @staticmethod
    def resolve_fixed_releases(obj: Advisory) -> list[str]:
        return [
            f"{r.product.slug} {r.version}" for r in obj.fixed_releases.select_related("product")
        ]


class AdvisoryList(Schema):
    items: list[AdvisoryOut]
    next: str | None = None


class PublishIn(Schema):
    embargo_until: datetime | None = None


class AffectedOut(Schema):
    deployment: int
    organization: str
    version: str
    product: str
    environment: str
    name: str


class AffectedList(Schema):
    items: list[AffectedOut]


class NoticeOut(Schema):
    advisory: str
    organization: str
    status: str
    deployments: list[dict[str, Any]]
    notified_at: datetime
    acknowledged_at: datetime | None
    upgraded_at: datetime | None
    reminders: int
    escalated_at: datetime | None

    @staticmethod
    def resolve_advisory(obj: AdvisoryNotice) -> str:
        return obj.advisory.identifier

    @staticmethod
    def resolve_organization(obj: AdvisoryNotice) -> str:
        return obj.organization.slug


class NoticeList(Schema):
    items: list[NoticeOut]


def _specs(affected: list[RangeIn]) -> list[services.RangeSpec]:
    return [
        services.RangeSpec(
            product=item.product,
            introduced=item.introduced,
            fixed=item.fixed or "",
            last_affected=item.last_affected or "",
        )
        for item in affected
    ]


def _advisory(request: HttpRequest, advisory_id: str) -> Advisory:
    return selectors.advisory_get(viewer=viewer(request), identifier=advisory_id)


# Fixed paths first: /advisories/{advisory_id} would otherwise take "feed.json" and "import-osv".
@router.get("/advisories/feed.json", auth=None)
def advisories_feed(request: HttpRequest) -> dict[str, object]:
    """Every published advisory past its embargo, as OSV documents: {"vulns": [...]}."""
    return {"vulns": [osv.advisory_to_osv(a) for a in selectors.advisories_public()]}


@router.post("/advisories/import-osv", response={201: AdvisoryOut})
def import_osv(request: HttpRequest, document: dict[str, Any] = Body(...)) -> Status:  # noqa: B008
    """An OSV JSON document becomes a draft advisory."""
    return Status(201, services.advisory_import_osv(document=document, by=viewer(request)))


@router.post("/advisories", response={201: AdvisoryOut})
def create_advisory(request: HttpRequest, payload: AdvisoryIn) -> Status:
    advisory = services.advisory_create(
        by=viewer(request),
        title=payload.title,
        description=payload.description,
        workarounds=payload.workarounds,
        cvss_vector=payload.cvss_vector,
        affected=_specs(payload.affected),
        aliases=payload.aliases,
        references=[r.dict() for r in payload.references],
        credits=[c.dict() for c in payload.credits],
        embargo_until=payload.embargo_until,
    )
    return Status(201, advisory)


@router.get("/advisories", response=AdvisoryList)
def list_advisories(request: HttpRequest, status: str = "") -> dict[str, object]:
    qs = selectors.advisories_visible(viewer=viewer(request)).prefetch_related("ranges__product")
    if status:
        qs = qs.filter(status=status)
    return {"items": list(qs[:500]), "next": None}


@router.get("/advisories/{advisory_id}", response=AdvisoryOut)
def get_advisory(request: HttpRequest, advisory_id: str) -> Advisory:
    return _advisory(request, advisory_id)


@router.patch("/advisories/{advisory_id}", response=AdvisoryOut)
def update_advisory(request: HttpRequest, advisory_id: str, payload: AdvisoryPatch) -> Advisory:
    """Change what is given, keep the rest; the ranges are frozen once published."""
    advisory = _advisory(request, advisory_id)
    given = payload.dict(exclude_unset=True)
    affected = (
        _specs([RangeIn(**item) for item in given["affected"]])
        if "affected" in given
        else [
            services.RangeSpec(r.product.slug, r.introduced, r.fixed, r.last_affected)
            for r in advisory.ranges.select_related("product")
        ]
    )
    return services.advisory_update(
        advisory=advisory,
        by=viewer(request),
        title=given.get("title", advisory.title),
        description=given.get("description", advisory.description),
        workarounds=given.get("workarounds", advisory.workarounds),
        cvss_vector=given.get("cvss_vector", advisory.cvss_vector),
        affected=affected,
        aliases=given.get("aliases", advisory.aliases),
        references=given.get("references", advisory.references),
        credits=given.get("credits", advisory.credits),
    )


@router.post(
    "/advisories/{advisory_id}/embargo", response=AdvisoryOut, openapi_extra=_body_doc(PublishIn)
)
def embargo_advisory(request: HttpRequest, advisory_id: str) -> Advisory:
    advisory = _advisory(request, advisory_id)
    payload = _optional_body(request, PublishIn)
    return services.advisory_embargo(
        advisory=advisory, by=viewer(request), embargo_until=payload.embargo_until
    )


@router.post(
    "/advisories/{advisory_id}/publish", response=AdvisoryOut, openapi_extra=_body_doc(PublishIn)
)
def publish_advisory(request: HttpRequest, advisory_id: str) -> Advisory:
    """Notify the affected organizations, then publish; non-affected customers and the feed see
    it once `embargo_until` (optional body) has passed."""
    advisory = _advisory(request, advisory_id)
    payload = _optional_body(request, PublishIn)
    return services.advisory_publish(
        advisory=advisory, by=viewer(request), embargo_until=payload.embargo_until
    )


@router.get("/advisories/{advisory_id}/affected", response=AffectedList)
def advisory_affected(request: HttpRequest, advisory_id: str) -> dict[str, object]:
    """The deployments whose installed version is in a range now (a customer: its own)."""
    user = viewer(request)
    advisory = _advisory(request, advisory_id)
    return {"items": selectors.affected_for_viewer(viewer=user, advisory=advisory)}


@router.get("/advisories/{advisory_id}/osv", url_name="advisory_osv")
def advisory_osv(request: HttpRequest, advisory_id: str) -> dict[str, Any]:
    return osv.advisory_to_osv(_advisory(request, advisory_id))


@router.get("/advisories/{advisory_id}/notices", response=NoticeList)
def advisory_notices(request: HttpRequest, advisory_id: str) -> dict[str, object]:
    advisory = _advisory(request, advisory_id)
    return {
        "items": list(selectors.notices_visible(viewer=viewer(request)).filter(advisory=advisory))
    }


@router.post("/advisories/{advisory_id}/acknowledge", response=NoticeOut)
def acknowledge_advisory(request: HttpRequest, advisory_id: str) -> AdvisoryNotice:
    """A customer admin acknowledges the advisory for the organization."""
    user = viewer(request)
    advisory = _advisory(request, advisory_id)
    notice = selectors.notice_for(viewer=user, advisory=advisory)
    if notice is None:
        raise NotAllowed("Your organization has no notice of this advisory.")
    return services.advisory_notice_acknowledge(notice=notice, by=user)
