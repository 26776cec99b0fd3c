"""Climbing a page's frozen ladder: one step at a time, each written with its timeline events.

`page_advance` runs right after a page starts (on commit) and from the minute sweep, which
reads only due pages through the indexed `next_step_at`.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.oncall import selectors
from roadie.oncall.links import ACK_LINK_MAX_AGE, ack_url
from roadie.oncall.models import Page, PageEvent, Schedule, Team
from roadie.oncall.notify import notify

SWEEP_BATCH = 200


def record(page: Page, kind: str, at: datetime, **fields: Any) -> PageEvent:
    return PageEvent.objects.create(page=page, kind=kind, at=at, **fields)


def _people(step: dict[str, Any], now: datetime) -> tuple[list[User], str]:
    """Who a frozen step reaches now, and why nobody when the list is empty."""
    kind = step.get("kind")
    if kind == "schedule":
        schedule = Schedule.objects.filter(pk=step.get("schedule_id")).first()
        if schedule is None:
            return [], "schedule_deleted"
        people = selectors.oncall_users(schedule=schedule, at=now)
        return people, "nobody_on_call"
    if kind == "user":
        user = User.objects.filter(pk=step.get("user_id"), is_active=True).first()
        return ([user] if user is not None else []), "user_inactive"
    if kind == "team":
        team = Team.objects.filter(pk=step.get("team_id")).first()
        if team is None:
            return [], "team_deleted"
        return list(team.members.filter(is_active=True).order_by("email")), "team_empty"
    return [], "unknown_step"


def _message(page: Page, user: User, step_number: int, run: int) -> tuple[str, str, dict[str, str]]:
    links = {
        "acknowledge": ack_url(page=page, user=user),
        "page": settings.ROADIE_BASE_URL + reverse("console:oncall:page", args=[page.pk]),
    }
    if page.url:
        links["open"] = page.url
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("[Page] %(title)s") % {"title": page.title}
        body = render_to_string(
            "oncall/emails/page.txt",
            {
                "page": page,
                "step": step_number,
                "run": run,
                "max_age_hours": int(ACK_LINK_MAX_AGE.total_seconds() // 3600),
            },
        )
    return subject, body.strip(), links


def _run_step(page: Page, now: datetime) -> None:
    steps = page.steps
    index = page.step_index
    step = steps[index % len(steps)]
    number, run = index % len(steps) + 1, index // len(steps) + 1
    people, reason = _people(step, now)
    base = {"step": number, "run": run}
    target = {"target": step.get("kind"), "name": step.get("name", "")}
    if not people:
        record(page, PageEvent.Kind.NOBODY, now, **base, data={**target, "reason": reason})
        return
    for user in people:
        subject, body, links = _message(page, user, number, run)
        messages = notify(
            user=user,
            event="oncall.page",
            subject=subject,
            body=body,
            urgent=page.urgent,
            idempotency_key=f"oncall:page:{page.pk}:{page.repage_count}:{index}:{user.pk}",
            links=links,
        )
        if not messages:
            record(page, PageEvent.Kind.UNREACHABLE, now, actor=user, **base, data=target)
        for message in messages:
            record(
                page,
                PageEvent.Kind.NOTIFIED,
                now,
                actor=user,
                channel=str(message.kind),
                **base,
                data={
                    **target,
                    "recipient": message.recipient,
                    "channel_name": message.channel.name if message.channel_id else "",
                },
            )


def page_advance(*, page_id: int, now: datetime | None = None) -> Page | None:
    """Do what is due on one page: the next step, a re-page, or the note that the ladder ran out.

    Locks the page; a page that is not due (another worker got there first) is left alone.
    """
    now = now or clock.now()
    with transaction.atomic():
        page = Page.objects.select_for_update().filter(pk=page_id).first()
        if page is None or page.next_step_at is None or page.next_step_at > now:
            return page
        if page.status == Page.Status.RESOLVED:
            page.next_step_at = None
            page.save(update_fields=["next_step_at"])
            return page
        if page.status == Page.Status.ACKNOWLEDGED:
            # Acknowledged but not resolved in time: climb the ladder again from the top.
            page.status = Page.Status.TRIGGERED
            page.repage_count += 1
            page.step_index = 0
            record(
                page,
                PageEvent.Kind.REPAGED,
                now,
                actor=page.acknowledged_by,
                data={"after_minutes": page.ladder.get("ack_timeout_minutes", 0)},
            )
        if not page.steps or page.step_index >= page.total_steps:
            record(page, PageEvent.Kind.EXHAUSTED, now, data={"runs": page.total_steps})
            page.next_step_at = None
            page.save(update_fields=["status", "repage_count", "step_index", "next_step_at"])
            return page
        step = page.steps[page.step_index % len(page.steps)]
        _run_step(page, now)
        page.step_index += 1
        page.next_step_at = now + timedelta(minutes=int(step.get("wait_minutes", 5)))
        page.save(update_fields=["status", "repage_count", "step_index", "next_step_at"])
        return page


def pages_advance_due(*, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """Advance the pages whose next step is due (only those: an indexed range read)."""
    due = list(
        Page.objects.filter(next_step_at__lte=now)
        .order_by("next_step_at")
        .values_list("pk", flat=True)[:limit]
    )
    for page_id in due:
        page_advance(page_id=page_id, now=now)
    return len(due)
