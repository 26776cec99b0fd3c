"""Access to the staff console: vendor staff only; everyone else must not learn it exists."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, overload

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import resolve_url

from roadie.accounts.permissions import Action, can

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _guard(view: View, action: Action | None) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated and request.headers.get("HX-Request") == "true":
            # A fragment request after the session ended: send the whole page to the login.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        if not user.is_authenticated:
            return login_required(view)(request, *args, **kwargs)
        if not user.is_vendor_staff:
            raise Http404
        if action is not None and not can(user, action):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@overload
def staff_required(view: View, *, action: Action | None = None) -> View: ...
@overload
def staff_required(
    view: None = None, *, action: Action | None = None
) -> Callable[[View], View]: ...
def staff_required(
    view: View | None = None, *, action: Action | None = None
) -> View | Callable[[View], View]:
    """`@staff_required` or `@staff_required(action=Action.X)`.

    Anonymous users go to the login page, customers get a 404 (never a 403 that would confirm
    the console exists), staff without the action get a 403.
    """
    if view is not None:
        return _guard(view, action)
    return lambda inner: _guard(inner, action)
