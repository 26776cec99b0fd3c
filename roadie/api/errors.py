"""Every API error is an RFC 9457 problem body (application/problem+json) naming its field."""

from http import HTTPStatus
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from roadie.core.errors import DomainError
from roadie.tickets.selectors import InvalidCursor

PROBLEM_TYPE_BASE = "https://roadie.dev/problems/"


def problem(
    request: HttpRequest,
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "code": code,
        **extra,
    }
    if errors:
        body["errors"] = errors
    return JsonResponse(
        body,
        status=status,
        content_type="application/problem+json",
        json_dumps_params={"ensure_ascii": False},
    )


def _field_from_loc(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "form", "file")]
    return ".".join(parts) or (str(loc[-1]) if loc else "")


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _field_from_loc(list(e.get("loc", []))), "message": e.get("msg", "")}
            for e in exc.errors
        ]
        fields = ", ".join(e["field"] for e in errors if e["field"])
        return problem(request, 422, "validation_error", f"Invalid input: {fields}.", errors)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
        return problem(request, exc.status, exc.code, exc.message, errors)

    @api.exception_handler(ObjectDoesNotExist)
    def not_found(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return problem(request, 404, "not_found", "No such resource.")

    @api.exception_handler(InvalidCursor)
    def bad_cursor(request: HttpRequest, exc: InvalidCursor) -> HttpResponse:
        return problem(
            request, 400, "invalid_cursor", str(exc), [{"field": "cursor", "message": str(exc)}]
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = problem(
            request,
            401,
            "unauthenticated",
            "Authentication required: send Authorization: Bearer <token>.",
        )
        response["WWW-Authenticate"] = 'Bearer realm="roadie"'
        return response

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return problem(request, 413, "too_large", "The request body is too large.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        return problem(request, exc.status_code, code, str(exc))
