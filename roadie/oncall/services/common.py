"""Checks every on-call write shares: aware instants, ordered intervals, staff people."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from roadie.accounts.models import STAFF_ROLES, User
from roadie.oncall.errors import (
    InvalidInterval,
    InvalidSchedule,
    NaiveDateTime,
    UnknownPeople,
    UnknownTimeZone,
)

MAX_SPAN = timedelta(days=366)


def check_aware(value: datetime, *, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDateTime(
            _("%(field)s needs a UTC offset, e.g. 2026-03-01T09:00:00+08:00.") % {"field": field},
            field=field,
        )
    return value


def check_interval(start: datetime, end: datetime, *, field: str = "end") -> None:
    check_aware(start, field="start")
    check_aware(end, field="end")
    if end <= start:
        raise InvalidInterval(_("The end must be after the start."), field=field)
    if end - start > MAX_SPAN:
        raise InvalidInterval(_("An interval may be at most a year long."), field=field)


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(_("Unknown time zone %(name)r.") % {"name": name}, field="time_zone")
    return name


def check_name(name: str, *, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidSchedule(_("A name is required."), field=field)
    if len(name) > 100:
        raise InvalidSchedule(_("A name may be at most 100 characters."), field=field)
    return name


def check_staff(user: User, *, field: str) -> User:
    if not user.is_active or user.role not in STAFF_ROLES:
        raise UnknownPeople(
            _("%(email)s is not an active vendor staff member.") % {"email": user.email},
            emails=[user.email],
            field=field,
        )
    return user


def staff_by_emails(emails: Iterable[str], *, field: str) -> list[User]:
    """Active vendor staff named by e-mail, in the order given; raises naming every unknown one."""
    wanted = [e.strip().lower() for e in emails]
    found = {
        u.email.lower(): u
        for u in User.objects.filter(email__in=wanted, is_active=True, role__in=list(STAFF_ROLES))
    }
    unknown = sorted({e for e in wanted if e not in found})
    if unknown:
        raise UnknownPeople(
            _("No active vendor staff member has the e-mail %(emails)s.")
            % {"emails": ", ".join(unknown)},
            emails=unknown,
            field=field,
        )
    return [found[e] for e in wanted]
