"""The service-quality scorecard: for staff in the console, and on the public link.

The public page (``scorecard_public:page``) needs no login: its token is the capability, a revoked
or unknown token answers 404, and it shows aggregates only (no organization, no ticket).
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from roadie.accounts.permissions import Action, can
from roadie.console.decorators import staff_required
from roadie.core import clock
from roadie.core.errors import DomainError
from roadie.scorecard.models import ScorecardShare
from roadie.scorecard.selectors import scorecard, scorecard_share_active, scorecard_share_get
from roadie.scorecard.services import PERIODS, scorecard_share_enable, scorecard_share_revoke

CONSOLE = "console/scorecard/scorecard.html"
PUBLIC = "console/scorecard/public.html"
DEFAULT_DAYS = 90
# The public page needs no login and costs about two seconds at a million tickets: its figures
# are computed at most this often per link and language (the link is checked on every request,
# so a revoked link is dead at once).
PUBLIC_CACHE_SECONDS = 300


def _days(request: HttpRequest) -> int:
    value = request.GET.get("days", "")
    return int(value) if value.isdigit() and int(value) in PERIODS else DEFAULT_DAYS


def _card(days: int) -> dict[str, Any]:
    now = clock.now()
    return {"card": scorecard(start=now - timedelta(days=days), end=now, now=now), "days": days}


def share_url(share: ScorecardShare) -> str:
    return settings.ROADIE_BASE_URL + reverse("scorecard_public:page", args=[share.token])


@staff_required
@require_GET
def scorecard_page(request: HttpRequest) -> HttpResponse:
    share = scorecard_share_active()
    context = {
        **_card(_days(request)),
        "periods": PERIODS,
        "share": share,
        "share_url": share_url(share) if share else "",
        "may_share": can(request.user, Action.MANAGE_CUSTOMERS),
    }
    return render(request, CONSOLE, context)


@staff_required(action=Action.MANAGE_CUSTOMERS)
@require_POST
def share(request: HttpRequest) -> HttpResponse:
    """Switch the public link on (a new token) or off."""
    try:
        if request.POST.get("enabled") == "1":
            period = request.POST.get("period_days", "")
            scorecard_share_enable(
                by=request.user, period_days=int(period) if period.isdigit() else DEFAULT_DAYS
            )
            messages.success(request, _("The public scorecard link is on."))
        else:
            scorecard_share_revoke(by=request.user)
            messages.success(request, _("The public scorecard link is off; the old link is dead."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("console:scorecard:scorecard")


@require_GET
def public(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = scorecard_share_get(token=token)
    except ScorecardShare.DoesNotExist:
        raise Http404
    key = f"scorecard:public:{link.token}:{translation.get_language()}"
    context = cache.get(key)
    if context is None:
        context = _card(link.period_days)
        cache.set(key, context, PUBLIC_CACHE_SECONDS)
    response = render(request, PUBLIC, context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
