"""Reads for customers; reads across the customer boundary take the viewer."""

from django.db.models import QuerySet

from roadie.customers.models import Contract, Deployment, Organization


def organizations_visible(*, viewer) -> QuerySet[Organization]:  # type: ignore[no-untyped-def]
    if viewer.is_vendor_staff:
        return Organization.objects.all()
    return Organization.objects.filter(pk=viewer.organization_id)


def contracts_visible(*, viewer) -> QuerySet[Contract]:  # type: ignore[no-untyped-def]
    qs = Contract.objects.select_related("organization", "tier")
    if viewer.is_vendor_staff:
        return qs
    return qs.filter(organization_id=viewer.organization_id)


def deployments_visible(*, viewer) -> QuerySet[Deployment]:  # type: ignore[no-untyped-def]
    qs = Deployment.objects.select_related("organization", "product")
    if viewer.is_vendor_staff:
        return qs
    return qs.filter(organization_id=viewer.organization_id)


def contracts_newest_first(*, organization: Organization) -> QuerySet[Contract]:
    return organization.contracts.select_related("tier").order_by("-starts_on")


def current_contract(*, organization: Organization) -> Contract | None:
    return contracts_newest_first(organization=organization).first()
