"""Who may use the customer portal, and small request helpers shared by its views."""

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from roadie.core.errors import DomainError

View = Callable[..., HttpResponse]


def customer_required(view: View) -> View:
    """Logged-in customers only: staff go to the console, anonymous visitors to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        user = request.user
        if user.is_vendor_staff:
            return redirect("console:queue")
        if not user.is_customer or user.organization_id is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def add_domain_error(
    form: forms.Form, error: DomainError, aliases: dict[str, str] | None = None
) -> None:
    """Show a service's error next to the field it names, or above the form."""
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)
