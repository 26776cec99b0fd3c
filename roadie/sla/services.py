"""Writes to SLA policies and calendars; every check happens before anything is stored."""

import uuid
from collections.abc import Iterable
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from roadie.core.choices import Severity
from roadie.customers.models import Contract, Tier
from roadie.sla.calendar import CalendarError, WorkingCalendar
from roadie.sla.errors import (
    EmptyHours,
    InvalidCalendar,
    InvalidPolicy,
    InvalidTarget,
    InvalidWarningPercent,
    OverlappingHours,
    PolicyExists,
    SlugTaken,
)
from roadie.sla.models import Calendar, CalendarOverride, ContractTarget, Policy, Revision

# A target longer than a year of minutes is a typo, and would make the arithmetic search far.
MAX_TARGET_MINUTES = 366 * 24 * 60


def _check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidCalendar(_("Unknown time zone %(name)r.") % {"name": name}, field="time_zone")
    return name


def _check_weekdays(weekdays: Iterable[int]) -> list[int]:
    days = list(weekdays)
    if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        raise InvalidCalendar(
            _("Weekdays are numbers from 0 (Monday) to 6 (Sunday)."), field="weekdays"
        )
    return sorted(set(days))


def _check_hours(
    *,
    time_zone: str,
    start_time: time,
    end_time: time,
    lunch_start: time | None,
    lunch_end: time | None,
    weekdays: list[int],
    chinese: bool,
) -> None:
    """Builds the calendar once so its own checks (CalendarError) name what is wrong."""
    if (lunch_start is None) != (lunch_end is None):
        field = "lunch_end" if lunch_end is None else "lunch_start"
        raise InvalidCalendar(_("Give both ends of the lunch break, or neither."), field=field)
    lunch = (lunch_start, lunch_end) if lunch_start is not None and lunch_end is not None else None
    try:
        WorkingCalendar.business(
            time_zone,
            start=start_time,
            end=end_time,
            weekdays=weekdays,
            lunch=lunch,  # type: ignore[arg-type]
            chinese=chinese,
        )
    except CalendarError as exc:
        if exc.code == "empty_hours":
            raise EmptyHours(_("Choose at least one working weekday."), field="weekdays")
        if exc.code == "overlapping_hours":
            raise OverlappingHours(_("The lunch break ends before it starts."), field="lunch_end")
        if exc.code == "invalid_window":
            closes = (24, 0) if end_time == time(0) else (end_time.hour, end_time.minute)
            if lunch is None or (start_time.hour, start_time.minute) >= closes:
                raise EmptyHours(_("The working day must close after it opens."), field="end_time")
            field = "lunch_start" if start_time >= lunch[0] else "lunch_end"
            raise OverlappingHours(
                _("The lunch break must lie inside the working hours."), field=field
            )
        raise InvalidCalendar(str(exc), field="start_time")


@transaction.atomic
def calendar_create(
    *,
    slug: str,
    name: str,
    time_zone: str = "Asia/Shanghai",
    always_open: bool = False,
    start_time: time = time(9),
    end_time: time = time(18),
    lunch_start: time | None = None,
    lunch_end: time | None = None,
    weekdays: Iterable[int] = (0, 1, 2, 3, 4),
    use_chinese_calendar: bool = True,
) -> Calendar:
    """A new working calendar; hours are checked even for 7×24 calendars (they are kept)."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidCalendar(_("A calendar needs a name."), field="name")
    _check_time_zone(time_zone)
    days = _check_weekdays(weekdays)
    if not always_open:
        _check_hours(
            time_zone=time_zone,
            start_time=start_time,
            end_time=end_time,
            lunch_start=lunch_start,
            lunch_end=lunch_end,
            weekdays=days,
            chinese=use_chinese_calendar,
        )
    try:
        with transaction.atomic():
            return Calendar.objects.create(
                slug=slug,
                name=name,
                time_zone=time_zone,
                always_open=always_open,
                start_time=start_time,
                end_time=end_time,
                lunch_start=lunch_start,
                lunch_end=lunch_end,
                weekdays=days,
                use_chinese_calendar=use_chinese_calendar and not always_open,
            )
    except IntegrityError:
        raise SlugTaken(_("The calendar slug %(slug)r is taken.") % {"slug": slug}, field="slug")


def _check_minutes(value: int | None, field: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidTarget(_("A target is a number of minutes, 0 or more."), field=field)
    if value > MAX_TARGET_MINUTES:
        raise InvalidTarget(
            _("A target cannot be longer than %(max)s minutes.") % {"max": MAX_TARGET_MINUTES},
            field=field,
        )


def _check_warning(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise InvalidWarningPercent(
            _("The warning threshold is a percentage of the target, from 1 to 100."),
            field="warning_percent",
        )


def _check_severity(severity: str) -> None:
    if severity not in Severity.values:
        raise InvalidPolicy(
            _("%(value)r is not one of: %(choices)s.")
            % {"value": severity, "choices": ", ".join(Severity.values)},
            field="severity",
        )


@transaction.atomic
def policy_create(
    *,
    tier: Tier,
    severity: str,
    response_minutes: int,
    resolution_minutes: int,
    response_calendar: Calendar,
    resolution_calendar: Calendar,
    warning_percent: int = 75,
) -> Policy:
    """The targets of a tier for one severity. Tickets already open keep their snapshot."""
    _check_severity(severity)
    _check_minutes(response_minutes, "response_minutes")
    _check_minutes(resolution_minutes, "resolution_minutes")
    _check_warning(warning_percent)
    try:
        with transaction.atomic():
            return Policy.objects.create(
                tier=tier,
                severity=severity,
                response_minutes=response_minutes,
                resolution_minutes=resolution_minutes,
                response_calendar=response_calendar,
                resolution_calendar=resolution_calendar,
                warning_percent=warning_percent,
            )
    except IntegrityError:
        raise PolicyExists(
            _("The %(tier)s tier already has a %(severity)s policy; change it instead.")
            % {"tier": tier.slug, "severity": severity},
            field="severity",
        )


@transaction.atomic
def policy_update(
    *,
    policy: Policy,
    response_minutes: int | None = None,
    resolution_minutes: int | None = None,
    response_calendar: Calendar | None = None,
    resolution_calendar: Calendar | None = None,
    warning_percent: int | None = None,
) -> Policy:
    """Change the given targets (None leaves one as it is). Binds new tickets only (Rule 7)."""
    _check_minutes(response_minutes, "response_minutes")
    _check_minutes(resolution_minutes, "resolution_minutes")
    if warning_percent is not None:
        _check_warning(warning_percent)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    changes = {
        "response_minutes": response_minutes,
        "resolution_minutes": resolution_minutes,
        "response_calendar": response_calendar,
        "resolution_calendar": resolution_calendar,
        "warning_percent": warning_percent,
    }
    fields = [name for name, value in changes.items() if value is not None]
    for name in fields:
        setattr(policy, name, changes[name])
    if fields:
        policy.save(update_fields=[*fields, "updated_at"])
    return policy


@transaction.atomic
def contract_target_set(
    *,
    contract: Contract,
    severity: str,
    response_minutes: int | None,
    resolution_minutes: int | None,
) -> ContractTarget:
    """A contract's own targets for a severity (None: the tier's target applies)."""
    _check_severity(severity)
    _check_minutes(response_minutes, "response_minutes")
    _check_minutes(resolution_minutes, "resolution_minutes")
    target, _created = ContractTarget.objects.update_or_create(
        contract=contract,
        severity=severity,
        defaults={"response_minutes": response_minutes, "resolution_minutes": resolution_minutes},
    )
    return target


MAX_NOTE = 200


@transaction.atomic
def calendar_override_set(*, day: date, is_working: bool, note: str = "") -> CalendarOverride:
    """Correct the Chinese calendar for one date (a holiday or a working day); new tickets and
    every later sweep use it. Tickets keep their stored due times until their clocks move."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidCalendar(
            _("Keep the note under %(count)s characters.") % {"count": MAX_NOTE}, field="note"
        )
    override, _created = CalendarOverride.objects.update_or_create(
        date=day, defaults={"is_working": is_working, "note": note}
    )
    return override


@transaction.atomic
def calendar_override_delete(*, day: date) -> bool:
    """Remove the correction for a date; False when there was none."""
    override = CalendarOverride.objects.filter(date=day).first()
    if override is None:
        return False
    override.delete()
    return True


def revision_bump() -> None:
    """Give the SLA settings a new revision token: every process reads them afresh."""
    Revision.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
