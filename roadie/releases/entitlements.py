"""What a customer's contract includes for a release, and why not when it does not (reads only).

Defaults when a contract has no ContractEntitlement: patches free, two minor releases a contract
year free, major releases paid, delivered on request. A contract year starts on each anniversary
of the contract's start. An approved update request (or a push) of an "allowance" release uses one
of the year's minor releases.
"""

from dataclasses import dataclass, replace
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.customers.models import Contract, Organization
from roadie.releases.models import ContractEntitlement, Cost, DeliveryMode, Kind, Release
from roadie.releases.models import UpdateRequest as Request


class Reason:
    """Stable codes of a refusal; the UI and the API explain them."""

    NO_CONTRACT = "no_contract"
    SUPPORT_ENDED = "support_ended"
    NOT_DEPLOYED = "not_deployed"
    PAID = "paid"
    ALLOWANCE_USED = "allowance_used"
    NOT_REQUESTED = "not_requested"


@dataclass(frozen=True)
class Entitlement:
    allowed: bool
    cost: str  # Cost: free, allowance, paid
    reason: str  # "" when allowed, else a Reason code
    message: str
    delivery_mode: str
    allowance: int = 0
    used: int = 0
    year_start: date | None = None
    year_end: date | None = None
    support_until: date | None = None
    already_granted: bool = False

    @property
    def cost_label(self) -> str:
        return str(Cost(self.cost).label)

    @property
    def quote_possible(self) -> bool:
        """A refusal that money can change: the path to a quote."""
        return self.reason in (Reason.PAID, Reason.ALLOWANCE_USED, Reason.SUPPORT_ENDED)

    def as_dict(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "cost": self.cost,
            "reason": self.reason,
            "message": self.message,
            "delivery_mode": self.delivery_mode,
            "allowance": self.allowance,
            "used": self.used,
            "year_start": self.year_start,
            "year_end": self.year_end,
            "support_until": self.support_until,
            "already_granted": self.already_granted,
            "quote_possible": self.quote_possible,
        }


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def contract_year(contract: Contract, on: date) -> tuple[date, date]:
    """The contract year containing `on`: [start, end)."""
    years = on.year - contract.starts_on.year
    start = _add_years(contract.starts_on, years)
    if start > on:
        years -= 1
        start = _add_years(contract.starts_on, years)
    return start, _add_years(contract.starts_on, years + 1)


def active_contract(organization: Organization, on: date) -> Contract | None:
    return (
        organization.contracts.filter(starts_on__lte=on, ends_on__gte=on)
        .select_related("entitlement")
        .order_by("-starts_on")
        .first()
    )


def terms_of(contract: Contract) -> ContractEntitlement:
    """The contract's entitlement, or the defaults (an unsaved row) when it has none."""
    try:
        return contract.entitlement
    except ContractEntitlement.DoesNotExist:
        return ContractEntitlement(contract=contract)


def allowance_used(organization: Organization, start: date, end: date) -> int:
    return Request.objects.filter(
        organization=organization,
        status=Request.Status.APPROVED,
        cost=Cost.ALLOWANCE,
        decided_at__date__gte=start,
        decided_at__date__lt=end,
    ).count()


def _kind_label(kind: str) -> str:
    return str(Kind(kind).label)


def entitlement_check(
    *, organization: Organization, release: Release, on: date | None = None
) -> Entitlement:
    """May this organization have this release, at what cost, and if not, why."""
    on = on or timezone.localdate()
    contract = active_contract(organization, on)
    if contract is None:
        return Entitlement(
            allowed=False,
            cost=Cost.PAID,
            reason=Reason.NO_CONTRACT,
            message=_("Your organization has no service contract in force."),
            delivery_mode=DeliveryMode.REQUEST,
        )
    terms = terms_of(contract)
    support_until = terms.support_ends_on()
    year_start, year_end = contract_year(contract, on)
    common = {
        "delivery_mode": terms.delivery_mode,
        "allowance": terms.minor_allowance_per_year,
        "year_start": year_start,
        "year_end": year_end,
        "support_until": support_until,
    }
    cost = terms.cost_of(release.kind)
    if on > support_until:
        return Entitlement(
            allowed=False,
            cost=cost,
            reason=Reason.SUPPORT_ENDED,
            message=_("Your support window ended on %(date)s.") % {"date": support_until},
            **common,  # type: ignore[arg-type]
        )
    if not organization.deployments.filter(product_id=release.product_id).exists():
        return Entitlement(
            allowed=False,
            cost=cost,
            reason=Reason.NOT_DEPLOYED,
            message=_("Your organization runs no deployment of %(product)s.")
            % {"product": release.product.name},
            **common,  # type: ignore[arg-type]
        )
    granted = Request.objects.filter(
        organization=organization, release=release, status=Request.Status.APPROVED
    ).exists()
    if granted:
        return Entitlement(
            allowed=True,
            cost=cost,
            reason="",
            message=_("This update has been granted to your organization."),
            already_granted=True,
            **common,  # type: ignore[arg-type]
        )
    if cost == Cost.PAID:
        return Entitlement(
            allowed=False,
            cost=cost,
            reason=Reason.PAID,
            message=_("%(kind)s releases are not included in your contract; they are quoted.")
            % {"kind": _kind_label(release.kind)},
            **common,  # type: ignore[arg-type]
        )
    if cost == Cost.ALLOWANCE:
        used = allowance_used(organization, year_start, year_end)
        if used >= terms.minor_allowance_per_year:
            return Entitlement(
                allowed=False,
                cost=cost,
                reason=Reason.ALLOWANCE_USED,
                message=_(
                    "Your contract includes %(n)s minor releases a year; this contract year "
                    "(until %(end)s) has used them all."
                )
                % {"n": terms.minor_allowance_per_year, "end": year_end},
                used=used,
                **common,  # type: ignore[arg-type]
            )
        return Entitlement(
            allowed=True,
            cost=cost,
            reason="",
            message=_("Included: uses %(next)s of %(n)s minor releases of this contract year.")
            % {"next": used + 1, "n": terms.minor_allowance_per_year},
            used=used,
            **common,  # type: ignore[arg-type]
        )
    return Entitlement(
        allowed=True,
        cost=cost,
        reason="",
        message=_("Included in your contract at no cost."),
        **common,  # type: ignore[arg-type]
    )


def download_check(*, viewer: User, release: Release, on: date | None = None) -> Entitlement:
    """Staff may always download; a customer once the update is granted to its organization (an
    approved request, or a push). Otherwise the refusal says why, or that a request is needed."""
    if viewer.is_vendor_staff:
        return Entitlement(
            allowed=True, cost=Cost.FREE, reason="", message="", delivery_mode=DeliveryMode.PUSH
        )
    assert viewer.organization is not None
    decision = entitlement_check(organization=viewer.organization, release=release, on=on)
    if decision.already_granted or not decision.allowed:
        return decision
    return replace(
        decision,
        allowed=False,
        reason=Reason.NOT_REQUESTED,
        message=_("Request this update first; it is included in your contract."),
    )
