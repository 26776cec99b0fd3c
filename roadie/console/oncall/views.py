"""Staff console for on-call: schedules, coverage gaps, policies, pages, calendar feeds.

Two views need no session: the personal calendar feed (a secret in its address) and the
one-click acknowledgement link (a signed token; GET asks, POST acknowledges).
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from roadie.accounts.models import User
from roadie.console.decorators import staff_required
from roadie.console.oncall.forms import LeaveForm, OverrideForm, WeeksForm
from roadie.core import clock
from roadie.core.errors import DomainError
from roadie.oncall import ical, selectors, services
from roadie.oncall.errors import InvalidAckLink, PageClosed
from roadie.oncall.links import ack_link_read
from roadie.oncall.models import Leave, Override, Page, PageEvent, Schedule

SCHEDULES = "console/oncall/schedules.html"
SCHEDULE = "console/oncall/schedule.html"
GAPS = "console/oncall/gaps.html"
POLICIES = "console/oncall/policies.html"
POLICY = "console/oncall/policy.html"
PAGES = "console/oncall/pages.html"
PAGE = "console/oncall/page.html"
ACK = "console/oncall/ack.html"
MY_FEED = "console/oncall/my_feed.html"

DEFAULT_WEEKS = 4
TIMELINE_DAYS = 14
FEED_WEEKS = 8
FEED_MAX_WEEKS = 26
MAX_PAGES = 200
UPCOMING = timedelta(days=366)


def _weeks(request: HttpRequest) -> int:
    form = WeeksForm(request.GET)
    if form.is_valid() and form.cleaned_data.get("weeks"):
        return int(form.cleaned_data["weeks"])
    return DEFAULT_WEEKS


@staff_required
@require_GET
def schedules(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    items = list(selectors.schedules())
    oncall = selectors.oncall_now(items=items, at=now)
    summary = selectors.coverage_summary(start=now, end=now + timedelta(weeks=DEFAULT_WEEKS))
    gap_seconds = {row["id"]: row["gap_seconds"] for row in summary["schedules"]}
    rows = [
        {"schedule": s, "oncall": oncall[s.pk], "gap_hours": gap_seconds[s.pk] / 3600}
        for s in items
    ]
    return render(
        request,
        SCHEDULES,
        {"rows": rows, "summary": summary, "weeks": DEFAULT_WEEKS, "now": now},
    )


def _schedule_context(
    request: HttpRequest,
    schedule: Schedule,
    *,
    override_form: OverrideForm | None = None,
    leave_form: LeaveForm | None = None,
) -> dict[str, Any]:
    now = clock.now()
    weeks = _weeks(request)
    return {
        "schedule": schedule,
        "now": now,
        "weeks": weeks,
        "timeline": selectors.schedule_timeline(
            schedule=schedule, start=now, end=now + timedelta(days=TIMELINE_DAYS)
        ),
        "timeline_days": TIMELINE_DAYS,
        "gaps": [
            {"start": start, "end": end}
            for start, end in selectors.coverage_gaps(schedule, now, now + timedelta(weeks=weeks))
        ],
        "oncall": selectors.oncall_users(schedule=schedule, at=now),
        "rotations": selectors.rotations(schedule=schedule),
        "calendars": schedule.calendars.all(),
        "overrides": selectors.overrides(schedule=schedule, start=now, end=now + UPCOMING),
        "leaves": selectors.leaves(start=now, end=now + UPCOMING),
        "override_form": override_form or OverrideForm(prefix="override"),
        "leave_form": leave_form or LeaveForm(prefix="leave"),
    }


@staff_required
@require_GET
def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk)
    with timezone.override(schedule.time_zone):
        return render(request, SCHEDULE, _schedule_context(request, schedule))


def _span_post(
    request: HttpRequest, schedule: Schedule, form_class: type[OverrideForm] | type[LeaveForm]
) -> tuple[Any, bool]:
    """Validate a span form with times read in the schedule's zone; True when it is valid."""
    prefix = "override" if form_class is OverrideForm else "leave"
    form = form_class(request.POST, prefix=prefix)
    with timezone.override(schedule.time_zone):
        valid = form.is_valid()
    return form, valid


@staff_required
@require_POST
def override_add(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk)
    form, valid = _span_post(request, schedule, OverrideForm)
    if valid:
        try:
            services.override_create(
                schedule=schedule,
                user=form.cleaned_data["user"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The override was added."))
            return redirect("console:oncall:schedule", pk=schedule.pk)
    with timezone.override(schedule.time_zone):
        return render(
            request, SCHEDULE, _schedule_context(request, schedule, override_form=form), status=422
        )


@staff_required
@require_POST
def override_delete(request: HttpRequest, pk: int) -> HttpResponse:
    override = get_object_or_404(Override, pk=pk)
    schedule_id = override.schedule_id
    services.override_delete(override=override)
    messages.success(request, _("The override was removed."))
    return redirect("console:oncall:schedule", pk=schedule_id)


@staff_required
@require_POST
def leave_add(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk)
    form, valid = _span_post(request, schedule, LeaveForm)
    if valid:
        try:
            services.leave_create(
                user=form.cleaned_data["user"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The leave was recorded."))
            return redirect("console:oncall:schedule", pk=schedule.pk)
    with timezone.override(schedule.time_zone):
        return render(
            request, SCHEDULE, _schedule_context(request, schedule, leave_form=form), status=422
        )


@staff_required
@require_POST
def leave_delete(request: HttpRequest, pk: int) -> HttpResponse:
    leave = get_object_or_404(Leave, pk=pk)
    services.leave_delete(leave=leave)
    messages.success(request, _("The leave was removed."))
    back = request.POST.get("schedule", "")
    if back.isdigit():
        return redirect("console:oncall:schedule", pk=int(back))
    return redirect("console:oncall:schedules")


@staff_required
@require_GET
def gaps(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    weeks = _weeks(request)
    summary = selectors.coverage_summary(start=now, end=now + timedelta(weeks=weeks))
    rows = [
        {
            **row,
            "gap_hours": row["gap_seconds"] / 3600,
            "gap_rows": [
                {"start": s, "end": e, "hours": (e - s).total_seconds() / 3600}
                for s, e in row["gaps"]
            ],
        }
        for row in summary["schedules"]
    ]
    return render(
        request,
        GAPS,
        {
            "summary": summary,
            "rows": rows,
            "weeks": weeks,
            "week_choices": WeeksForm.base_fields["weeks"],
        },
    )


def _feed_weeks(request: HttpRequest) -> int:
    raw = request.GET.get("weeks", "")
    if raw.isdigit() and 1 <= int(raw) <= FEED_MAX_WEEKS:
        return int(raw)
    return FEED_WEEKS


def _uid(*parts: object) -> str:
    return "-".join(str(p) for p in parts) + f"@{settings.ROADIE_MAIL_DOMAIN}"


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@staff_required
@require_GET
def schedule_feed(request: HttpRequest, pk: int) -> HttpResponse:
    """The schedule's shifts over the next N weeks (?weeks=, default 8), gaps included."""
    schedule = get_object_or_404(Schedule, pk=pk)
    now = clock.now()
    start = now.replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(weeks=_feed_weeks(request))
    events = []
    for user, begins, ends in selectors.schedule_shifts(schedule=schedule, start=start, end=end):
        stamp = int(begins.timestamp())
        if user is None:
            summary = _("Nobody on call: %(schedule)s") % {"schedule": schedule.name}
            events.append(ical.FeedEvent(_uid("gap", schedule.pk, stamp), begins, ends, summary))
        else:
            summary = _("On call: %(name)s (%(schedule)s)") % {
                "name": user.display_name,
                "schedule": schedule.name,
            }
            events.append(
                ical.FeedEvent(
                    _uid("oncall", schedule.pk, user.pk, stamp), begins, ends, summary, user.email
                )
            )
    return _ics(ical.feed(name=schedule.name, events=events, now=now), f"oncall-{schedule.pk}.ics")


@require_GET
def person_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """A person's own shifts on every schedule; the secret in the address is the credential."""
    user = selectors.feed_user(token=secret)
    if user is None:
        raise Http404
    now = clock.now()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=7)
    end = now + timedelta(weeks=_feed_weeks(request))
    events = [
        ical.FeedEvent(
            _uid("me", schedule.pk, user.pk, int(begins.timestamp())),
            begins,
            ends,
            _("On call: %(schedule)s") % {"schedule": schedule.name},
        )
        for schedule, begins, ends in selectors.person_schedule_spans(
            user=user, start=start, end=end
        )
    ]
    name = _("On call: %(name)s") % {"name": user.display_name}
    return _ics(ical.feed(name=name, events=events, now=now), "oncall.ics")


@staff_required
@require_http_methods(["GET", "POST"])
def my_feed(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    url = None
    if request.method == "POST":
        token = services.personal_feed_reset(user=user)
        url = request.build_absolute_uri(reverse("console:oncall:person_feed", args=[token]))
    has_feed = hasattr(user, "oncall_feed")
    return render(request, MY_FEED, {"url": url, "has_feed": has_feed})


@staff_required
@require_GET
def policies(request: HttpRequest) -> HttpResponse:
    return render(request, POLICIES, {"policies": selectors.policies()})


@staff_required
@require_GET
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(selectors.policies(), pk=pk)
    return render(
        request,
        POLICY,
        {"policy": policy, "steps": policy.steps.all(), "pages": policy.pages.all()[:20]},
    )


@staff_required
@require_GET
def pages(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.pages()[:MAX_PAGES])
    return render(
        request,
        PAGES,
        {
            "paging": [p for p in rows if p.status == Page.Status.TRIGGERED],
            "acknowledged": [p for p in rows if p.status == Page.Status.ACKNOWLEDGED],
            "resolved": [p for p in rows if p.status == Page.Status.RESOLVED],
            "max_rows": MAX_PAGES,
        },
    )


def event_sentence(event: PageEvent) -> str:
    """One line of a page's timeline, in the reader's language."""
    data = event.data or {}
    who = event.actor.display_name if event.actor else _("someone")
    step = {"step": event.step, "run": event.run, "name": data.get("name", "")}
    kind = event.kind
    if kind == PageEvent.Kind.STARTED:
        return _("Paging started on policy %(policy)s.") % {"policy": data.get("policy", "")}
    if kind == PageEvent.Kind.NOTIFIED:
        return _("Step %(step)s (run %(run)s): notified %(who)s via %(channel)s.") % {
            **step,
            "who": who,
            "channel": event.channel,
        }
    if kind == PageEvent.Kind.UNREACHABLE:
        return _("Step %(step)s (run %(run)s): %(who)s could not be notified on any channel.") % {
            **step,
            "who": who,
        }
    if kind == PageEvent.Kind.NOBODY:
        reasons = {
            "nobody_on_call": _("nobody is on call on schedule %(name)s"),
            "schedule_deleted": _("schedule %(name)s no longer exists"),
            "user_inactive": _("%(name)s is no longer active"),
            "team_empty": _("team %(name)s has no active members"),
            "team_deleted": _("team %(name)s no longer exists"),
        }
        reason = reasons.get(data.get("reason", ""), _("there was nobody to notify")) % step
        return _("Step %(step)s (run %(run)s): %(reason)s — nobody was notified.") % {
            **step,
            "reason": reason,
        }
    if kind == PageEvent.Kind.EXHAUSTED:
        return _("Nobody acknowledged: the ladder ran out after %(runs)s steps.") % {
            "runs": data.get("runs", 0)
        }
    if kind == PageEvent.Kind.ACKNOWLEDGED:
        return _("Acknowledged by %(who)s (%(via)s).") % {"who": who, "via": event.channel}
    if kind == PageEvent.Kind.REPAGED:
        return _("Acknowledged but not resolved within %(minutes)s minutes: paging again.") % {
            "minutes": data.get("after_minutes", 0)
        }
    if kind == PageEvent.Kind.RESOLVED:
        return _("Resolved by %(who)s.") % {"who": who}
    return str(event.get_kind_display())


@staff_required
@require_GET
def page_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = get_object_or_404(selectors.pages(), pk=pk)
    events = [(e, event_sentence(e)) for e in selectors.page_events(page=page)]
    return render(request, PAGE, {"page": page, "events": events})


@staff_required
@require_POST
def page_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    page = get_object_or_404(Page, pk=pk)
    try:
        services.page_acknowledge(page=page, by=request.user, via="console")  # type: ignore[arg-type]
    except PageClosed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Acknowledged: the escalation stopped."))
    return redirect("console:oncall:page", pk=page.pk)


@staff_required
@require_POST
def page_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    page = get_object_or_404(Page, pk=pk)
    services.page_resolve(page=page, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The page was resolved."))
    return redirect("console:oncall:page", pk=page.pk)


@require_http_methods(["GET", "POST"])
def acknowledge_link(request: HttpRequest, secret: str) -> HttpResponse:
    """The one-click link from a page message: GET shows what it does, POST acknowledges.

    A link that is forged, altered or expired shows why and changes nothing.
    """
    try:
        page, person = ack_link_read(token=secret)
    except InvalidAckLink as error:
        return render(request, ACK, {"error": error.message}, status=403)
    if request.method == "POST":
        try:
            page = services.page_acknowledge_by_link(token=secret)
        except InvalidAckLink as error:
            return render(request, ACK, {"error": error.message}, status=403)
        except PageClosed as error:
            return render(request, ACK, {"page": page, "error": error.message}, status=409)
        return render(request, ACK, {"page": page, "person": person, "done": True})
    return render(request, ACK, {"page": page, "person": person, "secret": secret})
