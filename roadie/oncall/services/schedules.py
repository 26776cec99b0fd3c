"""Writes to schedules, rotations, imported calendars, overrides, swaps, leave, teams, feeds.

Every check runs before anything is stored: a bad input changes nothing.
"""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date, datetime, time

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.oncall import ical
from roadie.oncall.errors import (
    EmptyRotation,
    InvalidSchedule,
    NameTaken,
    UnknownPeople,
)
from roadie.oncall.models import (
    ImportedCalendar,
    Leave,
    Override,
    PersonalFeed,
    Rotation,
    RotationMember,
    Schedule,
    Team,
)
from roadie.oncall.services.common import (
    check_interval,
    check_name,
    check_staff,
    check_time_zone,
    staff_by_emails,
)

MAX_LAYER = 20
MAX_INTERVAL = 52


def _check_layer(layer: int) -> int:
    if isinstance(layer, bool) or not 1 <= layer <= MAX_LAYER:
        raise InvalidSchedule(
            _("A layer is a number from 1 to %(max)s.") % {"max": MAX_LAYER}, field="layer"
        )
    return layer


def _check_members(members: Sequence[User]) -> list[User]:
    if not members:
        raise EmptyRotation(_("A rotation needs at least one member."), field="members")
    for user in members:
        check_staff(user, field="members")
    return list(members)


def _check_rotation_shape(*, kind: str, interval: int) -> None:
    if kind not in Rotation.Kind.values:
        raise InvalidSchedule(_("A rotation is daily or weekly."), field="kind")
    if isinstance(interval, bool) or not 1 <= interval <= MAX_INTERVAL:
        raise InvalidSchedule(
            _("The shift length is a whole number from 1 to %(max)s.") % {"max": MAX_INTERVAL},
            field="interval",
        )


def _parse_ical(source: str, *, time_zone: str) -> tuple[ical.ParsedCalendar, dict[str, int]]:
    parsed = ical.parse(source, time_zone=time_zone, now=clock.now())
    people = staff_by_emails(sorted(parsed.emails), field="ical")
    return parsed, {u.email.lower(): u.pk for u in people}


@transaction.atomic
def schedule_create(
    *, name: str, time_zone: str, ical_source: str | None = None, by: User | None = None
) -> Schedule:
    """Create a schedule; with iCalendar text, its events become the shifts of layer 1."""
    name = check_name(name)
    check_time_zone(time_zone)
    parsed = people = None
    if ical_source is not None:
        parsed, people = _parse_ical(ical_source, time_zone=time_zone)
    if Schedule.objects.filter(name=name).exists():
        raise NameTaken(_("A schedule named %(name)r exists.") % {"name": name}, field="name")
    schedule = Schedule.objects.create(name=name, time_zone=time_zone)
    if parsed is not None and people is not None:
        ImportedCalendar.objects.create(
            schedule=schedule,
            layer=1,
            source=ical_source,
            people=people,
            event_count=parsed.event_count,
        )
    return schedule


@transaction.atomic
def schedule_update(
    *, schedule: Schedule, name: str | None = None, time_zone: str | None = None
) -> Schedule:
    """Rename or move to another zone (hand-offs keep their wall-clock time in the new zone)."""
    if name is not None:
        name = check_name(name)
        if Schedule.objects.filter(name=name).exclude(pk=schedule.pk).exists():
            raise NameTaken(_("A schedule named %(name)r exists.") % {"name": name}, field="name")
        schedule.name = name
    if time_zone is not None:
        schedule.time_zone = check_time_zone(time_zone)
    schedule.save()
    return schedule


@transaction.atomic
def schedule_import_ical(*, schedule: Schedule, source: str, layer: int = 1) -> ImportedCalendar:
    """Replace the layer's imported shifts with the events of an iCalendar text."""
    _check_layer(layer)
    parsed, people = _parse_ical(source, time_zone=schedule.time_zone)
    ImportedCalendar.objects.filter(schedule=schedule, layer=layer).delete()
    calendar = ImportedCalendar.objects.create(
        schedule=schedule, layer=layer, source=source, people=people, event_count=parsed.event_count
    )
    Schedule.objects.filter(pk=schedule.pk).update(updated_at=clock.now())
    return calendar


@transaction.atomic
def schedule_remove_ical(*, schedule: Schedule, layer: int) -> None:
    ImportedCalendar.objects.filter(schedule=schedule, layer=layer).delete()


def _set_members(rotation: Rotation, members: list[User]) -> None:
    RotationMember.objects.filter(rotation=rotation).delete()
    RotationMember.objects.bulk_create(
        RotationMember(rotation=rotation, user=user, position=index)
        for index, user in enumerate(members)
    )


@transaction.atomic
def rotation_create(
    *,
    schedule: Schedule,
    name: str,
    kind: str,
    handoff_time: time,
    start_date: date,
    members: Sequence[User],
    interval: int = 1,
    layer: int = 1,
) -> Rotation:
    """Members take turns in the order given, the first from `start_date` at `handoff_time`."""
    name = check_name(name)
    _check_rotation_shape(kind=kind, interval=interval)
    _check_layer(layer)
    people = _check_members(members)
    rotation = Rotation.objects.create(
        schedule=schedule,
        name=name,
        kind=kind,
        interval=interval,
        handoff_time=handoff_time,
        start_date=start_date,
        layer=layer,
    )
    _set_members(rotation, people)
    return rotation


@transaction.atomic
def rotation_update(
    *,
    rotation: Rotation,
    name: str | None = None,
    kind: str | None = None,
    handoff_time: time | None = None,
    start_date: date | None = None,
    members: Sequence[User] | None = None,
    interval: int | None = None,
    layer: int | None = None,
) -> Rotation:
    """Change what is given; `members` replaces the whole order."""
    _check_rotation_shape(
        kind=kind if kind is not None else rotation.kind,
        interval=interval if interval is not None else rotation.interval,
    )
    if name is not None:
        rotation.name = check_name(name)
    if kind is not None:
        rotation.kind = kind
    if interval is not None:
        rotation.interval = interval
    if handoff_time is not None:
        rotation.handoff_time = handoff_time
    if start_date is not None:
        rotation.start_date = start_date
    if layer is not None:
        rotation.layer = _check_layer(layer)
    people = _check_members(members) if members is not None else None
    rotation.save()
    if people is not None:
        _set_members(rotation, people)
    return rotation


@transaction.atomic
def rotation_delete(*, rotation: Rotation) -> None:
    rotation.delete()


@transaction.atomic
def override_create(
    *,
    schedule: Schedule,
    user: User,
    start: datetime,
    end: datetime,
    by: User | None,
    note: str = "",
) -> Override:
    """`user` is on call on the schedule over [start, end), above every layer."""
    check_interval(start, end)
    check_staff(user, field="user")
    return Override.objects.create(
        schedule=schedule, user=user, start=start, end=end, note=note[:200], created_by=by
    )


@transaction.atomic
def override_delete(*, override: Override) -> None:
    override.delete()


@transaction.atomic
def swap_create(
    *,
    schedule: Schedule,
    first: User,
    first_start: datetime,
    first_end: datetime,
    second: User,
    second_start: datetime,
    second_end: datetime,
    by: User | None,
) -> tuple[Override, Override]:
    """Two people trade shifts: `second` covers the first's shift and `first` the second's."""
    check_interval(first_start, first_end, field="first_end")
    check_interval(second_start, second_end, field="second_end")
    check_staff(first, field="first")
    check_staff(second, field="second")
    if first.pk == second.pk:
        raise UnknownPeople(_("A swap needs two different people."), emails=[], field="second")
    note_a = _("Swap: covers %(name)s") % {"name": first.display_name}
    note_b = _("Swap: covers %(name)s") % {"name": second.display_name}
    return (
        Override.objects.create(
            schedule=schedule,
            user=second,
            start=first_start,
            end=first_end,
            note=note_a[:200],
            created_by=by,
        ),
        Override.objects.create(
            schedule=schedule,
            user=first,
            start=second_start,
            end=second_end,
            note=note_b[:200],
            created_by=by,
        ),
    )


@transaction.atomic
def leave_create(
    *, user: User, start: datetime, end: datetime, by: User | None, note: str = ""
) -> Leave:
    """`user` is away over [start, end): skipped by every rotation, shift and override."""
    check_interval(start, end)
    check_staff(user, field="user")
    return Leave.objects.create(user=user, start=start, end=end, note=note[:200], created_by=by)


@transaction.atomic
def leave_delete(*, leave: Leave) -> None:
    leave.delete()


@transaction.atomic
def team_create(*, name: str, members: Sequence[User]) -> Team:
    name = check_name(name)
    for user in members:
        check_staff(user, field="members")
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name)
    except IntegrityError:
        raise NameTaken(_("A team named %(name)r exists.") % {"name": name}, field="name")
    team.members.set(members)
    return team


@transaction.atomic
def team_update(
    *, team: Team, name: str | None = None, members: Sequence[User] | None = None
) -> Team:
    if name is not None:
        name = check_name(name)
        if Team.objects.filter(name=name).exclude(pk=team.pk).exists():
            raise NameTaken(_("A team named %(name)r exists.") % {"name": name}, field="name")
        team.name = name
        team.save()
    if members is not None:
        for user in members:
            check_staff(user, field="members")
        team.members.set(members)
    return team


@transaction.atomic
def personal_feed_reset(*, user: User) -> str:
    """A new secret for the person's own calendar feed; the old address stops working."""
    check_staff(user, field="user")
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    PersonalFeed.objects.update_or_create(user=user, defaults={"token_hash": digest})
    return token
