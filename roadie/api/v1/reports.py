"""Reports for vendor staff: SLA compliance (JSON or CSV) and the service-quality scorecard.

Customers get 404 here (their own figures are on the portal's ticket list).  Definitions of
the figures: docs/scorecard.md.
"""

from datetime import date, datetime, time, timedelta
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from roadie.api.v1.common import require_staff
from roadie.core import clock
from roadie.core.errors import InvalidInput
from roadie.customers.errors import UnknownReference
from roadie.customers.models import Organization
from roadie.scorecard import selectors
from roadie.scorecard.exports import sla_report_csv
from roadie.scorecard.selectors import Figures, Satisfaction, Stats
from roadie.sla.selectors import ClockPromise

router = Router(tags=["reports"])

MAX_DAYS = 3 * 366
DEFAULT_DAYS = 90
SeverityName = Literal["urgent", "important", "general"]


class ReportQuery(Schema):
    organization: str = Field("", description="organization slug; all when empty")
    severity: SeverityName | Literal[""] = ""
    start: date | None = Field(None, description="first day (inclusive); default 90 days ago")
    end: date | None = Field(None, description="last day (inclusive); default today")
    bucket: Literal["", "day", "week", "month"] = ""
    format: Literal["json", "csv"] = "json"


class StatsOut(Schema):
    count: int
    median_seconds: float | None
    p90_seconds: float | None


class FiguresOut(Schema):
    tickets: int
    tickets_with_sla: int
    response_measured: int
    response_met: int
    response_met_pct: float | None
    resolution_measured: int
    resolution_met: int
    resolution_met_pct: float | None
    breached: int
    breach_rate_pct: float | None
    response_business: StatsOut
    response_wall: StatsOut
    resolution_business: StatsOut
    resolution_wall: StatsOut


class RowOut(Schema):
    key: str
    label: str
    figures: FiguresOut


class BreachOut(Schema):
    number: str
    title: str
    organization: str
    severity: str
    created_at: datetime
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    response_breached: bool
    resolution_breached: bool


class SatisfactionOut(Schema):
    surveys: int
    answered: int
    average: float | None
    answer_rate_pct: float | None
    distribution: dict[str, int]


class SlaReportOut(Schema):
    start: datetime
    end: datetime
    bucket: str
    organization: str | None
    severity: str | None
    total: FiguresOut
    by_organization: list[RowOut]
    by_severity: list[RowOut]
    by_period: list[RowOut]
    breach_count: int
    breaches: list[BreachOut]
    satisfaction: SatisfactionOut


def _stats(stats: Stats) -> dict[str, object]:
    return {"count": stats.count, "median_seconds": stats.median, "p90_seconds": stats.p90}


def _figures(figures: Figures) -> dict[str, object]:
    return {
        "tickets": figures.tickets,
        "tickets_with_sla": figures.with_sla,
        "response_measured": figures.response_measured,
        "response_met": figures.response_met,
        "response_met_pct": figures.response_met_pct,
        "resolution_measured": figures.resolution_measured,
        "resolution_met": figures.resolution_met,
        "resolution_met_pct": figures.resolution_met_pct,
        "breached": figures.breached,
        "breach_rate_pct": figures.breach_rate_pct,
        "response_business": _stats(figures.response_business),
        "response_wall": _stats(figures.response_wall),
        "resolution_business": _stats(figures.resolution_business),
        "resolution_wall": _stats(figures.resolution_wall),
    }


def _satisfaction(satisfaction: Satisfaction) -> dict[str, object]:
    return {
        "surveys": satisfaction.sent,
        "answered": satisfaction.answered,
        "average": satisfaction.average,
        "answer_rate_pct": satisfaction.answer_rate_pct,
        "distribution": {str(k): v for k, v in satisfaction.distribution.items()},
    }


def _period(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    today = timezone.localdate(clock.now())
    last = end or today
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InvalidInput("The end date is before the start date.", field="end")
    if (last - first).days > MAX_DAYS:
        raise InvalidInput(f"Ask for at most {MAX_DAYS} days.", field="end")
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


@router.get("/reports/sla", response=SlaReportOut)
def sla_report(request: HttpRequest, query: Query[ReportQuery]) -> object:
    """SLA compliance of the tickets opened in [start, end] (dates in the server's time zone).

    `?format=csv` answers the same figures as CSV (times in minutes).
    """
    user = require_staff(request)
    organization = None
    if query.organization:
        organization = Organization.objects.filter(slug=query.organization).first()
        if organization is None:
            raise UnknownReference(
                f"Unknown organization {query.organization!r}.", field="organization"
            )
    start, end = _period(query.start, query.end)
    report = selectors.sla_report(
        viewer=user,
        start=start,
        end=end,
        now=clock.now(),
        organization=organization,
        severity=query.severity,
        bucket=query.bucket,
    )
    if query.format == "csv":
        response = HttpResponse(sla_report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="sla-report.csv"'
        return response

    def rows(items: list[selectors.Row]) -> list[dict[str, object]]:
        return [{"key": r.key, "label": r.label, "figures": _figures(r.figures)} for r in items]

    return {
        "start": report.start,
        "end": report.end,
        "bucket": report.bucket,
        "organization": organization.slug if organization else None,
        "severity": query.severity or None,
        "total": _figures(report.total),
        "by_organization": rows(report.by_organization),
        "by_severity": rows(report.by_severity),
        "by_period": rows(report.by_period),
        "breach_count": report.breach_count,
        "breaches": [
            {
                "number": fact.number,
                "title": title,
                "organization": name,
                "severity": fact.severity,
                "created_at": fact.created_at,
                "response_due_at": fact.response_due_at,
                "resolution_due_at": fact.resolution_due_at,
                "response_breached": fact.response_breached,
                "resolution_breached": fact.resolution_breached,
            }
            for fact, name, title in report.breaches
        ],
        "satisfaction": _satisfaction(report.satisfaction),
    }


class PromiseOut(Schema):
    minutes: int
    always_open: bool = Field(description="7×24; otherwise business hours")


class SeverityScoreOut(Schema):
    severity: str
    response_promised: PromiseOut | None
    resolution_promised: PromiseOut | None
    achieved: FiguresOut
    satisfaction: SatisfactionOut


class TierScoreOut(Schema):
    tier: str
    name: str
    severities: list[SeverityScoreOut]


class CoverageOut(Schema):
    start: datetime
    end: datetime
    schedules: int
    gap_hours: float
    covered_7x24: bool


class ScorecardOut(Schema):
    start: datetime
    end: datetime
    tiers: list[TierScoreOut]
    overall: FiguresOut
    satisfaction: SatisfactionOut
    team: dict[str, int]
    team_size: int
    coverage: CoverageOut
    delivered_cases: int | None = Field(description="null: not tracked yet")
    documentation_completeness_pct: float | None = Field(description="null: not tracked yet")


def _promise(promise: ClockPromise | None) -> dict[str, object] | None:
    if promise is None:
        return None
    return {"minutes": promise.minutes, "always_open": promise.always_open}


@router.get("/scorecard", response=ScorecardOut)
def scorecard(request: HttpRequest, days: int = Query(DEFAULT_DAYS, ge=1, le=MAX_DAYS)) -> object:
    """Promised (tier policies) against achieved over the last `days` days, by tier and severity."""
    require_staff(request)
    now = clock.now()
    card = selectors.scorecard(start=now - timedelta(days=days), end=now, now=now)
    return {
        "start": card.start,
        "end": card.end,
        "tiers": [
            {
                "tier": tier.slug,
                "name": tier.name,
                "severities": [
                    {
                        "severity": row.severity,
                        "response_promised": _promise(
                            row.promise.response if row.promise else None
                        ),
                        "resolution_promised": _promise(
                            row.promise.resolution if row.promise else None
                        ),
                        "achieved": _figures(row.figures),
                        "satisfaction": _satisfaction(row.satisfaction),
                    }
                    for row in tier.severities
                ],
            }
            for tier in card.tiers
        ],
        "overall": _figures(card.overall),
        "satisfaction": _satisfaction(card.satisfaction),
        "team": {role: count for role, _label, count in card.team},
        "team_size": card.team_size,
        "coverage": {
            "start": card.coverage.start,
            "end": card.coverage.end,
            "schedules": card.coverage.schedules,
            "gap_hours": card.coverage.gap_hours,
            "covered_7x24": card.coverage.covered,
        },
        "delivered_cases": card.delivered_cases,
        "documentation_completeness_pct": card.documentation_completeness_pct,
    }
