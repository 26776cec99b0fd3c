from datetime import date, datetime, time, timedelta
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from roadie.accounts.permissions import Action
from roadie.api.v1.common import require, require_staff, viewer
from roadie.core import clock
from roadie.customers.errors import UnknownReference
from roadie.customers.models import Tier
from roadie.customers.selectors import contracts_visible
from roadie.sla import selectors, services
from roadie.sla.models import Calendar, CalendarOverride, Policy

router = Router(tags=["sla"])

SeverityName = Literal["urgent", "important", "general"]
SlaState = Literal["running", "paused", "met", "breached"]


class TicketSla(Schema):
    """A ticket's clocks (TicketOut.sla). State: see docs/sla.md."""

    response_due_at: datetime | None
    resolution_due_at: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None
    response_breached: bool
    resolution_breached: bool
    paused_seconds: int
    state: SlaState


class PreviewIn(Schema):
    contract: int
    severity: SeverityName
    opened_at: datetime = Field(description="ISO 8601 with a UTC offset")


class PreviewOut(Schema):
    response_due_at: datetime
    resolution_due_at: datetime


class PolicyIn(Schema):
    tier: str
    severity: SeverityName
    response_minutes: int
    resolution_minutes: int
    response_calendar: str
    resolution_calendar: str
    warning_percent: int = 75


class PolicyPatch(Schema):
    """Names the policy by tier and severity; the other fields, when given, are changed."""

    tier: str
    severity: SeverityName
    response_minutes: int | None = None
    resolution_minutes: int | None = None
    response_calendar: str | None = None
    resolution_calendar: str | None = None
    warning_percent: int | None = None


class PolicyOut(Schema):
    id: int
    tier: str
    severity: str
    response_minutes: int
    resolution_minutes: int
    response_calendar: str
    resolution_calendar: str
    warning_percent: int

    @staticmethod
    def resolve_tier(obj: Policy) -> str:
        return obj.tier.slug

    @staticmethod
    def resolve_response_calendar(obj: Policy) -> str:
        return obj.response_calendar.slug

    @staticmethod
    def resolve_resolution_calendar(obj: Policy) -> str:
        return obj.resolution_calendar.slug


class PolicyList(Schema):
    items: list[PolicyOut]
    next: str | None = None


class CalendarIn(Schema):
    slug: str = Field(min_length=1, max_length=64, pattern=r"^[-a-z0-9_]+$")
    name: str = Field(max_length=100)
    time_zone: str = "Asia/Shanghai"
    always_open: bool = False
    start_time: time = time(9)
    end_time: time = time(18)
    lunch_start: time | None = None
    lunch_end: time | None = None
    weekdays: list[int] = [0, 1, 2, 3, 4]
    use_chinese_calendar: bool = True


class CalendarOut(Schema):
    slug: str
    name: str
    time_zone: str
    always_open: bool
    start_time: time
    end_time: time
    lunch_start: time | None
    lunch_end: time | None
    weekdays: list[int]
    use_chinese_calendar: bool


class CalendarList(Schema):
    items: list[CalendarOut]
    next: str | None = None


class TargetOut(Schema):
    """A contract's targets for one severity: what applies, and where it comes from."""

    severity: str
    response_minutes: int
    resolution_minutes: int
    tier_response_minutes: int
    tier_resolution_minutes: int
    own_response_minutes: int | None = Field(description="the contract's own; null: the tier's")
    own_resolution_minutes: int | None = Field(description="the contract's own; null: the tier's")


class TargetList(Schema):
    contract: int
    tier: str
    items: list[TargetOut]
    next: str | None = None


class TargetIn(Schema):
    """null for a clock means the tier's target applies."""

    response_minutes: int | None = None
    resolution_minutes: int | None = None


class OverrideIn(Schema):
    is_working: bool
    note: str = ""


class OverrideOut(Schema):
    date: date
    is_working: bool
    note: str


class OverrideList(Schema):
    items: list[OverrideOut]
    next: str | None = None


class UnknownDatesOut(Schema):
    calendar: str
    start: date
    end: date
    dates: list[date]


def _tier(slug: str) -> Tier:
    tier = Tier.objects.filter(slug=slug).first()
    if tier is None:
        raise UnknownReference(f"Unknown tier {slug!r}.", field="tier")
    return tier


def _calendar(slug: str, field: str) -> Calendar:
    calendar = Calendar.objects.filter(slug=slug).first()
    if calendar is None:
        raise UnknownReference(f"Unknown calendar {slug!r}.", field=field)
    return calendar


def _require_manager(request: HttpRequest) -> None:
    require_staff(request)
    require(request, Action.MANAGE_CUSTOMERS)


@router.post("/sla/preview", response=PreviewOut)
def preview(request: HttpRequest, payload: PreviewIn) -> dict[str, datetime]:
    """Due times a ticket of this severity would get under the contract if opened then."""
    contract = contracts_visible(viewer=viewer(request)).get(pk=payload.contract)
    response, resolution = selectors.due_times_preview(
        contract=contract, severity=payload.severity, opened_at=payload.opened_at
    )
    return {"response_due_at": response, "resolution_due_at": resolution}


@router.get("/sla/policies", response=PolicyList)
def list_policies(request: HttpRequest, tier: str = "") -> dict[str, object]:
    require_staff(request)
    qs = selectors.policies().order_by("tier__slug", "severity")
    if tier:
        qs = qs.filter(tier__slug=tier)
    return {"items": list(qs), "next": None}


@router.post("/sla/policies", response={201: PolicyOut})
def create_policy(request: HttpRequest, payload: PolicyIn) -> Status:
    _require_manager(request)
    policy = services.policy_create(
        tier=_tier(payload.tier),
        severity=payload.severity,
        response_minutes=payload.response_minutes,
        resolution_minutes=payload.resolution_minutes,
        response_calendar=_calendar(payload.response_calendar, "response_calendar"),
        resolution_calendar=_calendar(payload.resolution_calendar, "resolution_calendar"),
        warning_percent=payload.warning_percent,
    )
    return Status(201, policy)


@router.patch("/sla/policies", response=PolicyOut)
def update_policy(request: HttpRequest, payload: PolicyPatch) -> Policy:
    """Open tickets keep the targets they were opened under; new tickets get the change."""
    _require_manager(request)
    policy = selectors.policies().get(tier=_tier(payload.tier), severity=payload.severity)
    return services.policy_update(
        policy=policy,
        response_minutes=payload.response_minutes,
        resolution_minutes=payload.resolution_minutes,
        response_calendar=(
            _calendar(payload.response_calendar, "response_calendar")
            if payload.response_calendar
            else None
        ),
        resolution_calendar=(
            _calendar(payload.resolution_calendar, "resolution_calendar")
            if payload.resolution_calendar
            else None
        ),
        warning_percent=payload.warning_percent,
    )


@router.get("/sla/calendars", response=CalendarList)
def list_calendars(request: HttpRequest) -> dict[str, object]:
    require_staff(request)
    return {"items": list(selectors.calendars()), "next": None}


@router.post("/sla/calendars", response={201: CalendarOut})
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Status:
    _require_manager(request)
    calendar = services.calendar_create(
        slug=payload.slug,
        name=payload.name,
        time_zone=payload.time_zone,
        always_open=payload.always_open,
        start_time=payload.start_time,
        end_time=payload.end_time,
        lunch_start=payload.lunch_start,
        lunch_end=payload.lunch_end,
        weekdays=payload.weekdays,
        use_chinese_calendar=payload.use_chinese_calendar,
    )
    return Status(201, calendar)


@router.get("/sla/calendars/{slug}/unknown-dates", response=UnknownDatesOut)
def unknown_dates(
    request: HttpRequest, slug: str, start: date | None = None, end: date | None = None
) -> dict[str, object]:
    """Dates the calendar has no holiday data for (default: the coming 365 days)."""
    require_staff(request)
    calendar = selectors.calendars().get(slug=slug)
    first = start or timezone.localdate(clock.now())
    last = end or first + timedelta(days=365)
    return {
        "calendar": calendar.slug,
        "start": first,
        "end": last,
        "dates": selectors.calendar_unknown_dates(calendar=calendar, start=first, end=last),
    }


@router.get("/sla/contracts/{contract_id}/targets", response=TargetList)
def list_contract_targets(request: HttpRequest, contract_id: int) -> dict[str, object]:
    """The contract's targets per severity (its customers may read their own)."""
    contract = contracts_visible(viewer=viewer(request)).get(pk=contract_id)
    return {
        "contract": contract.pk,
        "tier": contract.tier.slug,
        "items": selectors.contract_targets(contract=contract),
        "next": None,
    }


@router.put("/sla/contracts/{contract_id}/targets/{severity}", response=TargetList)
def set_contract_target(
    request: HttpRequest, contract_id: int, severity: SeverityName, payload: TargetIn
) -> dict[str, object]:
    """Replace one severity's own targets (null: the tier's). New tickets get them; open
    tickets keep the targets they were opened under."""
    contract = contracts_visible(viewer=viewer(request)).get(pk=contract_id)
    _require_manager(request)
    services.contract_target_set(
        contract=contract,
        severity=severity,
        response_minutes=payload.response_minutes,
        resolution_minutes=payload.resolution_minutes,
    )
    return list_contract_targets(request, contract_id)


@router.get("/sla/calendar-overrides", response=OverrideList)
def list_calendar_overrides(
    request: HttpRequest, start: date | None = None, end: date | None = None
) -> dict[str, object]:
    """Corrections to the Chinese working calendar, by date (optionally within [start, end])."""
    require_staff(request)
    qs = selectors.calendar_corrections()
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    return {"items": list(qs), "next": None}


@router.put("/sla/calendar-overrides/{day}", response=OverrideOut)
def set_calendar_override(request: HttpRequest, day: date, payload: OverrideIn) -> object:
    """Mark a date a holiday (`is_working: false`) or a working day (`true`) for every calendar
    that follows the Chinese calendar, e.g. next year's holidays before the library knows them."""
    _require_manager(request)
    return services.calendar_override_set(
        day=day, is_working=payload.is_working, note=payload.note
    )


@router.delete("/sla/calendar-overrides/{day}", response={204: None})
def delete_calendar_override(request: HttpRequest, day: date) -> Status:
    _require_manager(request)
    if not services.calendar_override_delete(day=day):
        raise CalendarOverride.DoesNotExist
    return Status(204, None)
