"""Staff console: SLA compliance by organization, severity and period, with charts and CSV."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from roadie.console.decorators import staff_required
from roadie.console.reports.forms import ReportForm, day_range
from roadie.core import clock
from roadie.customers.selectors import organizations_visible
from roadie.scorecard.charts import grouped_bars
from roadie.scorecard.exports import sla_report_csv
from roadie.scorecard.selectors import Row, SlaReport, sla_report

REPORT = "console/reports/sla.html"
# Excel opens UTF-8 CSV (Chinese organization names) correctly only with a byte-order mark.
BOM = "\ufeff"


def _report(request: HttpRequest) -> tuple[ReportForm, SlaReport]:
    organizations = list(organizations_visible(viewer=request.user).only("slug", "name"))
    form = ReportForm(request.GET, organizations=organizations)
    now = clock.now()
    first, last = form.period(now)
    start, end = day_range(first, last)
    report = sla_report(
        viewer=request.user,
        start=start,
        end=end,
        now=now,
        organization=form.chosen_organization(),
        severity=form.value("severity") or "",
        bucket=form.chosen_bucket(),
    )
    return form, report


@staff_required
@require_GET
def sla(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    first, last = form.period(clock.now())
    context: dict[str, Any] = {
        "form": form,
        "report": report,
        "first_day": first,
        "last_day": last,
        "total_rows": [Row(key="", label=_("All tickets"), figures=report.total)],
        "period_chart": grouped_bars(
            [
                (row.label, [row.figures.response_met_pct, row.figures.resolution_met_pct])
                for row in report.by_period
            ]
        ),
        "severity_chart": grouped_bars(
            [
                (row.label, [row.figures.response_met_pct, row.figures.resolution_met_pct])
                for row in report.by_severity
            ]
        ),
    }
    return render(request, REPORT, context)


@staff_required
@require_GET
def sla_csv(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    first, last = form.period(clock.now())
    response = HttpResponse(BOM + sla_report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-{first}-{last}.csv"'
    return response
