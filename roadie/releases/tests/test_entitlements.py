"""Entitlements per contract: defaults, allowance per contract year, support window, requests,
approvals, refusals with their reason and the path to a quote."""

from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from roadie.accounts.models import Role
from roadie.core.tests import factories
from roadie.notifications.models import OutboxMessage
from roadie.releases import services
from roadie.releases.entitlements import (
    Reason,
    contract_year,
    download_check,
    entitlement_check,
    terms_of,
)
from roadie.releases.errors import (
    AlreadyRequested,
    InvalidEntitlement,
    InvalidTransition,
    NotAllowed,
    NotEntitled,
)
from roadie.releases.models import ContractEntitlement, Event, UpdateRequest
from roadie.releases.tests.factories import make_deployment, make_release
from roadie.tickets.models import Kind, Ticket

pytestmark = pytest.mark.django_db

JUNE = date(2026, 6, 1)
AT_JUNE = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def releases(product, engineer, org_a):
    make_deployment(org_a, product, "2.0.0")
    made = {}
    for version in ("2.0.0", "2.0.1", "2.1.0", "2.2.0", "2.3.0", "3.0.0"):
        made[version] = make_release(product, version, by=engineer, released_on=date(2026, 1, 5))
    return made


def _approve(org_user, release, engineer, at=AT_JUNE):
    request = services.update_request_create(release=release, by=org_user, at=at)
    return services.update_request_approve(request=request, by=engineer, at=at)


def test_defaults_apply_when_a_contract_has_no_entitlement(org_a):
    terms = terms_of(org_a.contracts.get())
    assert terms.pk is None
    assert (terms.patch_cost, terms.minor_cost, terms.minor_allowance_per_year) == (
        "free",
        "allowance",
        2,
    )
    assert (terms.major_cost, terms.delivery_mode) == ("paid", "request")


def test_patch_is_free_minor_counts_major_is_paid(releases, org_a):
    patch = entitlement_check(organization=org_a, release=releases["2.0.1"], on=JUNE)
    minor = entitlement_check(organization=org_a, release=releases["2.1.0"], on=JUNE)
    with translation.override("en"):
        major = entitlement_check(organization=org_a, release=releases["3.0.0"], on=JUNE)
    assert (patch.allowed, patch.cost) == (True, "free")
    assert (minor.allowed, minor.cost, minor.used, minor.allowance) == (True, "allowance", 0, 2)
    assert (major.allowed, major.reason, major.quote_possible) == (False, Reason.PAID, True)
    assert (
        major.message
        == "Major version releases are not included in your contract; they are quoted."
    )


def test_the_yearly_allowance_runs_out_and_renews_with_the_contract_year(
    releases, org_a, customer_a, engineer
):
    _approve(customer_a, releases["2.1.0"], engineer)
    _approve(customer_a, releases["2.2.0"], engineer)
    third = entitlement_check(organization=org_a, release=releases["2.3.0"], on=JUNE)
    assert (third.allowed, third.reason, third.used) == (False, Reason.ALLOWANCE_USED, 2)
    with pytest.raises(NotEntitled) as error:
        services.update_request_create(release=releases["2.3.0"], by=customer_a, at=AT_JUNE)
    assert error.value.reason == Reason.ALLOWANCE_USED
    assert UpdateRequest.objects.filter(release=releases["2.3.0"]).count() == 0
    # The contract started on 1 January 2026: a new contract year on 1 January 2027.
    next_year = entitlement_check(
        organization=org_a, release=releases["2.3.0"], on=date(2027, 1, 2)
    )
    assert next_year.allowed and next_year.used == 0


def test_contract_year_handles_leap_days():
    contract = type("C", (), {"starts_on": date(2024, 2, 29)})()
    assert contract_year(contract, date(2025, 3, 1)) == (date(2025, 2, 28), date(2026, 2, 28))
    assert contract_year(contract, date(2025, 2, 27)) == (date(2024, 2, 29), date(2025, 2, 28))


def test_support_window_and_contract_are_checked(releases, org_a, manager):
    services.entitlement_set(
        contract=org_a.contracts.get(), by=manager, support_until=date(2026, 3, 31)
    )
    ended = entitlement_check(organization=org_a, release=releases["2.0.1"], on=JUNE)
    assert (ended.allowed, ended.reason) == (False, Reason.SUPPORT_ENDED)
    none = entitlement_check(organization=org_a, release=releases["2.0.1"], on=date(2030, 1, 1))
    assert (none.allowed, none.reason) == (False, Reason.NO_CONTRACT)


def test_organization_without_the_product_is_not_entitled(releases, org_b):
    decision = entitlement_check(organization=org_b, release=releases["2.0.1"], on=JUNE)
    assert (decision.allowed, decision.reason) == (False, Reason.NOT_DEPLOYED)


def test_entitlement_set_checks_its_input(org_a, manager, engineer):
    contract = org_a.contracts.get()
    with pytest.raises(InvalidEntitlement) as error:
        services.entitlement_set(contract=contract, by=manager, minor_cost="cheap")
    assert error.value.field == "minor_cost"
    with pytest.raises(InvalidEntitlement) as error:
        services.entitlement_set(contract=contract, by=manager, support_until=date(2020, 1, 1))
    assert error.value.field == "support_until"
    with pytest.raises(NotAllowed):
        services.entitlement_set(contract=contract, by=engineer)
    assert not ContractEntitlement.objects.exists()
    services.entitlement_set(
        contract=contract, by=manager, major_cost="free", minor_allowance_per_year=5
    )
    assert Event.objects.filter(kind=Event.Kind.ENTITLEMENT_SET).count() == 1


def test_request_then_approval_grants_the_download(releases, customer_a, engineer, manager):
    release = releases["2.1.0"]
    assert download_check(viewer=customer_a, release=release).reason == Reason.NOT_REQUESTED
    request = services.update_request_create(
        release=release, by=customer_a, note="请尽快", at=AT_JUNE
    )
    assert (request.status, request.cost) == ("requested", "allowance")
    assert OutboxMessage.objects.filter(recipient=manager.email).exists()  # staff are told
    with pytest.raises(AlreadyRequested):
        services.update_request_create(release=release, by=customer_a, at=AT_JUNE)
    services.update_request_approve(request=request, by=engineer, at=AT_JUNE)
    assert download_check(viewer=customer_a, release=release).allowed
    assert OutboxMessage.objects.filter(recipient=customer_a.email).exists()
    with pytest.raises(InvalidTransition):
        services.update_request_decline(request=request, by=engineer, note="late")


def test_decline_needs_a_reason_and_customers_cannot_decide(releases, customer_a, engineer):
    request = services.update_request_create(release=releases["2.0.1"], by=customer_a, at=AT_JUNE)
    with pytest.raises(InvalidEntitlement) as error:
        services.update_request_decline(request=request, by=engineer, note="")
    assert error.value.field == "note"
    with pytest.raises(NotAllowed):
        services.update_request_approve(request=request, by=customer_a)
    declined = services.update_request_decline(
        request=request, by=engineer, note="请先升级到 2.0.0 的最新补丁"
    )
    assert declined.status == "declined"
    # A declined request can be made again.
    again = services.update_request_create(release=releases["2.0.1"], by=customer_a, at=AT_JUNE)
    assert again.status == "requested"


def test_members_cannot_request_updates(releases, org_a):
    member = factories.make_user(Role.CUSTOMER_MEMBER, org_a)
    with pytest.raises(NotAllowed):
        services.update_request_create(release=releases["2.0.1"], by=member, at=AT_JUNE)


def test_push_contract_requests_are_granted_at_once(releases, org_a, customer_a, manager):
    services.entitlement_set(contract=org_a.contracts.get(), by=manager, delivery_mode="push")
    request = services.update_request_create(release=releases["2.0.1"], by=customer_a, at=AT_JUNE)
    assert request.status == "approved" and request.decided_at == AT_JUNE


def test_approval_rechecks_the_allowance(releases, customer_a, engineer):
    first = services.update_request_create(release=releases["2.1.0"], by=customer_a, at=AT_JUNE)
    second = services.update_request_create(release=releases["2.2.0"], by=customer_a, at=AT_JUNE)
    third = services.update_request_create(release=releases["2.3.0"], by=customer_a, at=AT_JUNE)
    services.update_request_approve(request=first, by=engineer, at=AT_JUNE)
    services.update_request_approve(request=second, by=engineer, at=AT_JUNE)
    with pytest.raises(NotEntitled) as error:
        services.update_request_approve(request=third, by=engineer, at=AT_JUNE)
    assert error.value.reason == Reason.ALLOWANCE_USED
    third.refresh_from_db()
    assert third.status == "requested"


def test_refused_major_offers_a_quote_as_a_change_request_ticket(releases, customer_a):
    with pytest.raises(NotEntitled) as error:
        services.update_request_create(release=releases["3.0.0"], by=customer_a, at=AT_JUNE)
    assert error.value.reason == Reason.PAID
    ticket = services.quote_request_create(
        release=releases["3.0.0"], by=customer_a, note="含定制分支"
    )
    assert ticket.kind == Kind.CHANGE_REQUEST
    assert "3.0.0" in ticket.title and ticket.organization == customer_a.organization
    assert "含定制分支" in ticket.description
    assert Ticket.objects.count() == 1
    assert Event.objects.filter(kind=Event.Kind.QUOTE_REQUESTED).exists()
