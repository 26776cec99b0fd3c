from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from roadie.accounts import services
from roadie.accounts.models import ApiToken, Role, User
from roadie.accounts.permissions import Action
from roadie.api.auth import DEFAULT_AUTH, basic_auth
from roadie.api.v1.common import require, viewer
from roadie.core.errors import InvalidInput, PermissionDenied
from roadie.customers.errors import UnknownReference
from roadie.customers.models import Organization

router = Router(tags=["accounts"])


class UserIn(Schema):
    email: str = Field(max_length=254)
    name: str = Field("", max_length=200)
    password: str | None = Field(None, max_length=200)
    role: str
    organization: str | None = None


class UserOut(Schema):
    id: int
    email: str
    name: str
    role: str
    organization: str | None

    @staticmethod
    def resolve_organization(obj: User) -> str | None:
        return obj.organization.slug if obj.organization else None


class TokenIn(Schema):
    name: str = Field("", max_length=100)


class TokenCreated(Schema):
    id: int
    token: str
    prefix: str
    name: str


class TokenOut(Schema):
    id: int
    prefix: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenList(Schema):
    items: list[TokenOut]
    next: str | None = None


@router.post("/users", response={201: UserOut})
def create_user(request: HttpRequest, payload: UserIn) -> Status:
    by = require(request, Action.MANAGE_USERS)
    if payload.role == Role.ADMIN and by.role != Role.ADMIN:
        raise PermissionDenied("Only an administrator can create administrators.")
    organization = None
    if payload.organization:
        organization = Organization.objects.filter(slug=payload.organization).first()
        if organization is None:
            raise UnknownReference(
                f"Unknown organization {payload.organization!r}.", field="organization"
            )
    user = services.user_create(
        email=payload.email,
        password=payload.password,
        role=payload.role,
        name=payload.name,
        organization=organization,
    )
    return Status(201, user)


@router.get("/users/me", response=UserOut)
def me(request: HttpRequest) -> User:
    return viewer(request)


@router.post("/tokens", response={201: TokenCreated}, auth=[basic_auth, *DEFAULT_AUTH])
def create_token(request: HttpRequest, name: str = "") -> Status:
    """Create a token for the caller (name as a query parameter or in a JSON body)."""
    if request.body and request.content_type == "application/json":
        try:
            name = str(TokenIn.model_validate_json(request.body).name)
        except ValueError:
            raise InvalidInput('The body must be JSON like {"name": "ci"}.', field="name")
    token, plain = services.api_token_create(user=viewer(request), name=name[:100])
    return Status(201, {"id": token.pk, "token": plain, "prefix": token.prefix, "name": token.name})


@router.get("/tokens", response=TokenList)
def list_tokens(request: HttpRequest) -> dict[str, object]:
    return {"items": list(ApiToken.objects.filter(user=viewer(request))), "next": None}


@router.delete("/tokens/{token_id}", response={204: None})
def revoke_token(request: HttpRequest, token_id: int) -> Status:
    token = ApiToken.objects.get(user=viewer(request), pk=token_id)
    services.api_token_revoke(token=token, by=viewer(request))
    return Status(204, None)
