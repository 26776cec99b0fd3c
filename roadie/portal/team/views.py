"""The customer's team: colleagues, pending invitations, and (customer admins) inviting."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from roadie.accounts.forms import InviteForm
from roadie.accounts.permissions import Action, can
from roadie.accounts.services import INVITATION_DAYS
from roadie.core.errors import DomainError
from roadie.portal.access import add_domain_error, customer_required
from roadie.portal.team import selectors
from roadie.portal.team.services import invitation_send


@customer_required
def team(request: HttpRequest) -> HttpResponse:
    may_invite = can(request.user, Action.INVITE_COLLEAGUES)
    if request.method == "POST" and not may_invite:
        raise PermissionDenied
    form = InviteForm(request.POST or None) if may_invite else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            invitation = invitation_send(
                by=request.user, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link is valid for %(days)s days.")
                % {"email": invitation.email, "days": INVITATION_DAYS},
            )
            return redirect("portal:team")
    context = {
        "form": form,
        "members": selectors.team_members(viewer=request.user),
        "invitations": selectors.invitations_pending(viewer=request.user),
    }
    return render(request, "portal/team/team.html", context)
