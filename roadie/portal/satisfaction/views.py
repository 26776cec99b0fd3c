"""The satisfaction survey behind the signed link: no login needed (the token is the key).

The e-mail's link and the portal ticket page's question both post here.  A forged or altered
link is a 404, an expired one a 410; a second answer is refused with a clear message (409).
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from roadie.core.errors import DomainError
from roadie.portal.access import add_domain_error
from roadie.portal.satisfaction.forms import SurveyForm
from roadie.tickets.satisfaction import (
    SurveyAlreadyAnswered,
    SurveyLinkExpired,
    SurveyLinkInvalid,
    survey_answer,
    survey_get,
    survey_link_open,
)

TEMPLATE = "portal/satisfaction/survey.html"
# The e-mail links one score each (?score=4) to preselect it.
SCORE_PARAMS = frozenset({"1", "2", "3", "4", "5"})


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = survey_link_open(token=token)
    except SurveyLinkExpired as error:
        return render(request, TEMPLATE, {"link_error": error.message}, status=410)
    except SurveyLinkInvalid:
        raise Http404
    ticket = link.ticket
    status = 200
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                survey_answer(
                    ticket=ticket,
                    by=link.user,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except SurveyAlreadyAnswered as error:
                form.add_error(None, error.message)
                status = error.status
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                if request.user.is_authenticated and request.user.pk == link.user.pk:
                    messages.success(request, _("Thank you for rating our support!"))
                    return redirect("portal:ticket", ticket.number)
                return redirect("portal:survey", token)
        else:
            status = 400
    else:
        initial = request.GET.get("score", "")
        form = SurveyForm(initial={"score": int(initial)} if initial in SCORE_PARAMS else {})
    context = {"ticket": ticket, "form": form, "survey": survey_get(ticket=ticket), "token": token}
    return render(request, TEMPLATE, context, status=status)
