"""Reads of releases and advisories; reads across the customer boundary take the viewer.

A customer sees the releases of the products it runs, and only published advisories: the ones
that affect it (it holds a notice) from publication on, every other one once its embargo is
lifted. Drafts and embargoed advisories are staff-only; invisible means DoesNotExist (a 404).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from roadie.accounts.models import User
from roadie.core import clock
from roadie.customers.models import Deployment
from roadie.releases import versions
from roadie.releases.models import Advisory, AdvisoryNotice, AffectedRange, Release, UpdateRequest


def releases_visible(*, viewer: User) -> QuerySet[Release]:
    qs = Release.objects.select_related("product")
    if viewer.is_vendor_staff:
        return qs
    runs = Deployment.objects.filter(
        organization_id=viewer.organization_id, product_id=OuterRef("product_id")
    )
    return qs.filter(Exists(runs))


def release_get(*, viewer: User, release_id: int) -> Release:
    return releases_visible(viewer=viewer).get(pk=release_id)


def releases_by_product(product_ids: Iterable[int]) -> dict[int, list[Release]]:
    """Each product's releases in ascending SemVer precedence."""
    grouped: dict[int, list[Release]] = defaultdict(list)
    for release in Release.objects.filter(product_id__in=set(product_ids)).select_related(
        "product"
    ):
        grouped[release.product_id].append(release)
    for releases in grouped.values():
        releases.sort(key=lambda r: versions.parse(r.version))  # type: ignore[arg-type,return-value]
    return grouped


def latest_release(releases: list[Release]) -> Release | None:
    """The highest final (not pre-release) one of a product's sorted releases."""
    finals = [r for r in releases if not versions.is_prerelease(r.version)]
    return finals[-1] if finals else None


def _public(now: datetime) -> Q:
    return Q(status=Advisory.Status.PUBLISHED) & (
        Q(embargo_until__isnull=True) | Q(embargo_until__lte=now)
    )


def advisories_visible(*, viewer: User, now: datetime | None = None) -> QuerySet[Advisory]:
    qs = Advisory.objects.all()
    if viewer.is_vendor_staff:
        return qs
    now = now or clock.now()
    told = AdvisoryNotice.objects.filter(
        advisory_id=OuterRef("pk"), organization_id=viewer.organization_id
    )
    return qs.filter(_public(now) | (Q(status=Advisory.Status.PUBLISHED) & Exists(told)))


def advisory_get(*, viewer: User, identifier: str, now: datetime | None = None) -> Advisory:
    return advisories_visible(viewer=viewer, now=now).get(identifier=identifier.upper())


def advisories_public(*, now: datetime | None = None) -> QuerySet[Advisory]:
    """The public feed: published and past any embargo."""
    return Advisory.objects.filter(_public(now or clock.now())).prefetch_related(
        "ranges__product", "fixed_releases"
    )


def advisory_ranges(advisory: Advisory) -> dict[int, list[versions.Range]]:
    grouped: dict[int, list[versions.Range]] = defaultdict(list)
    rows = AffectedRange.objects.filter(advisory=advisory).values_list(
        "product_id", "introduced", "fixed", "last_affected"
    )
    for product_id, introduced, fixed, last_affected in rows:
        grouped[product_id].append(versions.Range(introduced, fixed, last_affected))
    return grouped


@dataclass(frozen=True)
class AffectedDeployment:
    deployment: int
    organization_id: int
    organization: str  # slug
    product: str  # slug
    version: str
    name: str
    environment: str


def affected_deployments(
    *, advisory: Advisory, organization_id: int | None = None
) -> list[AffectedDeployment]:
    """Exactly the deployments whose installed version falls in one of the advisory's ranges."""
    ranges = advisory_ranges(advisory)
    if not ranges:
        return []
    qs = Deployment.objects.filter(product_id__in=ranges.keys())
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    rows = qs.order_by("organization__slug", "pk").values_list(
        "pk",
        "organization_id",
        "organization__slug",
        "product_id",
        "product__slug",
        "version",
        "name",
        "environment",
    )
    return [
        AffectedDeployment(pk, org_id, org_slug, product_slug, version, name, environment)
        for pk, org_id, org_slug, product_id, product_slug, version, name, environment in rows
        if versions.any_contains(ranges[product_id], version)
    ]


def affected_for_viewer(*, viewer: User, advisory: Advisory) -> list[AffectedDeployment]:
    """Staff see every affected deployment; a customer only its own."""
    if viewer.is_vendor_staff:
        return affected_deployments(advisory=advisory)
    return affected_deployments(advisory=advisory, organization_id=viewer.organization_id)


def notices_visible(*, viewer: User) -> QuerySet[AdvisoryNotice]:
    qs = AdvisoryNotice.objects.select_related("advisory", "organization", "acknowledged_by")
    if viewer.is_vendor_staff:
        return qs
    return qs.filter(
        organization_id=viewer.organization_id, advisory__status=Advisory.Status.PUBLISHED
    )


def notice_for(*, viewer: User, advisory: Advisory) -> AdvisoryNotice | None:
    if viewer.is_vendor_staff or viewer.organization_id is None:
        return None
    return notices_visible(viewer=viewer).filter(advisory=advisory).first()


def update_requests_visible(*, viewer: User) -> QuerySet[UpdateRequest]:
    qs = UpdateRequest.objects.select_related(
        "organization", "release__product", "requested_by", "decided_by", "deployment"
    )
    if viewer.is_vendor_staff:
        return qs
    return qs.filter(organization_id=viewer.organization_id)


@dataclass
class BehindRow:
    deployment: Deployment
    latest: Release | None
    behind: list[Release] = field(default_factory=list)  # newer final releases, ascending
    contract_id: int | None = None  # filled by views that link to the entitlement

    @property
    def distance(self) -> str:
        if self.latest is None:
            return ""
        return versions.distance(self.deployment.version, self.latest.version)

    @property
    def count(self) -> int:
        return len(self.behind)


def deployments_behind(*, viewer: User, product_id: int | None = None) -> list[BehindRow]:
    """Who runs what, and how many releases behind the latest of its product; most behind first."""
    qs = Deployment.objects.select_related("organization", "product")
    if not viewer.is_vendor_staff:
        qs = qs.filter(organization_id=viewer.organization_id)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    deployments = list(qs)
    releases = releases_by_product(d.product_id for d in deployments)
    rows = []
    for deployment in deployments:
        product_releases = releases.get(deployment.product_id, [])
        newer = set(versions.newer_than(deployment.version, [r.version for r in product_releases]))
        rows.append(
            BehindRow(
                deployment=deployment,
                latest=latest_release(product_releases),
                behind=[r for r in product_releases if r.version in newer],
            )
        )
    rows.sort(key=lambda row: (-row.count, row.deployment.organization.name, row.deployment.pk))
    return rows
