"""Factories shared by every app's tests: plain functions over the real services."""

import importlib
import itertools
from datetime import date

from django.apps import apps as django_apps

from roadie.accounts.models import Role, User
from roadie.accounts.services import api_token_create, user_create
from roadie.customers.models import Deployment, Module, Organization, Product
from roadie.customers.services import (
    contract_create,
    deployment_create,
    module_create,
    organization_create,
    product_create,
)
from roadie.tickets.models import Ticket
from roadie.tickets.services import ticket_create

_seq = itertools.count(1)
PASSWORD = "Roadie-test-pw-1"


def make_organization(name: str = "", slug: str = "") -> Organization:
    n = next(_seq)
    organization = organization_create(name=name or f"Org {n}", slug=slug or f"org-{n}")
    contract_create(
        organization=organization,
        tier_slug="standard",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
    )
    return organization


def make_user(
    role: str = Role.AGENT, organization: Organization | None = None, email: str = ""
) -> User:
    n = next(_seq)
    if role in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER) and organization is None:
        organization = make_organization()
    return user_create(
        email=email or f"user{n}@example.com",
        password=PASSWORD,
        role=role,
        name=f"User {n}",
        organization=organization,
        check_password=False,
    )


def make_token(user: User) -> str:
    return api_token_create(user=user, name="test")[1]


def make_product(slug: str = "") -> Product:
    n = next(_seq)
    return product_create(slug=slug or f"product-{n}", name=f"Product {n}")


def make_module(product: Product, is_core: bool = True) -> Module:
    n = next(_seq)
    return module_create(product=product, slug=f"module-{n}", name=f"Module {n}", is_core=is_core)


def make_deployment(organization: Organization, product: Product | None = None) -> Deployment:
    return deployment_create(
        organization=organization, product=product or make_product(), version="2.4.1"
    )


def make_ticket(requester: User | None = None, **fields: object) -> Ticket:
    requester = requester or make_user(Role.CUSTOMER_MEMBER)
    values: dict[str, object] = {
        "title": "直播推流中断",
        "description": "推流服务器无响应",
        "severity": "important",
    }
    values.update(fields)
    return ticket_create(by=requester, **values)  # type: ignore[arg-type]


def restore_default_data() -> None:
    """Re-create what the data migrations seed (tiers, calendars, SLA policies).

    A transactional test (live_server) ends with a flush that empties every table, migrated
    data included; the tests after it call this to start from what `roadie migrate` gives.
    """
    for module in (
        "roadie.customers.migrations.0002_default_tiers",
        "roadie.sla.migrations.0002_default_policies",
    ):
        migration = importlib.import_module(module)
        seed = getattr(migration, "create_tiers", None) or migration.create_defaults
        seed(django_apps, None)
