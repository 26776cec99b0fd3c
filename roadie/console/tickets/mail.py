"""Held e-mail review: read what was held, then add it to its ticket, open a ticket from it or
discard it."""


from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from roadie.accounts.permissions import Action
from roadie.console.decorators import staff_required
from roadie.console.tickets.forms import MailAcceptForm
from roadie.core.errors import DomainError
from roadie.customers.models import Organization
from roadie.customers.selectors import organizations_visible
from roadie.tickets.mail import (
    inbound_mail_accept,
    inbound_mail_attach,
    inbound_mail_discard,
    mail_body_text,
)
from roadie.tickets.models import InboundMail
from roadie.tickets.selectors import inbound_mail_get, inbound_mail_held

HELD = "console/tickets/mail_held.html"
DETAIL = "console/tickets/mail_detail.html"


def _mail(pk: int) -> InboundMail:
    try:
        return inbound_mail_get(pk=pk)
    except InboundMail.DoesNotExist:
        raise Http404


def _suggested_organization(mail: InboundMail) -> Organization | None:
    domain = mail.sender.rpartition("@")[2].lower()
    if not domain:
        return None
    return Organization.objects.filter(email_domain__iexact=domain).first()


def _detail(
    request: HttpRequest, mail: InboundMail, form: MailAcceptForm | None = None
) -> HttpResponse:
    organizations = organizations_visible(viewer=request.user)
    if form is None:
        form = MailAcceptForm(
            organizations=organizations,
            initial={"organization": _suggested_organization(mail)},
        )
    context = {
        "mail": mail,
        "text": mail_body_text(bytes(mail.raw)),
        "form": form,
        "is_held": mail.status == InboundMail.Status.HELD,
    }
    return render(request, DETAIL, context)


@staff_required(action=Action.REVIEW_MAIL)
@require_GET
def mail_held(request: HttpRequest) -> HttpResponse:
    return render(request, HELD, {"held": inbound_mail_held()})


@staff_required(action=Action.REVIEW_MAIL)
@require_GET
def mail_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _mail(pk))


@staff_required(action=Action.REVIEW_MAIL)
@require_POST
def mail_accept(request: HttpRequest, pk: int) -> HttpResponse:
    mail = _mail(pk)
    form = MailAcceptForm(request.POST, organizations=organizations_visible(viewer=request.user))
    if form.is_valid():
        try:
            ticket = inbound_mail_accept(
                mail=mail, by=request.user, organization=form.cleaned_data["organization"]
            )
        except DomainError as exc:
            if exc.field != "organization":
                # Reviewed by someone else meanwhile, or not allowed: the page says which.
                messages.error(request, exc.message)
                return redirect("console:mail_detail", pk=mail.pk)
            form.add_error("organization", exc.message)
        else:
            messages.success(
                request,
                _("Ticket %(number)s opened from the e-mail.") % {"number": ticket.number},
            )
            return redirect("console:ticket", number=ticket.number)
    return _detail(request, mail, form)


@staff_required(action=Action.REVIEW_MAIL)
@require_POST
def mail_attach(request: HttpRequest, pk: int) -> HttpResponse:
    mail = _mail(pk)
    try:
        ticket = inbound_mail_attach(mail=mail, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("console:mail_detail", pk=mail.pk)
    messages.success(
        request, _("The e-mail was added to %(number)s as a reply.") % {"number": ticket.number}
    )
    return redirect("console:ticket", number=ticket.number)


@staff_required(action=Action.REVIEW_MAIL)
@require_POST
def mail_discard(request: HttpRequest, pk: int) -> HttpResponse:
    mail = _mail(pk)
    try:
        inbound_mail_discard(mail=mail, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("console:mail_detail", pk=mail.pk)
    messages.success(request, _("The e-mail was discarded."))
    return redirect("console:mail_held")
