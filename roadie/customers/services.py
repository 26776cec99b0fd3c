"""Writes for organizations, contracts, products and deployments."""

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import semver
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from roadie.core.errors import InvalidInput
from roadie.customers.errors import InvalidContract, InvalidVersion, SlugTaken, UnknownReference
from roadie.customers.models import Contract, Deployment, Module, Organization, Product, Tier


def validate_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidContract(f"Unknown time zone {name!r}.", field="time_zone")
    return name


def validate_version(version: str) -> str:
    if not semver.Version.is_valid(version):
        raise InvalidVersion(f"{version!r} is not a SemVer version (e.g. 2.4.1).", field="version")
    return version


def organization_create(*, name: str, slug: str = "", email_domain: str = "") -> Organization:
    if not name.strip():
        raise InvalidInput("An organization needs a name.", field="name")
    slug = slug or slugify(name)
    if not slug:
        # slugify drops CJK characters: a Chinese name alone gives no slug.
        raise InvalidInput("An organization needs a slug (a-z, 0-9, -).", field="slug")
    try:
        with transaction.atomic():
            return Organization.objects.create(
                name=name.strip(), slug=slug, email_domain=email_domain.strip().lower()
            )
    except IntegrityError:
        raise SlugTaken(f"The slug {slug!r} is taken.", field="slug")


def contract_create(
    *,
    organization: Organization,
    tier_slug: str,
    starts_on: date,
    ends_on: date,
    time_zone: str = "Asia/Shanghai",
    notes: str = "",
) -> Contract:
    tier = Tier.objects.filter(slug=tier_slug).first()
    if tier is None:
        raise UnknownReference(f"Unknown tier {tier_slug!r}.", field="tier")
    if ends_on <= starts_on:
        raise InvalidContract("A contract must end after it starts.", field="ends_on")
    validate_time_zone(time_zone)
    return Contract.objects.create(
        organization=organization,
        tier=tier,
        starts_on=starts_on,
        ends_on=ends_on,
        time_zone=time_zone,
        notes=notes,
    )


def product_create(*, slug: str, name: str) -> Product:
    try:
        with transaction.atomic():
            return Product.objects.create(slug=slug, name=name)
    except IntegrityError:
        raise SlugTaken(f"The product slug {slug!r} is taken.", field="slug")


def module_create(*, product: Product, slug: str, name: str, is_core: bool = False) -> Module:
    try:
        with transaction.atomic():
            return Module.objects.create(product=product, slug=slug, name=name, is_core=is_core)
    except IntegrityError:
        raise SlugTaken(f"The module slug {slug!r} is taken.", field="slug")


def deployment_create(
    *,
    organization: Organization,
    product: Product,
    version: str,
    environment: str = Deployment.Environment.PRODUCTION,
    name: str = "",
) -> Deployment:
    validate_version(version)
    if environment not in Deployment.Environment.values:
        raise UnknownReference(f"Unknown environment {environment!r}.", field="environment")
    return Deployment.objects.create(
        organization=organization,
        product=product,
        version=version,
        environment=environment,
        name=name,
    )


def deployment_set_version(*, deployment: Deployment, version: str) -> Deployment:
    deployment.version = validate_version(version)
    deployment.save(update_fields=["version", "updated_at"])
    return deployment
