"""The SLA report as CSV: one row per group (total, organization, severity, period)."""

import csv
import io

from roadie.scorecard.selectors import Figures, SlaReport, Stats

CSV_COLUMNS = (
    "group",
    "key",
    "label",
    "tickets",
    "tickets_with_sla",
    "response_measured",
    "response_met",
    "response_met_pct",
    "resolution_measured",
    "resolution_met",
    "resolution_met_pct",
    "breached_tickets",
    "response_business_median_min",
    "response_business_p90_min",
    "response_wall_median_min",
    "response_wall_p90_min",
    "resolution_business_median_min",
    "resolution_business_p90_min",
    "resolution_wall_median_min",
    "resolution_wall_p90_min",
)


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _cell(text: str) -> str:
    # A label that starts like a formula must not run as one in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _stats(stats: Stats) -> list[str]:
    return [_minutes(stats.median), _minutes(stats.p90)]


def figures_row(group: str, key: str, label: str, figures: Figures) -> list[str]:
    return [
        group,
        _cell(key),
        _cell(label),
        str(figures.tickets),
        str(figures.with_sla),
        str(figures.response_measured),
        str(figures.response_met),
        _number(figures.response_met_pct),
        str(figures.resolution_measured),
        str(figures.resolution_met),
        _number(figures.resolution_met_pct),
        str(figures.breached),
        *_stats(figures.response_business),
        *_stats(figures.response_wall),
        *_stats(figures.resolution_business),
        *_stats(figures.resolution_wall),
    ]


def sla_report_csv(report: SlaReport) -> str:
    """Times in minutes, percentages with one decimal; empty where nothing was measured."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerow(figures_row("total", "", "", report.total))
    for group, rows in (
        ("organization", report.by_organization),
        ("severity", report.by_severity),
        ("period", report.by_period),
    ):
        for row in rows:
            writer.writerow(figures_row(group, row.key, row.label, row.figures))
    return out.getvalue()
