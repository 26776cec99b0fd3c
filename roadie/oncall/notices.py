"""Notices before a shift starts and hand-off summaries when it starts, each sent once.

The minute task looks a little back (to catch up after a pause) and a little ahead; a
ShiftNotice row keyed by schedule, person and shift start makes each message go out once.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.oncall import rota, selectors
from roadie.oncall.handoff import summary_sections
from roadie.oncall.models import Schedule, ShiftNotice
from roadie.oncall.notify import notify

NOTICE_LEAD = timedelta(minutes=30)
# A hand-off summary is still sent this long after the shift started (the worker was down).
CATCH_UP = timedelta(minutes=15)
# How far ahead a shift's end is looked for, to say until when it runs.
SHIFT_HORIZON = timedelta(days=15)


def _claim(key: str, user: User, now: datetime) -> bool:
    try:
        with transaction.atomic():
            ShiftNotice.objects.create(key=key, user=user, sent_at=now)
    except IntegrityError:
        return False
    return True


def _send_notice(schedule: Schedule, user: User, start: datetime, end: datetime) -> None:
    link = settings.ROADIE_BASE_URL + reverse("console:oncall:schedule", args=[schedule.pk])
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("[On call] Your shift on %(schedule)s starts soon") % {
            "schedule": schedule.name
        }
        body = render_to_string(
            "oncall/emails/shift_notice.txt",
            {
                "schedule": schedule,
                "start": start,
                "end": end,
                "time_zone": schedule.time_zone,
            },
        )
    notify(
        user=user,
        event="oncall.shift_notice",
        subject=subject,
        body=body.strip(),
        urgent=False,
        idempotency_key=f"oncall:notice:{schedule.pk}:{user.pk}:{start.isoformat()}",
        links={"open": link},
    )


def _send_handoff(schedule: Schedule, user: User, start: datetime, now: datetime) -> None:
    link = settings.ROADIE_BASE_URL + reverse("console:oncall:pages")
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("[On call] Hand-off: %(schedule)s") % {"schedule": schedule.name}
        body = render_to_string(
            "oncall/emails/handoff.txt",
            {
                "schedule": schedule,
                "start": start,
                "time_zone": schedule.time_zone,
                "pages": list(selectors.open_pages()[:50]),
                "sections": summary_sections(user=user, at=now),
            },
        )
    notify(
        user=user,
        event="oncall.handoff",
        subject=subject,
        body=body.strip(),
        urgent=False,
        idempotency_key=f"oncall:handoff:{schedule.pk}:{user.pk}:{start.isoformat()}",
        links={"open": link},
    )


def shift_notices_send(*, now: datetime, lead: timedelta = NOTICE_LEAD) -> int:
    """Send due notices (shift starts within `lead`) and hand-off summaries; returns how many."""
    items = list(selectors.schedules())
    start, end = now - CATCH_UP, now + max(lead, timedelta(0)) + SHIFT_HORIZON
    specs = selectors.schedule_specs(items, start=start, end=end)
    due: list[tuple[str, Schedule, int, datetime, datetime]] = []
    for schedule in items:
        segments = rota.timeline(specs[schedule.pk], start, end)
        for user_id, begins, ends in rota.shift_starts(segments):
            if now < begins <= now + lead:
                due.append(("notice", schedule, user_id, begins, ends))
            elif begins <= now < begins + CATCH_UP:
                due.append(("handoff", schedule, user_id, begins, ends))
    users = {u.pk: u for u in User.objects.filter(pk__in={d[2] for d in due}, is_active=True)}
    sent = 0
    for kind, schedule, user_id, begins, ends in due:
        user = users.get(user_id)
        if user is None:
            continue
        key = f"{kind}:{schedule.pk}:{user_id}:{begins.isoformat()}"
        with transaction.atomic():
            if not _claim(key, user, now):
                continue
            if kind == "notice":
                _send_notice(schedule, user, begins, ends)
            else:
                _send_handoff(schedule, user, begins, now)
        sent += 1
    return sent
