from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from roadie.accounts import services
from roadie.accounts.errors import InvitationInvalid
from roadie.accounts.forms import InvitationAcceptForm, TokenCreateForm
from roadie.accounts.models import ApiToken
from roadie.core.errors import DomainError


def invitation_accept_view(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        invitation = services.invitation_get(secret=secret)
    except InvitationInvalid:
        raise Http404
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(secret=secret, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    return render(request, "accounts/invitation.html", {"invitation": invitation, "form": form})


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _row, new_token = services.api_token_create(
            user=request.user, name=form.cleaned_data["name"]
        )
    rows = ApiToken.objects.filter(user=request.user)
    return render(
        request, "accounts/tokens.html", {"tokens": rows, "form": form, "new_token": new_token}
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(user=request.user, pk=token_id).first()
    if token is None:
        raise Http404
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("tokens")
