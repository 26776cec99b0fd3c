from datetime import date, datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from roadie.accounts.permissions import Action
from roadie.api.v1.common import require, viewer
from roadie.customers import selectors, services
from roadie.customers.errors import UnknownReference
from roadie.customers.models import Contract, Deployment, Module, Organization, Product

router = Router(tags=["customers"])


class OrganizationIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field("", max_length=64, pattern=r"^[-a-z0-9_]*$")
    email_domain: str = Field("", max_length=200)


class OrganizationOut(Schema):
    id: int
    name: str
    slug: str
    email_domain: str


class OrganizationList(Schema):
    items: list[OrganizationOut]
    next: str | None = None


class ContractIn(Schema):
    organization: str
    tier: str = "standard"
    starts_on: date
    ends_on: date
    time_zone: str = "Asia/Shanghai"
    notes: str = Field("", max_length=5000)


class ContractOut(Schema):
    id: int
    organization: str
    tier: str
    starts_on: date
    ends_on: date
    time_zone: str

    @staticmethod
    def resolve_organization(obj: Contract) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_tier(obj: Contract) -> str:
        return obj.tier.slug


class ContractList(Schema):
    items: list[ContractOut]
    next: str | None = None


class ProductIn(Schema):
    slug: str = Field(min_length=1, max_length=64, pattern=r"^[-a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)


class ModuleOut(Schema):
    slug: str
    name: str
    is_core: bool


class ProductOut(Schema):
    id: int
    slug: str
    name: str
    modules: list[ModuleOut]

    @staticmethod
    def resolve_modules(obj: Product) -> list[Module]:
        return list(obj.modules.all())


class ProductList(Schema):
    items: list[ProductOut]
    next: str | None = None


class ModuleIn(Schema):
    slug: str = Field(min_length=1, max_length=64, pattern=r"^[-a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    is_core: bool = False


class DeploymentIn(Schema):
    organization: str
    product: str
    version: str = Field(max_length=64)
    environment: str = "production"
    name: str = Field("", max_length=200)


class DeploymentPatch(Schema):
    version: str | None = Field(None, max_length=64)


class DeploymentOut(Schema):
    id: int
    organization: str
    product: str
    version: str
    environment: str
    name: str
    created_at: datetime

    @staticmethod
    def resolve_organization(obj: Deployment) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_product(obj: Deployment) -> str:
        return obj.product.slug


class DeploymentList(Schema):
    items: list[DeploymentOut]
    next: str | None = None


def _organization(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise UnknownReference(f"Unknown organization {slug!r}.", field="organization")
    return organization


def _product(slug: str) -> Product:
    product = Product.objects.filter(slug=slug).first()
    if product is None:
        raise UnknownReference(f"Unknown product {slug!r}.", field="product")
    return product


@router.post("/organizations", response={201: OrganizationOut})
def create_organization(request: HttpRequest, payload: OrganizationIn) -> Status:
    require(request, Action.MANAGE_CUSTOMERS)
    return Status(
        201,
        services.organization_create(
            name=payload.name, slug=payload.slug, email_domain=payload.email_domain
        ),
    )


@router.get("/organizations", response=OrganizationList)
def list_organizations(request: HttpRequest) -> dict[str, object]:
    return {"items": list(selectors.organizations_visible(viewer=viewer(request))), "next": None}


@router.get("/organizations/{slug}", response=OrganizationOut)
def get_organization(request: HttpRequest, slug: str) -> Organization:
    return selectors.organizations_visible(viewer=viewer(request)).get(slug=slug)


@router.post("/contracts", response={201: ContractOut})
def create_contract(request: HttpRequest, payload: ContractIn) -> Status:
    require(request, Action.MANAGE_CUSTOMERS)
    return Status(
        201,
        services.contract_create(
            organization=_organization(payload.organization),
            tier_slug=payload.tier,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            time_zone=payload.time_zone,
            notes=payload.notes,
        ),
    )


@router.get("/contracts", response=ContractList)
def list_contracts(request: HttpRequest, organization: str = "") -> dict[str, object]:
    qs = selectors.contracts_visible(viewer=viewer(request))
    if organization:
        qs = qs.filter(organization__slug=organization)
    return {"items": list(qs), "next": None}


@router.get("/contracts/{contract_id}", response=ContractOut)
def get_contract(request: HttpRequest, contract_id: int) -> Contract:
    return selectors.contracts_visible(viewer=viewer(request)).get(pk=contract_id)


@router.post("/products", response={201: ProductOut})
def create_product(request: HttpRequest, payload: ProductIn) -> Status:
    require(request, Action.MANAGE_CUSTOMERS)
    return Status(201, services.product_create(slug=payload.slug, name=payload.name))


@router.get("/products", response=ProductList)
def list_products(request: HttpRequest) -> dict[str, object]:
    return {"items": list(Product.objects.prefetch_related("modules")), "next": None}


@router.post("/products/{slug}/modules", response={201: ModuleOut})
def create_module(request: HttpRequest, slug: str, payload: ModuleIn) -> Status:
    require(request, Action.MANAGE_CUSTOMERS)
    product = Product.objects.get(slug=slug)
    return Status(
        201,
        services.module_create(
            product=product, slug=payload.slug, name=payload.name, is_core=payload.is_core
        ),
    )


@router.post("/deployments", response={201: DeploymentOut})
def create_deployment(request: HttpRequest, payload: DeploymentIn) -> Status:
    require(request, Action.MANAGE_CUSTOMERS)
    return Status(
        201,
        services.deployment_create(
            organization=_organization(payload.organization),
            product=_product(payload.product),
            version=payload.version,
            environment=payload.environment,
            name=payload.name,
        ),
    )


@router.get("/deployments", response=DeploymentList)
def list_deployments(request: HttpRequest, organization: str = "") -> dict[str, object]:
    qs = selectors.deployments_visible(viewer=viewer(request))
    if organization:
        qs = qs.filter(organization__slug=organization)
    return {"items": list(qs), "next": None}


@router.get("/deployments/{deployment_id}", response=DeploymentOut)
def get_deployment(request: HttpRequest, deployment_id: int) -> Deployment:
    return selectors.deployments_visible(viewer=viewer(request)).get(pk=deployment_id)


@router.patch("/deployments/{deployment_id}", response=DeploymentOut)
def update_deployment(
    request: HttpRequest, deployment_id: int, payload: DeploymentPatch
) -> Deployment:
    user = viewer(request)
    deployment = selectors.deployments_visible(viewer=user).get(pk=deployment_id)
    if not (user.is_vendor_staff or user.role == "customer_admin"):
        require(request, Action.MANAGE_CUSTOMERS)
    if payload.version is not None:
        services.deployment_set_version(deployment=deployment, version=payload.version)
    return deployment
