"""Reads for on-call: schedule specs, who is on call, coverage gaps, policies and pages.

On-call data is the vendor's own; every interface checks that the viewer is vendor staff.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from roadie.accounts.models import User
from roadie.oncall import ical, rota
from roadie.oncall.models import (
    EscalationPolicy,
    EscalationStep,
    ImportedCalendar,
    Leave,
    Override,
    Page,
    PageEvent,
    PersonalFeed,
    Rotation,
    RotationMember,
    Schedule,
    Team,
)


def schedules() -> QuerySet[Schedule]:
    return Schedule.objects.all()


def teams() -> QuerySet[Team]:
    return Team.objects.prefetch_related("members")


def rotations(*, schedule: Schedule) -> QuerySet[Rotation]:
    return schedule.rotations.prefetch_related(
        Prefetch("members", queryset=RotationMember.objects.select_related("user"))
    )


def overrides(*, schedule: Schedule, start: datetime, end: datetime) -> QuerySet[Override]:
    return schedule.overrides.filter(end__gt=start, start__lt=end).select_related("user")


def leaves(*, start: datetime, end: datetime) -> QuerySet[Leave]:
    return Leave.objects.filter(end__gt=start, start__lt=end).select_related("user")


def schedule_specs(
    items: Sequence[Schedule], *, start: datetime, end: datetime
) -> dict[int, rota.ScheduleSpec]:
    """In-memory specs of the schedules, with what overlaps [start, end), in a fixed few queries.

    Inactive people are treated as on leave over the whole window: a rotation skips them.
    """
    ids = [s.pk for s in items]
    by_schedule_rotations: dict[int, list[rota.RotationSpec]] = {pk: [] for pk in ids}
    inactive: set[int] = set()
    rotation_rows = Rotation.objects.filter(schedule__in=ids).prefetch_related(
        Prefetch(
            "members",
            queryset=RotationMember.objects.order_by("position").select_related("user"),
        )
    )
    for rotation in rotation_rows:
        members = list(rotation.members.all())
        inactive.update(m.user_id for m in members if not m.user.is_active)
        by_schedule_rotations[rotation.schedule_id].append(
            rota.RotationSpec(
                kind=rotation.kind,
                handoff=rotation.handoff_time,
                start_date=rotation.start_date,
                members=tuple(m.user_id for m in members),
                interval=rotation.interval,
                layer=rotation.layer,
            )
        )
    by_schedule_overrides: dict[int, list[rota.Span]] = {pk: [] for pk in ids}
    for override in Override.objects.filter(
        schedule__in=ids, end__gt=start, start__lt=end
    ).select_related("user"):
        if not override.user.is_active:
            inactive.add(override.user_id)
        by_schedule_overrides[override.schedule_id].append(
            rota.Span(user=override.user_id, start=override.start, end=override.end)
        )
    leave_spans = [
        rota.Span(user=leave.user_id, start=leave.start, end=leave.end)
        for leave in Leave.objects.filter(end__gt=start, start__lt=end)
    ]
    by_schedule_shifts: dict[int, list[rota.Span]] = {pk: [] for pk in ids}
    zones = {s.pk: s.time_zone for s in items}
    calendars = list(ImportedCalendar.objects.filter(schedule__in=ids))
    if calendars:
        people = {uid for c in calendars for uid in c.people.values()}
        inactive.update(
            User.objects.filter(pk__in=people, is_active=False).values_list("pk", flat=True)
        )
    for calendar in calendars:
        by_schedule_shifts[calendar.schedule_id].extend(
            ical.shifts(
                calendar.source,
                people=calendar.people,
                start=start,
                end=end,
                time_zone=zones[calendar.schedule_id],
                layer=calendar.layer,
            )
        )
    away = [rota.Span(user=pk, start=start, end=end) for pk in sorted(inactive)]
    return {
        s.pk: rota.ScheduleSpec(
            time_zone=s.time_zone,
            rotations=tuple(by_schedule_rotations[s.pk]),
            shifts=tuple(by_schedule_shifts[s.pk]),
            overrides=tuple(by_schedule_overrides[s.pk]),
            leaves=(*leave_spans, *away),
        )
        for s in items
    }


def schedule_spec(*, schedule: Schedule, start: datetime, end: datetime) -> rota.ScheduleSpec:
    return schedule_specs([schedule], start=start, end=end)[schedule.pk]


def _users(ids: Sequence[int]) -> dict[int, User]:
    return {u.pk: u for u in User.objects.filter(pk__in=ids)}


def oncall_users(*, schedule: Schedule, at: datetime) -> list[User]:
    """The people on call on the schedule at `at` (aware)."""
    spec = schedule_spec(schedule=schedule, start=at, end=at + timedelta(seconds=1))
    ids = rota.oncall_at(spec, at)
    found = _users(ids)
    return [found[pk] for pk in ids if pk in found]


def oncall_now(*, items: Sequence[Schedule], at: datetime) -> dict[int, list[User]]:
    """Who is on call at `at` on each schedule (for lists: a fixed number of queries)."""
    specs = schedule_specs(items, start=at, end=at + timedelta(seconds=1))
    ids = {pk: rota.oncall_at(spec, at) for pk, spec in specs.items()}
    found = _users([uid for people in ids.values() for uid in people])
    return {pk: [found[uid] for uid in people if uid in found] for pk, people in ids.items()}


@dataclass(frozen=True)
class TimelineRow:
    start: datetime
    end: datetime
    users: list[User]

    @property
    def is_gap(self) -> bool:
        return not self.users


def schedule_timeline(*, schedule: Schedule, start: datetime, end: datetime) -> list[TimelineRow]:
    spec = schedule_spec(schedule=schedule, start=start, end=end)
    segments = rota.timeline(spec, start, end)
    found = _users([uid for segment in segments for uid in segment.users])
    return [
        TimelineRow(s.start, s.end, [found[uid] for uid in s.users if uid in found])
        for s in segments
    ]


def schedule_shifts(
    *, schedule: Schedule, start: datetime, end: datetime
) -> list[tuple[User | None, datetime, datetime]]:
    """Each person's merged spans on call over [start, end), and the gaps (person None)."""
    spec = schedule_spec(schedule=schedule, start=start, end=end)
    segments = rota.timeline(spec, start, end)
    ids = list(dict.fromkeys(uid for segment in segments for uid in segment.users))
    found = _users(ids)
    rows: list[tuple[User | None, datetime, datetime]] = [
        (found[uid], s, e) for uid in ids if uid in found for s, e in rota.user_spans(segments, uid)
    ]
    rows.extend((None, s.start, s.end) for s in segments if not s.users)
    rows.sort(key=lambda row: (row[1], row[0].pk if row[0] else 0))
    return rows


def coverage_gaps(
    schedule: Schedule, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Every interval of [start, end) where nobody is on call on the schedule, merged."""
    return rota.gaps(schedule_spec(schedule=schedule, start=start, end=end), start, end)


def coverage_summary(*, start: datetime, end: datetime) -> dict[str, Any]:
    """Coverage of every schedule over [start, end), for the console and the scorecard.

    {"start", "end", "schedules": [{"id", "name", "time_zone", "gap_seconds", "gaps"}],
     "total_gap_seconds", "gaps": [{"schedule_id", "schedule", "start", "end"}]}
    """
    items = list(schedules())
    specs = schedule_specs(items, start=start, end=end)
    rows = []
    flat = []
    total = 0
    for schedule in items:
        found = rota.gaps(specs[schedule.pk], start, end)
        seconds = int(sum((e - s).total_seconds() for s, e in found))
        total += seconds
        rows.append(
            {
                "id": schedule.pk,
                "name": schedule.name,
                "time_zone": schedule.time_zone,
                "gap_seconds": seconds,
                "gaps": found,
            }
        )
        flat.extend(
            {"schedule_id": schedule.pk, "schedule": schedule.name, "start": s, "end": e}
            for s, e in found
        )
    flat.sort(key=lambda g: (g["start"], g["schedule_id"]))
    return {
        "start": start,
        "end": end,
        "schedules": rows,
        "total_gap_seconds": total,
        "gaps": flat,
    }


def person_schedule_spans(
    *, user: User, start: datetime, end: datetime
) -> list[tuple[Schedule, datetime, datetime]]:
    """When the person is on call on any schedule over [start, end)."""
    items = list(schedules())
    specs = schedule_specs(items, start=start, end=end)
    found = []
    for schedule in items:
        segments = rota.timeline(specs[schedule.pk], start, end)
        found.extend((schedule, s, e) for s, e in rota.user_spans(segments, user.pk))
    found.sort(key=lambda row: row[1])
    return found


def feed_user(*, token: str) -> User | None:
    """The active staff member a personal feed token belongs to, or None."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    feed = PersonalFeed.objects.filter(token_hash=digest).select_related("user").first()
    if feed is None or not feed.user.is_active or not feed.user.is_vendor_staff:
        return None
    return feed.user


def policies() -> QuerySet[EscalationPolicy]:
    return EscalationPolicy.objects.prefetch_related(
        Prefetch(
            "steps",
            queryset=EscalationStep.objects.select_related(
                "schedule", "user", "team", "target_policy"
            ),
        )
    )


def default_policy() -> EscalationPolicy | None:
    """The policy marked default (used for urgent tickets), or None."""
    return EscalationPolicy.objects.filter(is_default=True).first()


def pages() -> QuerySet[Page]:
    """Paging now first, then acknowledged, then resolved; newest first within each."""
    order = Case(
        When(status=Page.Status.TRIGGERED, then=Value(0)),
        When(status=Page.Status.ACKNOWLEDGED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Page.objects.select_related("policy", "acknowledged_by", "resolved_by")
        .annotate(rank=order)
        .order_by("rank", "-started_at", "-id")
    )


def open_pages() -> QuerySet[Page]:
    return pages().exclude(status=Page.Status.RESOLVED)


def page_events(*, page: Page) -> QuerySet[PageEvent]:
    return page.events.select_related("actor").order_by("at", "id")
