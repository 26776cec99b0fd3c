"""Service-quality figures, read from the tickets' stored SLA columns and the surveys.

Definitions (docs/scorecard.md):

* A ticket counts in the period it was **opened** in ([start, end)).
* **Response measured**: the ticket has SLA clocks and either got its first response or the
  response target ran out.  **Met**: answered before the target ran out.
* **Resolution measured**: resolved/closed, or the resolution target ran out.  **Met**:
  resolved/closed before it ran out.  Open tickets still in time are not counted yet.
* Breach flags are those of the API (``roadie.sla.clocks.sla_status``, which
  ``roadie.tickets.sla.status`` wraps), computed from stored columns at ``now``.
* **Times**: business time is what the clock counted (pauses and closed hours excluded,
  ``response_business_seconds`` / ``resolution_business_seconds``); wall time is the plain
  elapsed time from opening to the first response / to resolved-or-closed.
* **Median** is the middle value (the mean of the two middle ones); **p90** is the nearest-rank
  90th percentile (an observed value: the smallest with at least 90 % of values at or below it).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone

from roadie.accounts.models import STAFF_ROLES, Role, User
from roadie.customers.models import Organization, Tier
from roadie.oncall.selectors import coverage_summary
from roadie.scorecard.models import ScorecardShare
from roadie.sla import clocks
from roadie.sla.selectors import Commitment, tier_commitments
from roadie.tickets.models import SatisfactionSurvey, Severity, Status, Ticket
from roadie.tickets.selectors import tickets_visible

FINISHED = (Status.RESOLVED, Status.CLOSED)
# The breaches listed under a report (the CSV has them all in its counts).
MAX_BREACHES_LISTED = 200
# Satisfaction comments shown to staff under a report.
MAX_COMMENTS = 20
COVERAGE_WEEKS = 4


# -- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Median and p90 of durations in seconds (None without values)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        if not values:
            return cls(0, None, None)
        ordered = sorted(values)
        rank = max(math.ceil(0.9 * len(ordered)), 1)
        return cls(len(ordered), float(statistics.median(ordered)), float(ordered[rank - 1]))


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Figures:
    """The compliance figures of a group of tickets."""

    tickets: int = 0
    with_sla: int = 0
    response_measured: int = 0
    response_met: int = 0
    resolution_measured: int = 0
    resolution_met: int = 0
    breached: int = 0  # tickets with either clock breached
    response_business: Stats = field(default_factory=lambda: Stats(0, None, None))
    response_wall: Stats = field(default_factory=lambda: Stats(0, None, None))
    resolution_business: Stats = field(default_factory=lambda: Stats(0, None, None))
    resolution_wall: Stats = field(default_factory=lambda: Stats(0, None, None))

    @property
    def response_met_pct(self) -> float | None:
        return _pct(self.response_met, self.response_measured)

    @property
    def resolution_met_pct(self) -> float | None:
        return _pct(self.resolution_met, self.resolution_measured)

    @property
    def breach_rate_pct(self) -> float | None:
        return _pct(self.breached, self.with_sla)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """One ticket's SLA outcome, from stored columns; the derived flags are set by ``_fact``."""

    pk: int
    organization_id: int
    severity: str
    tier: str
    created_at: datetime
    has_sla: bool
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    responded_at: datetime | None
    finished_at: datetime | None
    response_breached: bool
    resolution_breached: bool
    response_business_seconds: int | None
    resolution_business_seconds: int | None
    response_wall_seconds: float | None
    resolution_wall_seconds: float | None
    response_measured: bool
    response_met: bool
    resolution_measured: bool
    resolution_met: bool

    @property
    def number(self) -> str:
        return Ticket(pk=self.pk).number

    @property
    def severity_label(self) -> str:
        try:
            return str(Severity(self.severity).label)
        except ValueError:
            return self.severity

    @property
    def breached(self) -> bool:
        return self.response_breached or self.resolution_breached


def figures_of(facts: Iterable[TicketFacts]) -> Figures:
    result = Figures()
    response_business: list[float] = []
    response_wall: list[float] = []
    resolution_business: list[float] = []
    resolution_wall: list[float] = []
    for fact in facts:
        result.tickets += 1
        if fact.has_sla:
            result.with_sla += 1
            if fact.response_breached or fact.resolution_breached:
                result.breached += 1
        if fact.response_measured:
            result.response_measured += 1
            result.response_met += fact.response_met
        if fact.resolution_measured:
            result.resolution_measured += 1
            result.resolution_met += fact.resolution_met
        if fact.response_wall_seconds is not None:
            response_wall.append(fact.response_wall_seconds)
            if fact.response_business_seconds is not None:
                response_business.append(fact.response_business_seconds)
        if fact.resolution_wall_seconds is not None:
            resolution_wall.append(fact.resolution_wall_seconds)
            if fact.resolution_business_seconds is not None:
                resolution_business.append(fact.resolution_business_seconds)
    result.response_business = Stats.of(response_business)
    result.response_wall = Stats.of(response_wall)
    result.resolution_business = Stats.of(resolution_business)
    result.resolution_wall = Stats.of(resolution_wall)
    return result


# Few columns, few datetimes: converting them dominates the cost of a long report.
FACT_FIELDS = (
    "pk",
    "organization_id",
    "severity",
    "status",
    "created_at",
    "first_response_at",
    "finished_at",
    "response_due_at",
    "resolution_due_at",
    "sla_pauses",
    "response_business_seconds",
    "resolution_business_seconds",
    "tier",
)


def _fact(row: dict[str, Any], now: datetime) -> TicketFacts:
    status = row["status"]
    finished = status in FINISHED
    pauses = row["sla_pauses"] or []
    halted_at = None
    if pauses and not pauses[-1].get("to"):
        halted_at = datetime.fromisoformat(pauses[-1]["from"])
    # The API's own reading of the clocks (roadie.tickets.sla.status does the same).
    reading = clocks.sla_status(
        response_due_at=row["response_due_at"],
        resolution_due_at=row["resolution_due_at"],
        responded_at=row["first_response_at"],
        resolved_at=row["finished_at"],
        halted_at=halted_at,
        waiting=status == Status.WAITING,
        finished=finished,
        # Paused time is not a figure of the reports.
        paused_seconds=0,
        paused_since=None,
        now=now,
    )
    created_at = row["created_at"]
    responded_at = row["first_response_at"]
    finished_at = row["finished_at"] if finished else None
    # Tickets bound to no policy have no due times (roadie.tickets.sla.refresh).
    has_sla = row["response_due_at"] is not None
    response_breached = reading.response_breached
    resolution_breached = reading.resolution_breached
    return TicketFacts(
        pk=row["pk"],
        organization_id=row["organization_id"],
        severity=row["severity"],
        tier=row["tier"] or "",
        created_at=created_at,
        has_sla=has_sla,
        response_due_at=row["response_due_at"],
        resolution_due_at=row["resolution_due_at"],
        responded_at=responded_at,
        finished_at=finished_at,
        response_breached=response_breached,
        resolution_breached=resolution_breached,
        response_business_seconds=row["response_business_seconds"],
        resolution_business_seconds=row["resolution_business_seconds"],
        response_wall_seconds=(
            (responded_at - created_at).total_seconds() if responded_at is not None else None
        ),
        resolution_wall_seconds=(
            (finished_at - created_at).total_seconds() if finished_at is not None else None
        ),
        response_measured=has_sla and (responded_at is not None or response_breached),
        response_met=has_sla and responded_at is not None and not response_breached,
        resolution_measured=has_sla and (finished_at is not None or resolution_breached),
        resolution_met=has_sla and finished_at is not None and not resolution_breached,
    )


def tickets_opened(
    *,
    viewer: User,
    start: datetime,
    end: datetime,
    organization: Organization | None = None,
    severity: str = "",
) -> QuerySet[Ticket]:
    """The tickets the viewer may see, opened in [start, end) (an index range on created_at)."""
    qs = tickets_visible(viewer=viewer).filter(created_at__gte=start, created_at__lt=end)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if severity:
        qs = qs.filter(severity=severity)
    return qs


def ticket_facts(tickets: QuerySet[Ticket], *, now: datetime) -> list[TicketFacts]:
    """The SLA outcome of each ticket, oldest first."""
    rows = (
        tickets.annotate(
            tier=KeyTextTransform("tier", "sla_snapshot"),
            # Reopening clears both, so on an open ticket this is null.
            finished_at=Coalesce("resolved_at", "closed_at"),
        )
        .order_by("created_at", "pk")
        .values(*FACT_FIELDS)
    )
    return [_fact(row, now) for row in rows.iterator(chunk_size=2000)]


# -- satisfaction -----------------------------------------------------------------------------


@dataclass
class Satisfaction:
    sent: int = 0  # surveys e-mailed or answered (in the portal without an e-mail)
    answered: int = 0
    total_score: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    comments: list[SatisfactionSurvey] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        return round(self.total_score / self.answered, 2) if self.answered else None

    @property
    def answer_rate_pct(self) -> float | None:
        return _pct(self.answered, self.sent)

    @property
    def bars(self) -> list[tuple[int, int, float]]:
        """(score, answers, % of answers), 5 first."""
        return [
            (score, self.distribution[score], _pct(self.distribution[score], self.answered) or 0.0)
            for score in range(5, 0, -1)
        ]


SatisfactionKey = tuple[str, str]  # (ticket severity, ticket tier)


def satisfaction_of(
    tickets: QuerySet[Ticket], *, with_comments: bool = False
) -> tuple[Satisfaction, dict[SatisfactionKey, Satisfaction]]:
    """Survey results of these tickets: overall, and by (severity, tier) of the ticket."""
    overall = Satisfaction()
    grouped: dict[SatisfactionKey, Satisfaction] = defaultdict(Satisfaction)
    surveys = SatisfactionSurvey.objects.filter(ticket__in=tickets.values("pk"))
    rows = surveys.annotate(tier=KeyTextTransform("tier", "ticket__sla_snapshot")).values_list(
        "ticket__severity", "tier", "score", "sent_at", "answered_at"
    )
    for severity, tier, score, sent_at, answered_at in rows.iterator(chunk_size=2000):
        if sent_at is None and answered_at is None:
            continue  # nobody could be asked (a ticket filed by staff)
        for bucket in (overall, grouped[(severity, tier or "")]):
            bucket.sent += 1
            if answered_at is not None and score:
                bucket.answered += 1
                bucket.total_score += score
                bucket.distribution[score] += 1
    if with_comments:
        overall.comments = list(
            surveys.filter(answered_at__isnull=False)
            .exclude(comment="")
            .select_related("ticket", "ticket__organization", "answered_by")
            .order_by("-answered_at", "-id")[:MAX_COMMENTS]
        )
    return overall, dict(grouped)


def by_severity(grouped: dict[SatisfactionKey, Satisfaction]) -> dict[str, Satisfaction]:
    """Satisfaction by severity alone (tiers merged)."""
    merged: dict[str, Satisfaction] = defaultdict(Satisfaction)
    for (severity, _tier), part in grouped.items():
        into = merged[severity]
        into.sent += part.sent
        into.answered += part.answered
        into.total_score += part.total_score
        for score, n in part.distribution.items():
            into.distribution[score] += n
    return dict(merged)


# -- the SLA report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    figures: Figures
    start: date | None = None  # period rows


@dataclass
class SlaReport:
    start: datetime
    end: datetime
    bucket: str  # day, week, month
    organization: Organization | None
    severity: str
    total: Figures
    by_organization: list[Row]
    by_severity: list[Row]
    by_period: list[Row]
    breaches: list[tuple[TicketFacts, str, str]]  # (facts, organization name, title)
    breach_count: int
    satisfaction: Satisfaction
    satisfaction_by_severity: dict[str, Satisfaction]


BUCKETS = ("day", "week", "month")


def default_bucket(start: datetime, end: datetime) -> str:
    days = (end - start).days
    if days > 92:
        return "month"
    if days > 21:
        return "week"
    return "day"


def _bucket_start(moment: datetime, bucket: str, zone: tzinfo) -> date:
    local = moment.astimezone(zone).date()
    if bucket == "month":
        return local.replace(day=1)
    if bucket == "week":
        return local - timedelta(days=local.weekday())
    return local


def _period_label(start: date, bucket: str) -> str:
    if bucket == "month":
        return start.strftime("%Y-%m")
    return start.isoformat()


def sla_report(
    *,
    viewer: User,
    start: datetime,
    end: datetime,
    now: datetime,
    organization: Organization | None = None,
    severity: str = "",
    bucket: str = "",
) -> SlaReport:
    """SLA compliance of the tickets opened in [start, end), by organization, severity, period.

    A customer viewer only ever gets its own organization's tickets (tickets_visible).
    """
    bucket = bucket if bucket in BUCKETS else default_bucket(start, end)
    tickets = tickets_opened(
        viewer=viewer, start=start, end=end, organization=organization, severity=severity
    )
    facts = ticket_facts(tickets, now=now)
    by_org: dict[int, list[TicketFacts]] = defaultdict(list)
    by_sev: dict[str, list[TicketFacts]] = defaultdict(list)
    by_period: dict[date, list[TicketFacts]] = defaultdict(list)
    zone = timezone.get_current_timezone()
    for fact in facts:
        by_org[fact.organization_id].append(fact)
        by_sev[fact.severity].append(fact)
        by_period[_bucket_start(fact.created_at, bucket, zone)].append(fact)
    organizations = Organization.objects.filter(pk__in=list(by_org)).values_list(
        "pk", "name", "slug"
    )
    names = {pk: name for pk, name, _slug in organizations}
    slugs = {pk: slug for pk, _name, slug in organizations}
    org_rows = sorted(
        (
            Row(key=slugs.get(pk, str(pk)), label=names.get(pk, str(pk)), figures=figures_of(items))
            for pk, items in by_org.items()
        ),
        key=lambda row: row.label,
    )
    severity_rows = [
        Row(key=s.value, label=str(s.label), figures=figures_of(by_sev[s.value]))
        for s in Severity
        if s.value in by_sev
    ]
    period_rows = [
        Row(
            key=_period_label(day, bucket),
            label=_period_label(day, bucket),
            figures=figures_of(by_period[day]),
            start=day,
        )
        for day in sorted(by_period)
    ]
    breached = [fact for fact in facts if fact.breached]
    listed = sorted(breached, key=lambda f: f.created_at, reverse=True)[:MAX_BREACHES_LISTED]
    titles = dict(Ticket.objects.filter(pk__in=[f.pk for f in listed]).values_list("pk", "title"))
    overall, grouped = satisfaction_of(tickets, with_comments=viewer.is_vendor_staff)
    return SlaReport(
        start=start,
        end=end,
        bucket=bucket,
        organization=organization,
        severity=severity,
        total=figures_of(facts),
        by_organization=org_rows,
        by_severity=severity_rows,
        by_period=period_rows,
        breaches=[(f, names.get(f.organization_id, ""), titles.get(f.pk, "")) for f in listed],
        breach_count=len(breached),
        satisfaction=overall,
        satisfaction_by_severity=by_severity(grouped),
    )


def sla_figures(*, viewer: User, start: datetime, end: datetime, now: datetime) -> Figures:
    """The total figures of the tickets the viewer may see opened in [start, end): one query.

    For a customer, its own organization's tickets only (the portal's "this quarter" box).
    """
    return figures_of(ticket_facts(tickets_opened(viewer=viewer, start=start, end=end), now=now))


def quarter_start(now: datetime) -> datetime:
    """The start of the calendar quarter ``now`` falls in, in the local time zone."""
    local = timezone.localtime(now)
    month = 3 * ((local.month - 1) // 3) + 1
    return local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


# -- the scorecard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeverityScore:
    severity: str
    label: str
    promise: Commitment | None
    figures: Figures
    satisfaction: Satisfaction


@dataclass(frozen=True)
class TierScore:
    slug: str
    name: str
    severities: list[SeverityScore]


@dataclass(frozen=True)
class Coverage:
    start: datetime
    end: datetime
    schedules: int
    gap_seconds: int  # time with nobody on call on any schedule
    schedule_gaps: list[tuple[str, int]]  # (schedule name, gap seconds), staff view only

    @property
    def gap_hours(self) -> float:
        return round(self.gap_seconds / 3600, 1)

    @property
    def covered(self) -> bool:
        return self.schedules > 0 and self.gap_seconds == 0


@dataclass(frozen=True)
class Scorecard:
    start: datetime
    end: datetime
    tiers: list[TierScore]
    overall: Figures
    satisfaction: Satisfaction
    team: list[tuple[str, str, int]]  # (role, label, active people)
    team_size: int
    coverage: Coverage
    # Filled by later issues; None means "not tracked yet" (never an invented number).
    delivered_cases: int | None = None
    documentation_completeness_pct: float | None = None


def _intersection(
    gap_lists: list[list[tuple[datetime, datetime]]],
) -> list[tuple[datetime, datetime]]:
    """Intervals present in every list (each list sorted and disjoint)."""
    if not gap_lists:
        return []
    result = gap_lists[0]
    for gaps in gap_lists[1:]:
        merged = []
        i = j = 0
        while i < len(result) and j < len(gaps):
            low = max(result[i][0], gaps[j][0])
            high = min(result[i][1], gaps[j][1])
            if low < high:
                merged.append((low, high))
            if result[i][1] < gaps[j][1]:
                i += 1
            else:
                j += 1
        result = merged
    return result


def coverage_ahead(*, now: datetime, weeks: int = COVERAGE_WEEKS) -> Coverage:
    """On-call coverage of the next weeks: the time nobody at all is on call."""
    end = now + timedelta(weeks=weeks)
    summary = coverage_summary(start=now, end=end)
    schedules = summary["schedules"]
    common = _intersection([sorted(item["gaps"]) for item in schedules])
    return Coverage(
        start=now,
        end=end,
        schedules=len(schedules),
        gap_seconds=int(sum((high - low).total_seconds() for low, high in common)),
        schedule_gaps=[(item["name"], int(item["gap_seconds"])) for item in schedules],
    )


def team_by_role() -> list[tuple[str, str, int]]:
    counts = dict(
        User.objects.filter(is_active=True, role__in=STAFF_ROLES)
        .values_list("role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    return [
        (role.value, str(role.label), counts.get(role.value, 0))
        for role in Role
        if role.value in STAFF_ROLES
    ]


def scorecard(*, start: datetime, end: datetime, now: datetime) -> Scorecard:
    """Promised (tier policies) against achieved (tickets opened in [start, end)), by tier and
    severity, with satisfaction, team size and on-call coverage of the next four weeks.

    Every organization's tickets count, but the result holds aggregates only (no organization,
    no ticket), so it may be shown on the public link.
    """
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    facts = ticket_facts(tickets, now=now)
    promises = tier_commitments()
    tier_names = dict(Tier.objects.filter(slug__in=list(promises)).values_list("slug", "name"))
    grouped: dict[tuple[str, str], list[TicketFacts]] = defaultdict(list)
    for fact in facts:
        if fact.has_sla:
            grouped[(fact.tier, fact.severity)].append(fact)
    overall_satisfaction, satisfaction = satisfaction_of(tickets)
    tiers = []
    for slug in sorted(set(promises) | {tier for tier, _severity in grouped}):
        promised = {c.severity: c for c in promises.get(slug, [])}
        rows = []
        for severity in Severity:
            items = grouped.get((slug, severity.value), [])
            if severity.value not in promised and not items:
                continue
            rows.append(
                SeverityScore(
                    severity=severity.value,
                    label=str(severity.label),
                    promise=promised.get(severity.value),
                    figures=figures_of(items),
                    satisfaction=satisfaction.get((severity.value, slug), Satisfaction()),
                )
            )
        tiers.append(TierScore(slug=slug, name=tier_names.get(slug, slug), severities=rows))
    team = team_by_role()
    return Scorecard(
        start=start,
        end=end,
        tiers=tiers,
        overall=figures_of(f for f in facts if f.has_sla),
        satisfaction=overall_satisfaction,
        team=team,
        team_size=sum(n for _role, _label, n in team),
        coverage=coverage_ahead(now=now),
    )


# -- the public link --------------------------------------------------------------------------


def scorecard_share_active() -> ScorecardShare | None:
    return ScorecardShare.objects.filter(revoked_at__isnull=True).order_by("-created_at").first()


_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


def scorecard_share_get(*, token: str) -> ScorecardShare:
    """The active link with this token; ScorecardShare.DoesNotExist when unknown or revoked."""
    # Tokens are URL-safe base64; anything else (a NUL byte, say) cannot be one.
    if not token or len(token) > 64 or not _TOKEN_RE.fullmatch(token):
        raise ScorecardShare.DoesNotExist
    return ScorecardShare.objects.select_related("created_by").get(
        token=token, revoked_at__isnull=True
    )
