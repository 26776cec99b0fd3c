"""iCalendar (RFC 5545) in and out: shifts imported from a shared calendar, feeds generated.

Import: each VEVENT is a shift; the on-call person is the e-mail in its SUMMARY or, failing
that, its first ATTENDEE mailto:.  Recurrence (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides)
is expanded by `recurring-ical-events`.  Floating times and all-day dates are read in the
schedule's time zone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import icalendar
import recurring_ical_events
from django.utils.translation import gettext as _

from roadie.oncall.errors import InvalidCalendarData
from roadie.oncall.rota import Span, zone

EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Shifts are hours to weeks long; these frequencies would only make a calendar explode.
REFUSED_FREQUENCIES = {"SECONDLY", "MINUTELY"}
MAX_SOURCE_BYTES = 2 * 1024 * 1024
PRODID = "-//Roadie//On-call//EN"


@dataclass(frozen=True)
class ParsedCalendar:
    calendar: icalendar.Calendar
    emails: frozenset[str]
    event_count: int


def event_email(event: Any) -> str | None:
    """The on-call person's e-mail (lower case): SUMMARY first, then the first ATTENDEE."""
    summary = str(event.get("SUMMARY") or "")
    match = EMAIL.search(summary)
    if match:
        return match.group(0).lower()
    attendees = event.get("ATTENDEE")
    if attendees is None:
        return None
    if not isinstance(attendees, list):
        attendees = [attendees]
    for attendee in attendees:
        match = EMAIL.search(str(attendee))
        if match:
            return match.group(0).lower()
    return None


def _describe(event: Any) -> str:
    return str(event.get("UID") or event.get("SUMMARY") or "?")


def parse(source: str, *, time_zone: str, now: datetime) -> ParsedCalendar:
    """Parse and check a calendar; raises InvalidCalendarData saying what is wrong."""
    if len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        raise InvalidCalendarData(_("The calendar is larger than 2 MB."), field="ical")
    if "BEGIN:VCALENDAR" not in source.upper():
        raise InvalidCalendarData(
            _("This is not iCalendar text: it must start with BEGIN:VCALENDAR."), field="ical"
        )
    try:
        calendar = icalendar.Calendar.from_ical(source)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise InvalidCalendarData(
            _("The calendar could not be read: %(error)s") % {"error": error}, field="ical"
        )
    if not isinstance(calendar, icalendar.Calendar):
        raise InvalidCalendarData(_("Send exactly one VCALENDAR."), field="ical")
    events = list(calendar.walk("VEVENT"))
    if not events:
        raise InvalidCalendarData(_("The calendar has no events (VEVENT)."), field="ical")
    emails: set[str] = set()
    for event in events:
        if event.errors:
            name, problem = event.errors[0]
            raise InvalidCalendarData(
                _("Event %(event)s: %(name)s is invalid (%(problem)s).")
                % {"event": _describe(event), "name": name, "problem": problem},
                field="ical",
            )
        if event.get("DTSTART") is None:
            raise InvalidCalendarData(
                _("Event %(event)s has no DTSTART.") % {"event": _describe(event)}, field="ical"
            )
        rule = event.get("RRULE")
        if rule is not None and set(rule.get("FREQ", [])) & REFUSED_FREQUENCIES:
            raise InvalidCalendarData(
                _("Event %(event)s repeats more often than hourly.") % {"event": _describe(event)},
                field="ical",
            )
        email = event_email(event)
        if email is None:
            raise InvalidCalendarData(
                _(
                    "Event %(event)s names nobody: put the on-call person's e-mail in SUMMARY or"
                    " an ATTENDEE."
                )
                % {"event": _describe(event)},
                field="ical",
            )
        emails.add(email)
    # A trial expansion finds what parsing lets through (a DTSTART that is not a date, a
    # broken rule) before anything is stored.
    _expand(calendar, now - timedelta(days=7), now + timedelta(days=60), time_zone)
    return ParsedCalendar(calendar=calendar, emails=frozenset(emails), event_count=len(events))


def _instant(value: date | datetime, time_zone: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone(time_zone))
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone(time_zone)).astimezone(UTC)


def _expand(
    calendar: icalendar.Calendar, start: datetime, end: datetime, time_zone: str
) -> list[tuple[str, datetime, datetime]]:
    try:
        occurrences = recurring_ical_events.of(calendar).between(start, end)
        found: list[tuple[str, datetime, datetime]] = []
        for occurrence in occurrences:
            email = event_email(occurrence)
            begins = _instant(occurrence["DTSTART"].dt, time_zone)
            if occurrence.get("DTEND") is not None:
                ends = _instant(occurrence["DTEND"].dt, time_zone)
            elif occurrence.get("DURATION") is not None:
                ends = begins + occurrence["DURATION"].dt
            elif not isinstance(occurrence["DTSTART"].dt, datetime):
                ends = begins + timedelta(days=1)
            else:
                ends = begins
            if email and ends > begins:
                found.append((email, begins, ends))
        return found
    except InvalidCalendarData:
        raise
    except Exception as error:  # noqa: BLE001 — the library raises many kinds; all mean bad input
        raise InvalidCalendarData(
            _("The calendar's events could not be expanded: %(error)s") % {"error": error},
            field="ical",
        )


@lru_cache(maxsize=32)
def _cached(digest: str, source: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(source)


def shifts(
    source: str,
    *,
    people: dict[str, int],
    start: datetime,
    end: datetime,
    time_zone: str,
    layer: int,
) -> list[Span]:
    """Shifts overlapping [start, end), as spans of user ids; unknown e-mails are dropped."""
    digest = hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()
    calendar = _cached(digest, source)
    spans = []
    for email, begins, ends in _expand(calendar, start, end, time_zone):
        user = people.get(email)
        if user is not None:
            spans.append(Span(user=user, start=begins, end=ends, layer=layer))
    return spans


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""


def feed(*, name: str, events: Iterable[FeedEvent], now: datetime) -> bytes:
    """An iCalendar document (text/calendar) of on-call shifts."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-published-ttl", "PT1H")
    stamp = now.astimezone(UTC)
    for item in events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start.astimezone(UTC))
        event.add("dtend", item.end.astimezone(UTC))
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
