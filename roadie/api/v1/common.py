from django.http import HttpRequest
from ninja.errors import HttpError

from roadie.accounts.models import User
from roadie.accounts.permissions import Action, can
from roadie.core.errors import PermissionDenied


def viewer(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def require(request: HttpRequest, action: Action) -> User:
    user = viewer(request)
    if not can(user, action):
        raise PermissionDenied("Your role does not allow this.")
    return user


def require_staff(request: HttpRequest) -> User:
    user = viewer(request)
    if not user.is_vendor_staff:
        # Customers are told nothing about staff-only resources.
        raise HttpError(404, "No such resource.")
    return user
