"""On-call API: schedules (rotations, overrides, swaps, iCalendar import), leave, teams,
escalation policies and pages.  Vendor staff only: customers are told nothing exists (404).

Kept shapes (external checks use them): GET /schedules/{schedule_id}/oncall?at=ISO →
{"users": [{"email"}]}; GET /schedules/{schedule_id}/gaps?start=ISO&end=ISO →
{"gaps": [{"start", "end"}]}; POST /pages/{page_id}/acknowledge.  Every datetime needs a UTC
offset (a bare local time is 422); in a query string, write "+" as %2B or use "Z".
"""

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from roadie.accounts.models import User
from roadie.accounts.permissions import Action
from roadie.api.v1.common import require, require_staff
from roadie.core import clock
from roadie.oncall import selectors, services
from roadie.oncall.errors import InvalidInterval, InvalidPolicy
from roadie.oncall.models import (
    EscalationPolicy,
    EscalationStep,
    Leave,
    Override,
    Page,
    PageEvent,
    Rotation,
    Schedule,
    Team,
)
from roadie.oncall.services.common import check_aware, staff_by_emails

router = Router(tags=["oncall"])

MAX_QUERY_WINDOW = timedelta(days=366)
DEFAULT_WINDOW = timedelta(weeks=4)
MAX_ICAL_CHARS = 2 * 1024 * 1024

RotationKind = Literal["daily", "weekly"]
StepKind = Literal["schedule", "user", "team", "policy"]
PageStatus = Literal["triggered", "acknowledged", "resolved"]


def _manage(request: HttpRequest) -> User:
    """Changing the structure of on-call (schedules, rotations, teams, policies)."""
    require_staff(request)
    return require(request, Action.MANAGE_USERS)


def _person(email: str, field: str) -> User:
    return staff_by_emails([email], field=field)[0]


# --- who is on call --------------------------------------------------------------------------


class UserRef(Schema):
    email: str


class OncallOut(Schema):
    users: list[UserRef]


class GapOut(Schema):
    start: datetime
    end: datetime


class GapsOut(Schema):
    gaps: list[GapOut]


# --- schedules -------------------------------------------------------------------------------


class ScheduleIn(Schema):
    name: str = Field(max_length=100)
    time_zone: str = "Asia/Shanghai"
    ical: str | None = Field(
        None,
        max_length=MAX_ICAL_CHARS,
        description="iCalendar text: each VEVENT is a shift of the e-mail in SUMMARY or ATTENDEE",
    )


class SchedulePatch(Schema):
    name: str | None = Field(None, max_length=100)
    time_zone: str | None = None
    ical: str | None = Field(None, max_length=MAX_ICAL_CHARS, description="replaces the layer's")
    ical_layer: int = 1


class RotationOut(Schema):
    id: int
    name: str
    layer: int
    kind: str
    interval: int
    handoff_time: time
    start_date: date
    members: list[str]

    @staticmethod
    def resolve_members(obj: Rotation) -> list[str]:
        return [m.user.email for m in obj.members.all()]


class CalendarOut(Schema):
    layer: int
    event_count: int
    created_at: datetime


class ScheduleOut(Schema):
    id: int
    name: str
    time_zone: str
    rotations: list[RotationOut]
    calendars: list[CalendarOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_rotations(obj: Schedule) -> list[Rotation]:
        return list(selectors.rotations(schedule=obj))

    @staticmethod
    def resolve_calendars(obj: Schedule) -> list[Any]:
        return list(obj.calendars.all())


class ScheduleList(Schema):
    items: list[ScheduleOut]
    next: str | None = None


def _schedule(schedule_id: int) -> Schedule:
    return selectors.schedules().get(pk=schedule_id)


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    first = check_aware(start, field="start") if start is not None else clock.now()
    last = check_aware(end, field="end") if end is not None else first + DEFAULT_WINDOW
    if last <= first:
        raise InvalidInterval(_("The end must be after the start."), field="end")
    if last - first > MAX_QUERY_WINDOW:
        raise InvalidInterval(_("Ask for at most 366 days at a time."), field="end")
    return first, last


@router.get("/schedules", response=ScheduleList)
def list_schedules(request: HttpRequest) -> dict[str, Any]:
    require_staff(request)
    return {"items": list(selectors.schedules()), "next": None}


@router.post("/schedules", response={201: ScheduleOut})
def create_schedule(request: HttpRequest, payload: ScheduleIn) -> Status:
    """Create a schedule; with `ical`, its events (recurrences expanded) are the shifts."""
    by = _manage(request)
    schedule = services.schedule_create(
        name=payload.name, time_zone=payload.time_zone, ical_source=payload.ical, by=by
    )
    return Status(201, schedule)


@router.get("/schedules/{schedule_id}", response=ScheduleOut)
def get_schedule(request: HttpRequest, schedule_id: int) -> Schedule:
    require_staff(request)
    return _schedule(schedule_id)


@router.patch("/schedules/{schedule_id}", response=ScheduleOut)
def update_schedule(request: HttpRequest, schedule_id: int, payload: SchedulePatch) -> Schedule:
    _manage(request)
    schedule = _schedule(schedule_id)
    # One transaction: a refused calendar or name changes nothing at all.
    with transaction.atomic():
        schedule = services.schedule_update(
            schedule=schedule, name=payload.name, time_zone=payload.time_zone
        )
        if payload.ical is not None:
            services.schedule_import_ical(
                schedule=schedule, source=payload.ical, layer=payload.ical_layer
            )
    return schedule


@router.get("/schedules/{schedule_id}/oncall", response=OncallOut)
def oncall(request: HttpRequest, schedule_id: int, at: datetime | None = None) -> dict[str, Any]:
    """Who is on call at `at` (default: now)."""
    require_staff(request)
    schedule = _schedule(schedule_id)
    when = check_aware(at, field="at") if at is not None else clock.now()
    users = selectors.oncall_users(schedule=schedule, at=when)
    return {"users": [{"email": u.email} for u in users]}


@router.get("/schedules/{schedule_id}/gaps", response=GapsOut)
def gaps(
    request: HttpRequest,
    schedule_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """Every interval of [start, end) with nobody on call (default: the next 4 weeks)."""
    require_staff(request)
    schedule = _schedule(schedule_id)
    first, last = _window(start, end)
    found = selectors.coverage_gaps(schedule, first, last)
    return {"gaps": [{"start": s, "end": e} for s, e in found]}


# --- rotations -------------------------------------------------------------------------------


class RotationIn(Schema):
    name: str = Field(max_length=100)
    kind: RotationKind = "weekly"
    handoff_time: time = time(9)
    start_date: date
    members: list[str] = Field(description="e-mails, in rotation order")
    interval: int = 1
    layer: int = 1


class RotationPatch(Schema):
    name: str | None = Field(None, max_length=100)
    kind: RotationKind | None = None
    handoff_time: time | None = None
    start_date: date | None = None
    members: list[str] | None = None
    interval: int | None = None
    layer: int | None = None


def _rotation(schedule_id: int, rotation_id: int) -> Rotation:
    return Rotation.objects.get(schedule=_schedule(schedule_id), pk=rotation_id)


@router.post("/schedules/{schedule_id}/rotations", response={201: RotationOut})
def create_rotation(request: HttpRequest, schedule_id: int, payload: RotationIn) -> Status:
    _manage(request)
    schedule = _schedule(schedule_id)
    rotation = services.rotation_create(
        schedule=schedule,
        name=payload.name,
        kind=payload.kind,
        handoff_time=payload.handoff_time,
        start_date=payload.start_date,
        members=staff_by_emails(payload.members, field="members"),
        interval=payload.interval,
        layer=payload.layer,
    )
    return Status(201, rotation)


@router.patch("/schedules/{schedule_id}/rotations/{rotation_id}", response=RotationOut)
def update_rotation(
    request: HttpRequest, schedule_id: int, rotation_id: int, payload: RotationPatch
) -> Rotation:
    _manage(request)
    rotation = _rotation(schedule_id, rotation_id)
    return services.rotation_update(
        rotation=rotation,
        name=payload.name,
        kind=payload.kind,
        handoff_time=payload.handoff_time,
        start_date=payload.start_date,
        members=(
            staff_by_emails(payload.members, field="members")
            if payload.members is not None
            else None
        ),
        interval=payload.interval,
        layer=payload.layer,
    )


@router.delete("/schedules/{schedule_id}/rotations/{rotation_id}", response={204: None})
def delete_rotation(request: HttpRequest, schedule_id: int, rotation_id: int) -> Status:
    _manage(request)
    services.rotation_delete(rotation=_rotation(schedule_id, rotation_id))
    return Status(204, None)


# --- overrides, swaps, leave -----------------------------------------------------------------


class OverrideIn(Schema):
    user: str = Field(description="e-mail of the person who covers")
    start: datetime
    end: datetime
    note: str = Field("", max_length=200)


class OverrideOut(Schema):
    id: int
    user: str
    start: datetime
    end: datetime
    note: str

    @staticmethod
    def resolve_user(obj: Override) -> str:
        return obj.user.email


class OverrideList(Schema):
    items: list[OverrideOut]
    next: str | None = None


class SwapIn(Schema):
    """`second` covers `first`'s shift [first_start, first_end) and `first` covers `second`'s."""

    first: str
    first_start: datetime
    first_end: datetime
    second: str
    second_start: datetime
    second_end: datetime


class SwapOut(Schema):
    overrides: list[OverrideOut]


@router.get("/schedules/{schedule_id}/overrides", response=OverrideList)
def list_overrides(
    request: HttpRequest,
    schedule_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    require_staff(request)
    first, last = _window(start, end)
    schedule = _schedule(schedule_id)
    return {"items": list(selectors.overrides(schedule=schedule, start=first, end=last))}


@router.post("/schedules/{schedule_id}/overrides", response={201: OverrideOut})
def create_override(request: HttpRequest, schedule_id: int, payload: OverrideIn) -> Status:
    by = require_staff(request)
    schedule = _schedule(schedule_id)
    override = services.override_create(
        schedule=schedule,
        user=_person(payload.user, "user"),
        start=payload.start,
        end=payload.end,
        note=payload.note,
        by=by,
    )
    return Status(201, override)


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", response={204: None})
def delete_override(request: HttpRequest, schedule_id: int, override_id: int) -> Status:
    require_staff(request)
    override = Override.objects.get(schedule=_schedule(schedule_id), pk=override_id)
    services.override_delete(override=override)
    return Status(204, None)


@router.post("/schedules/{schedule_id}/swaps", response={201: SwapOut})
def create_swap(request: HttpRequest, schedule_id: int, payload: SwapIn) -> Status:
    by = require_staff(request)
    schedule = _schedule(schedule_id)
    pair = services.swap_create(
        schedule=schedule,
        first=_person(payload.first, "first"),
        first_start=payload.first_start,
        first_end=payload.first_end,
        second=_person(payload.second, "second"),
        second_start=payload.second_start,
        second_end=payload.second_end,
        by=by,
    )
    return Status(201, {"overrides": list(pair)})


class LeaveIn(Schema):
    user: str
    start: datetime
    end: datetime
    note: str = Field("", max_length=200)


class LeaveOut(Schema):
    id: int
    user: str
    start: datetime
    end: datetime
    note: str

    @staticmethod
    def resolve_user(obj: Leave) -> str:
        return obj.user.email


class LeaveList(Schema):
    items: list[LeaveOut]
    next: str | None = None


@router.get("/oncall/leave", response=LeaveList)
def list_leave(
    request: HttpRequest, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    require_staff(request)
    first, last = _window(start, end)
    return {"items": list(selectors.leaves(start=first, end=last))}


@router.post("/oncall/leave", response={201: LeaveOut})
def create_leave(request: HttpRequest, payload: LeaveIn) -> Status:
    by = require_staff(request)
    leave = services.leave_create(
        user=_person(payload.user, "user"),
        start=payload.start,
        end=payload.end,
        note=payload.note,
        by=by,
    )
    return Status(201, leave)


@router.delete("/oncall/leave/{leave_id}", response={204: None})
def delete_leave(request: HttpRequest, leave_id: int) -> Status:
    require_staff(request)
    services.leave_delete(leave=Leave.objects.get(pk=leave_id))
    return Status(204, None)


# --- teams -----------------------------------------------------------------------------------


class TeamIn(Schema):
    name: str = Field(max_length=100)
    members: list[str] = []


class TeamPatch(Schema):
    name: str | None = Field(None, max_length=100)
    members: list[str] | None = None


class TeamOut(Schema):
    id: int
    name: str
    members: list[str]

    @staticmethod
    def resolve_members(obj: Team) -> list[str]:
        return sorted(u.email for u in obj.members.all())


class TeamList(Schema):
    items: list[TeamOut]
    next: str | None = None


@router.get("/teams", response=TeamList)
def list_teams(request: HttpRequest) -> dict[str, Any]:
    require_staff(request)
    return {"items": list(selectors.teams()), "next": None}


@router.post("/teams", response={201: TeamOut})
def create_team(request: HttpRequest, payload: TeamIn) -> Status:
    _manage(request)
    team = services.team_create(
        name=payload.name, members=staff_by_emails(payload.members, field="members")
    )
    return Status(201, team)


@router.patch("/teams/{team_id}", response=TeamOut)
def update_team(request: HttpRequest, team_id: int, payload: TeamPatch) -> Team:
    _manage(request)
    team = Team.objects.get(pk=team_id)
    return services.team_update(
        team=team,
        name=payload.name,
        members=(
            staff_by_emails(payload.members, field="members")
            if payload.members is not None
            else None
        ),
    )


# --- escalation policies ---------------------------------------------------------------------


class StepIn(Schema):
    kind: StepKind
    wait_minutes: int = 5
    schedule_id: int | None = None
    user: str | None = Field(None, description="e-mail, for kind=user")
    team_id: int | None = None
    policy_id: int | None = Field(None, description="for kind=policy: run its steps here")


class StepOut(Schema):
    kind: str
    wait_minutes: int
    schedule_id: int | None
    user: str | None
    team_id: int | None
    policy_id: int | None

    @staticmethod
    def resolve_user(obj: EscalationStep) -> str | None:
        return obj.user.email if obj.user else None

    @staticmethod
    def resolve_policy_id(obj: EscalationStep) -> int | None:
        return obj.target_policy_id


class PolicyIn(Schema):
    name: str = Field(max_length=100)
    steps: list[StepIn]
    repeat_times: int = 0
    ack_timeout_minutes: int = Field(0, description="page again if not resolved; 0 = never")
    is_default: bool = False


class PolicyPatch(Schema):
    name: str | None = Field(None, max_length=100)
    steps: list[StepIn] | None = None
    repeat_times: int | None = None
    ack_timeout_minutes: int | None = None
    is_default: Literal[True] | None = Field(None, description="true marks it the default")


class PolicyOut(Schema):
    id: int
    name: str
    is_default: bool
    repeat_times: int
    ack_timeout_minutes: int
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj: EscalationPolicy) -> list[EscalationStep]:
        return list(obj.steps.all())


class PolicyList(Schema):
    items: list[PolicyOut]
    next: str | None = None


def _steps(steps: list[StepIn]) -> list[services.StepInput]:
    """Look up each step's target; an unknown one names the step it is in."""
    found = []
    for index, step in enumerate(steps):
        field = f"steps.{index}"
        try:
            found.append(
                services.StepInput(
                    kind=step.kind,
                    wait_minutes=step.wait_minutes,
                    schedule=(
                        Schedule.objects.get(pk=step.schedule_id)
                        if step.kind == "schedule" and step.schedule_id is not None
                        else None
                    ),
                    user=(
                        _person(step.user, f"{field}.user")
                        if step.kind == "user" and step.user
                        else None
                    ),
                    team=(
                        Team.objects.get(pk=step.team_id)
                        if step.kind == "team" and step.team_id is not None
                        else None
                    ),
                    policy=(
                        EscalationPolicy.objects.get(pk=step.policy_id)
                        if step.kind == "policy" and step.policy_id is not None
                        else None
                    ),
                )
            )
        except (Schedule.DoesNotExist, Team.DoesNotExist, EscalationPolicy.DoesNotExist):
            raise InvalidPolicy(
                _("Step %(n)s: no such %(kind)s.") % {"n": index + 1, "kind": step.kind},
                field=f"{field}.{step.kind}_id",
            )
    return found


@router.get("/escalation-policies", response=PolicyList)
def list_policies(request: HttpRequest) -> dict[str, Any]:
    require_staff(request)
    return {"items": list(selectors.policies()), "next": None}


@router.post("/escalation-policies", response={201: PolicyOut})
def create_policy(request: HttpRequest, payload: PolicyIn) -> Status:
    _manage(request)
    policy = services.policy_create(
        name=payload.name,
        steps=_steps(payload.steps),
        repeat_times=payload.repeat_times,
        ack_timeout_minutes=payload.ack_timeout_minutes,
        is_default=payload.is_default,
    )
    return Status(201, selectors.policies().get(pk=policy.pk))


@router.get("/escalation-policies/{policy_id}", response=PolicyOut)
def get_policy(request: HttpRequest, policy_id: int) -> EscalationPolicy:
    require_staff(request)
    return selectors.policies().get(pk=policy_id)


@router.patch("/escalation-policies/{policy_id}", response=PolicyOut)
def update_policy(request: HttpRequest, policy_id: int, payload: PolicyPatch) -> EscalationPolicy:
    """Pages in flight keep the ladder they started with."""
    _manage(request)
    policy = EscalationPolicy.objects.get(pk=policy_id)
    policy = services.policy_update(
        policy=policy,
        name=payload.name,
        steps=_steps(payload.steps) if payload.steps is not None else None,
        repeat_times=payload.repeat_times,
        ack_timeout_minutes=payload.ack_timeout_minutes,
    )
    if payload.is_default:
        services.policy_set_default(policy=policy)
    return selectors.policies().get(pk=policy.pk)


# --- pages -----------------------------------------------------------------------------------


class PageIn(Schema):
    title: str = Field(max_length=300)
    source: str | None = Field(None, max_length=200, description="default: api:<new id>")
    url: str = Field("", max_length=500)
    urgent: bool = True
    policy_id: int | None = Field(None, description="default: the default policy")


class PageEventOut(Schema):
    kind: str
    at: datetime
    person: str | None
    channel: str
    step: int | None
    run: int | None
    data: dict[str, Any]

    @staticmethod
    def resolve_person(obj: PageEvent) -> str | None:
        return obj.actor.email if obj.actor else None


class PageOut(Schema):
    id: int
    title: str
    source: str
    url: str
    urgent: bool
    status: str
    policy: str
    started_at: datetime
    next_step_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    events: list[PageEventOut]

    @staticmethod
    def resolve_policy(obj: Page) -> str:
        return str(obj.ladder.get("policy", ""))

    @staticmethod
    def resolve_acknowledged_by(obj: Page) -> str | None:
        return obj.acknowledged_by.email if obj.acknowledged_by else None

    @staticmethod
    def resolve_resolved_by(obj: Page) -> str | None:
        return obj.resolved_by.email if obj.resolved_by else None

    @staticmethod
    def resolve_events(obj: Page) -> list[PageEvent]:
        return list(selectors.page_events(page=obj))


class PageSummary(Schema):
    id: int
    title: str
    source: str
    url: str
    urgent: bool
    status: str
    started_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


class PageList(Schema):
    items: list[PageSummary]
    next: str | None = None


def _page(page_id: int) -> Page:
    return selectors.pages().get(pk=page_id)


@router.get("/pages", response=PageList)
def list_pages(request: HttpRequest, status: PageStatus | None = None) -> dict[str, Any]:
    """Paging now first; at most 200."""
    require_staff(request)
    qs = selectors.pages()
    if status:
        qs = qs.filter(status=status)
    return {"items": list(qs[:200]), "next": None}


@router.post("/pages", response={201: PageOut})
def start_page(request: HttpRequest, payload: PageIn) -> Status:
    require_staff(request)
    policy = (
        EscalationPolicy.objects.get(pk=payload.policy_id)
        if payload.policy_id is not None
        else None
    )
    page = services.page_start(
        policy=policy,
        source=payload.source or f"api:{uuid.uuid4().hex[:16]}",
        title=payload.title,
        url=payload.url,
        urgent=payload.urgent,
    )
    return Status(201, _page(page.pk))


@router.get("/pages/{page_id}", response=PageOut)
def get_page(request: HttpRequest, page_id: int) -> Page:
    require_staff(request)
    return _page(page_id)


@router.post("/pages/{page_id}/acknowledge", response=PageOut)
def acknowledge_page(request: HttpRequest, page_id: int) -> Page:
    """Stop the escalation (acknowledging twice changes nothing; a resolved page is 409)."""
    by = require_staff(request)
    services.page_acknowledge(page=_page(page_id), by=by, via="api")
    return _page(page_id)


@router.post("/pages/{page_id}/resolve", response=PageOut)
def resolve_page(request: HttpRequest, page_id: int) -> Page:
    by = require_staff(request)
    services.page_resolve(page=_page(page_id), by=by)
    return _page(page_id)
