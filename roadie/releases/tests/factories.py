"""Factories for releases tests: plain functions over the real services."""

from roadie.accounts.models import Role, User
from roadie.core.tests import factories
from roadie.customers.models import Deployment, Organization, Product
from roadie.customers.services import deployment_create
from roadie.releases.models import Advisory, Release
from roadie.releases.services import RangeSpec, advisory_create, release_create

CRITICAL_V31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8 critical
MEDIUM_V31 = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N"  # 4.6 medium
HIGH_V40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"  # 9.3 critical


def make_engineer() -> User:
    return factories.make_user(Role.ENGINEER)


def make_release(
    product: Product, version: str, by: User | None = None, **fields: object
) -> Release:
    return release_create(product=product, version=version, by=by or make_engineer(), **fields)  # type: ignore[arg-type]


def make_advisory(
    product: Product,
    introduced: str = "0",
    fixed: str = "",
    by: User | None = None,
    vector: str = CRITICAL_V31,
    **fields: object,
) -> Advisory:
    return advisory_create(  # type: ignore[arg-type]
        by=by or make_engineer(),
        title=fields.pop("title", "推流鉴权绕过 Stream key bypass"),
        cvss_vector=vector,
        affected=[RangeSpec(product=product.slug, introduced=introduced, fixed=fixed)],
        **fields,
    )


def make_deployment(organization: Organization, product: Product, version: str) -> Deployment:
    return deployment_create(organization=organization, product=product, version=version)
