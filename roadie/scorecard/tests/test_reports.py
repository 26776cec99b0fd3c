"""SLA reports on tickets with known times: business against wall time, CSV, API, pages."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from roadie.core import clock
from roadie.scorecard import selectors
from roadie.scorecard.exports import CSV_COLUMNS, sla_report_csv
from roadie.tickets import satisfaction, services
from roadie.tickets.models import Ticket

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
# A plain working week: Monday 2026-06-01 to Friday 2026-06-05 (no holiday), then a weekend.
START = datetime(2026, 6, 1, tzinfo=SH)
END = datetime(2026, 6, 8, tzinfo=SH)
NOW = datetime(2026, 6, 8, 9, tzinfo=SH)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def file(customer, at: datetime, severity: str = "important", title: str = "推流中断") -> Ticket:
    return services.ticket_create(
        by=customer, title=title, description="", severity=severity, at=at
    )


def reply(ticket: Ticket, agent, at: datetime) -> None:
    services.ticket_comment(ticket=ticket, by=agent, body="我们在处理", at=at)


def resolve(ticket: Ticket, agent, at: datetime) -> None:
    services.ticket_change_status(ticket=ticket, status="resolved", by=agent, at=at)


@pytest.fixture
def week(customer_a, customer_b, agent):
    """Four tickets with known clocks (business hours 09:00–18:00 Asia/Shanghai).

    A important, Mon 10:00, reply 11:00 (1 h), resolved Tue 10:00 (9 business h, 24 wall h).
    B important, Mon 17:00, reply Tue 09:30 (1.5 business h, 16.5 wall h), never resolved:
      resolution due Thu 14:00, breached by NOW.
    C important, Mon 09:00, reply 12:00 (due 11:00: response breached), resolved 15:00 (6 h).
    D urgent (7×24), beta, Sat 02:00, reply 02:20, resolved 03:30 (due 03:00: breached).
    """
    a = file(customer_a, sh(2026, 6, 1, 10), title="A")
    reply(a, agent, sh(2026, 6, 1, 11))
    resolve(a, agent, sh(2026, 6, 2, 10))
    b = file(customer_a, sh(2026, 6, 1, 17), title="B")
    reply(b, agent, sh(2026, 6, 2, 9, 30))
    c = file(customer_a, sh(2026, 6, 1, 9), title="C")
    reply(c, agent, sh(2026, 6, 1, 12))
    resolve(c, agent, sh(2026, 6, 1, 15))
    d = file(customer_b, sh(2026, 6, 6, 2), severity="urgent", title="D")
    reply(d, agent, sh(2026, 6, 6, 2, 20))
    resolve(d, agent, sh(2026, 6, 6, 3, 30))
    # Outside the period: opened the week before and the week after.
    file(customer_a, sh(2026, 5, 29, 10), title="before")
    file(customer_a, sh(2026, 6, 8, 0, 0), title="after")
    return {"a": a, "b": b, "c": c, "d": d}


def report(viewer, **kwargs):
    return selectors.sla_report(viewer=viewer, start=START, end=END, now=NOW, **kwargs)


def test_report_counts_targets_met_among_measured_tickets(week, agent):
    total = report(agent).total
    assert total.tickets == 4
    assert (total.response_measured, total.response_met, total.response_met_pct) == (4, 3, 75.0)
    assert (total.resolution_measured, total.resolution_met) == (4, 2)
    assert total.resolution_met_pct == 50.0
    assert total.breached == 3


def test_report_medians_and_p90_in_business_and_wall_time(week, agent):
    total = report(agent).total
    # First response, business: 1200, 3600, 5400, 10800 s; wall: 1200, 3600, 10800, 59400 s.
    assert (total.response_business.median, total.response_business.p90) == (4500, 10800)
    assert (total.response_wall.median, total.response_wall.p90) == (7200, 59400)
    # Resolution (A, C, D), business: 5400, 21600, 32400 s; wall: 5400, 21600, 86400 s.
    assert (total.resolution_business.median, total.resolution_business.p90) == (21600, 32400)
    assert (total.resolution_wall.median, total.resolution_wall.p90) == (21600, 86400)


def test_waiting_on_the_customer_counts_in_wall_time_only(customer_a, agent):
    ticket = file(customer_a, sh(2026, 6, 2, 9), severity="general")
    reply(ticket, agent, sh(2026, 6, 2, 9, 30))
    services.ticket_change_status(ticket=ticket, status="waiting", by=agent, at=sh(2026, 6, 2, 10))
    services.ticket_comment(ticket=ticket, by=customer_a, body="日志见附件", at=sh(2026, 6, 3, 10))
    resolve(ticket, agent, sh(2026, 6, 3, 11))

    total = report(agent, severity="general").total

    assert total.tickets == 1
    assert total.resolution_business.median == 2 * 3600  # Tue 09–10 and Wed 10–11
    assert total.resolution_wall.median == 26 * 3600
    assert total.response_business.median == total.response_wall.median == 1800


def test_report_groups_by_organization_severity_and_day(week, agent, org_a, org_b):
    result = report(agent)
    assert {row.key: row.figures.tickets for row in result.by_organization} == {
        "alpha": 3,
        "beta": 1,
    }
    assert [(row.key, row.figures.tickets) for row in result.by_severity] == [
        ("urgent", 1),
        ("important", 3),
    ]
    assert result.bucket == "day"
    assert [(row.key, row.figures.tickets) for row in result.by_period] == [
        ("2026-06-01", 3),
        ("2026-06-06", 1),
    ]
    urgent = result.by_severity[0].figures
    assert (urgent.resolution_measured, urgent.resolution_met) == (1, 0)


def test_report_lists_the_breaches_with_their_clocks(week, agent):
    result = report(agent)
    listed = {
        fact.number: (fact.response_breached, fact.resolution_breached)
        for fact, _org, _title in result.breaches
    }
    assert result.breach_count == 3
    assert listed == {
        week["b"].number: (False, True),
        week["c"].number: (True, False),
        week["d"].number: (False, True),
    }


def test_report_filters_by_organization_and_severity(week, agent, org_b):
    assert report(agent, organization=org_b).total.tickets == 1
    assert report(agent, severity="important").total.tickets == 3


def test_a_customer_only_ever_gets_its_own_organization(week, customer_a, org_b):
    assert report(customer_a).total.tickets == 3
    assert report(customer_a, organization=org_b).total.tickets == 0
    figures = selectors.sla_figures(viewer=customer_a, start=START, end=END, now=NOW)
    assert (figures.tickets, figures.response_met, figures.response_measured) == (3, 2, 3)


def test_satisfaction_results_are_in_the_report(week, agent, customer_a, customer_b):
    satisfaction.survey_answer(ticket=week["a"], by=customer_a, score=5, comment="很快")
    satisfaction.survey_answer(ticket=week["c"], by=customer_a, score=3)
    satisfaction.survey_send(ticket=week["d"], at=sh(2026, 6, 6, 5))
    result = report(agent).satisfaction
    assert (result.sent, result.answered, result.average) == (3, 2, 4.0)
    assert result.distribution == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert [survey.comment for survey in result.comments] == ["很快"]
    # Customers see the figures of their own organization, never the comments.
    own = report(customer_a).satisfaction
    assert (own.sent, own.answered, own.comments) == (2, 2, [])


def test_csv_has_the_documented_columns_and_one_row_per_group(week, agent):
    rows = list(csv.reader(io.StringIO(sla_report_csv(report(agent)))))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_group = {(row[0], row[1]): dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert set(by_group) == {
        ("total", ""),
        ("organization", "alpha"),
        ("organization", "beta"),
        ("severity", "urgent"),
        ("severity", "important"),
        ("period", "2026-06-01"),
        ("period", "2026-06-06"),
    }
    total = by_group[("total", "")]
    assert total["tickets"] == "4"
    assert total["response_met_pct"] == "75.0"
    assert total["resolution_met_pct"] == "50.0"
    assert total["response_business_median_min"] == "75.0"
    assert total["response_business_p90_min"] == "180.0"
    assert total["resolution_wall_p90_min"] == "1440.0"
    assert by_group[("organization", "alpha")]["label"] == "甲公司 Alpha Live"


def test_csv_neutralises_labels_that_look_like_formulas(agent):
    figures = selectors.Figures()
    report_ = selectors.SlaReport(
        start=START,
        end=END,
        bucket="day",
        organization=None,
        severity="",
        total=figures,
        by_organization=[
            selectors.Row(key="x", label='=HYPERLINK("http://evil")', figures=figures)
        ],
        by_severity=[],
        by_period=[],
        breaches=[],
        breach_count=0,
        satisfaction=selectors.Satisfaction(),
        satisfaction_by_severity={},
    )
    rows = list(csv.reader(io.StringIO(sla_report_csv(report_))))
    assert rows[2][2].startswith("'=")


def test_stats_median_and_nearest_rank_p90():
    assert selectors.Stats.of([]) == selectors.Stats(0, None, None)
    assert selectors.Stats.of([7]) == selectors.Stats(1, 7.0, 7.0)
    ten = selectors.Stats.of(list(range(1, 11)))
    assert (ten.median, ten.p90) == (5.5, 9.0)
    eleven = selectors.Stats.of(list(range(1, 12)))
    assert (eleven.median, eleven.p90) == (6.0, 10.0)


# -- console and API --------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_console_report_page_shows_figures_charts_and_breach_links(week, agent):
    response = client_for(agent).get(
        reverse("console:reports:sla"), {"start": "2026-06-01", "end": "2026-06-07"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "75.0 %" in html and "50.0 %" in html
    assert "<svg" in html and "<rect" in html
    assert reverse("console:ticket", args=[week["c"].number]) in html
    assert "甲公司 Alpha Live" in html


def test_console_report_csv_download(week, agent, org_a):
    response = client_for(agent).get(
        reverse("console:reports:sla_csv"),
        {"start": "2026-06-01", "end": "2026-06-07", "organization": org_a.slug},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[1][3] == "3"


def test_console_report_with_bad_dates_falls_back_to_the_default_period(agent):
    response = client_for(agent).get(
        reverse("console:reports:sla"), {"start": "2026-06-07", "end": "2026-06-01"}
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_customers_get_404_on_the_report_pages(customer_a):
    client = client_for(customer_a)
    assert client.get(reverse("console:reports:sla")).status_code == 404
    assert client.get(reverse("console:reports:sla_csv")).status_code == 404


def test_api_report_json_and_csv(week, agent, api_as):
    client = api_as(agent)
    params = {"start": "2026-06-01", "end": "2026-06-07"}
    body = client.get("/api/v1/reports/sla", params).json()
    assert body["total"]["tickets"] == 4
    assert body["total"]["response_met_pct"] == 75.0
    assert body["total"]["response_business"] == {
        "count": 4,
        "median_seconds": 4500.0,
        "p90_seconds": 10800.0,
    }
    assert body["breach_count"] == 3
    assert {b["number"] for b in body["breaches"]} == {
        week["b"].number,
        week["c"].number,
        week["d"].number,
    }
    beta = client.get("/api/v1/reports/sla", {**params, "organization": "beta"}).json()
    assert beta["total"]["tickets"] == 1
    response = client.get("/api/v1/reports/sla", {**params, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == ",".join(CSV_COLUMNS)


def test_api_report_refuses_bad_input(agent, api_as):
    client = api_as(agent)
    backwards = client.get("/api/v1/reports/sla", {"start": "2026-06-07", "end": "2026-06-01"})
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "end"
    unknown = client.get("/api/v1/reports/sla", {"organization": "nobody"})
    assert unknown.status_code == 422


def test_api_reports_are_staff_only(week, customer_a, api_as):
    client = api_as(customer_a)
    for url in (
        "/api/v1/reports/sla",
        "/api/v1/reports/sla?organization=alpha",
        "/api/v1/reports/sla?format=csv",
        "/api/v1/scorecard",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Alpha" not in response.content.decode()


def test_portal_list_shows_the_organizations_sla_this_quarter(
    week, customer_a, customer_b, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    html = client_for(customer_a).get(reverse("portal:tickets")).content.decode()
    other = client_for(customer_b).get(reverse("portal:tickets")).content.decode()
    assert "Your SLA this quarter" in html
    # A, B, C and the tickets of 29 May and of this morning; D is beta's.
    assert "5 tickets since 2026-04-01" in html
    assert "1 ticket since 2026-04-01" in other
