"""/metrics: Roadie's own health for Prometheus.

Readable by vendor staff: a browser session, or an API token of a staff account sent as
`Authorization: Bearer <token>` (Prometheus: `authorization: {credentials: rd_…}`).
Customers get a 404, anonymous callers a 401.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from roadie.accounts.services import api_token_authenticate
from roadie.core import clock
from roadie.monitoring.prometheus import gather, render

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    header = request.headers.get("Authorization", "")
    if user is None and header.lower().startswith("bearer "):
        user = api_token_authenticate(plain=header[7:].strip())
    if user is None:
        response = HttpResponse("authentication required\n", status=401, content_type=CONTENT_TYPE)
        response["WWW-Authenticate"] = 'Bearer realm="roadie"'
        return response
    if not user.is_vendor_staff:
        raise Http404
    return HttpResponse(render(gather(now=clock.now())), content_type=CONTENT_TYPE)
