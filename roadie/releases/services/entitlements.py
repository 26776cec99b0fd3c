"""Contract entitlements, customers' update requests and the path to a quote."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.customers.models import Contract, Deployment
from roadie.releases import notify
from roadie.releases.access import may_act_for_organization
from roadie.releases.entitlements import entitlement_check
from roadie.releases.errors import (
    AlreadyRequested,
    InvalidEntitlement,
    InvalidTransition,
    NotAllowed,
    NotEntitled,
)
from roadie.releases.models import (
    ContractEntitlement,
    Cost,
    DeliveryMode,
    Event,
    Release,
    UpdateRequest,
)
from roadie.releases.services._common import event, require_release_manager
from roadie.tickets.models import Kind as TicketKind
from roadie.tickets.models import Ticket
from roadie.tickets.services import ticket_create


def entitlement_set(
    *,
    contract: Contract,
    by: User,
    patch_cost: str = Cost.FREE,
    minor_cost: str = Cost.ALLOWANCE,
    minor_allowance_per_year: int = 2,
    major_cost: str = Cost.PAID,
    delivery_mode: str = DeliveryMode.REQUEST,
    support_until: date | None = None,
    at: datetime | None = None,
) -> ContractEntitlement:
    """Create or replace a contract's entitlement; managers and admins only."""
    if by.role not in ("manager", "admin"):
        raise NotAllowed(_("Only managers and administrators can change entitlements."))
    for field, value in (
        ("patch_cost", patch_cost),
        ("minor_cost", minor_cost),
        ("major_cost", major_cost),
    ):
        if value not in Cost.values:
            raise InvalidEntitlement(_("Unknown cost %(v)r.") % {"v": value}, field=field)
    if delivery_mode not in DeliveryMode.values:
        raise InvalidEntitlement(
            _("Unknown delivery mode %(v)r.") % {"v": delivery_mode}, field="delivery_mode"
        )
    if not 0 <= minor_allowance_per_year <= 100:
        raise InvalidEntitlement(
            _("The allowance is between 0 and 100."), field="minor_allowance_per_year"
        )
    if support_until is not None and support_until < contract.starts_on:
        raise InvalidEntitlement(
            _("Support cannot end before the contract starts."), field="support_until"
        )
    values = {
        "patch_cost": patch_cost,
        "minor_cost": minor_cost,
        "minor_allowance_per_year": minor_allowance_per_year,
        "major_cost": major_cost,
        "delivery_mode": delivery_mode,
        "support_until": support_until,
    }
    with transaction.atomic():
        entitlement, _created = ContractEntitlement.objects.update_or_create(
            contract=contract, defaults=values
        )
        event(
            Event.Kind.ENTITLEMENT_SET,
            at=at or clock.now(),
            actor=by,
            organization_id=contract.organization_id,
            contract=contract.pk,
            **{k: str(v) if v is not None else None for k, v in values.items()},
        )
    return entitlement


def update_request_create(
    *,
    release: Release,
    by: User,
    deployment: Deployment | None = None,
    note: str = "",
    at: datetime | None = None,
) -> UpdateRequest:
    """A customer admin asks for a release. The entitlement is checked first: a refusal raises
    NotEntitled with the reason and stores nothing. Push contracts are approved at once."""
    if not may_act_for_organization(by) or by.organization is None:
        raise NotAllowed(_("Only your organization's customer admins can request updates."))
    organization = by.organization
    if deployment is not None and (
        deployment.organization_id != organization.pk or deployment.product_id != release.product_id
    ):
        raise InvalidEntitlement(
            _("Choose one of your deployments of this product."), field="deployment"
        )
    now = at or clock.now()
    decision = entitlement_check(
        organization=organization, release=release, on=timezone.localdate(now)
    )
    if decision.already_granted:
        raise AlreadyRequested(_("This update has already been granted."), field="release")
    if not decision.allowed:
        raise NotEntitled(decision.message, reason=decision.reason, field="release")
    auto = decision.delivery_mode == DeliveryMode.PUSH
    try:
        with transaction.atomic():
            request = UpdateRequest.objects.create(
                organization=organization,
                release=release,
                deployment=deployment,
                cost=decision.cost,
                note=(note or "").strip()[:5000],
                requested_by=by,
                status=UpdateRequest.Status.APPROVED if auto else UpdateRequest.Status.REQUESTED,
                decided_at=now if auto else None,
            )
            event(
                Event.Kind.UPDATE_REQUESTED,
                at=now,
                actor=by,
                release=release,
                organization=organization,
                request=request.pk,
                cost=decision.cost,
            )
            if auto:
                event(
                    Event.Kind.UPDATE_APPROVED,
                    at=now,
                    release=release,
                    organization=organization,
                    request=request.pk,
                    automatic=True,
                )
                notify.update_decided(request=request)
            else:
                notify.update_requested(request=request, at=now)
    except IntegrityError:
        raise AlreadyRequested(
            _("Your organization has already requested this update."), field="release"
        )
    return request


def _decide(
    request: UpdateRequest, by: User, status: str, note: str, at: datetime | None
) -> UpdateRequest:
    require_release_manager(by)
    now = at or clock.now()
    with transaction.atomic():
        request = UpdateRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != UpdateRequest.Status.REQUESTED:
            raise InvalidTransition(_("This request has already been decided."), field="status")
        if status == UpdateRequest.Status.APPROVED:
            # The allowance may have been used up since the request was made.
            decision = entitlement_check(
                organization=request.organization,
                release=request.release,
                on=timezone.localdate(now),
            )
            if not decision.allowed:
                raise NotEntitled(decision.message, reason=decision.reason, field="release")
            request.cost = decision.cost
        request.status = status
        request.decided_by = by
        request.decided_at = now
        request.decision_note = (note or "").strip()[:5000]
        request.save(
            update_fields=[
                "status",
                "cost",
                "decided_by",
                "decided_at",
                "decision_note",
                "updated_at",
            ]
        )
        event(
            Event.Kind.UPDATE_APPROVED
            if status == UpdateRequest.Status.APPROVED
            else Event.Kind.UPDATE_DECLINED,
            at=now,
            actor=by,
            release=request.release,
            organization=request.organization,
            request=request.pk,
            note=request.decision_note,
        )
        notify.update_decided(request=request)
    return request


def update_request_approve(
    *, request: UpdateRequest, by: User, note: str = "", at: datetime | None = None
) -> UpdateRequest:
    """Staff approve a pending request; the entitlement is checked again."""
    return _decide(request, by, UpdateRequest.Status.APPROVED, note, at)


def update_request_decline(
    *, request: UpdateRequest, by: User, note: str = "", at: datetime | None = None
) -> UpdateRequest:
    """Staff decline a pending request, saying why."""
    if not (note or "").strip():
        raise InvalidEntitlement(_("Say why the request is declined."), field="note")
    return _decide(request, by, UpdateRequest.Status.DECLINED, note, at)


def quote_request_create(
    *, release: Release, by: User, note: str = "", at: datetime | None = None
) -> Ticket:
    """The path to a quote: a change-request ticket with a prefilled title."""
    if not by.is_customer or by.organization is None:
        raise NotAllowed(_("Quotes are requested by customers."))
    now = at or clock.now()
    decision = entitlement_check(
        organization=by.organization, release=release, on=timezone.localdate(now)
    )
    description = _(
        "Please send a quote for upgrading to %(product)s %(version)s (%(kind)s).\n\n"
        "Why it is not included: %(reason)s"
    ) % {
        "product": release.product.name,
        "version": release.version,
        "kind": release.get_kind_display(),
        "reason": decision.message,
    }
    if (note or "").strip():
        description += "\n\n" + note.strip()
    with transaction.atomic():
        ticket = ticket_create(
            by=by,
            title=_("Quote request: upgrade to %(product)s %(version)s")
            % {"product": release.product.name, "version": release.version},
            description=description,
            severity="general",
            kind=TicketKind.CHANGE_REQUEST,
            at=now,
        )
        event(
            Event.Kind.QUOTE_REQUESTED,
            at=now,
            actor=by,
            release=release,
            organization=by.organization,
            ticket=ticket.number,
            reason=decision.reason,
        )
    return ticket
