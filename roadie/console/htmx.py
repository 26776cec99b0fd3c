from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """A fragment request; a history restore after a cache miss needs the whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
