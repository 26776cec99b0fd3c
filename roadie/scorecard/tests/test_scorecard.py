"""The service-quality scorecard: promised against achieved, team, coverage, the public link."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from roadie.accounts.models import Role
from roadie.core import clock
from roadie.core.errors import InvalidInput, PermissionDenied
from roadie.core.tests import factories
from roadie.oncall.tests.factories import make_rotation, make_schedule
from roadie.scorecard import selectors, services
from roadie.scorecard.models import ScorecardShare
from roadie.scorecard.tests.test_reports import END, NOW, START, week  # noqa: F401
from roadie.tickets import satisfaction

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def card():
    return selectors.scorecard(start=START, end=END, now=NOW)


def row(result, tier: str, severity: str):
    found = next(t for t in result.tiers if t.slug == tier)
    return next(r for r in found.severities if r.severity == severity)


def test_scorecard_sets_the_promise_beside_what_was_achieved(week, customer_a):  # noqa: F811
    satisfaction.survey_answer(ticket=week["a"], by=customer_a, score=4)
    result = card()
    assert [t.slug for t in result.tiers] == ["premium", "standard"]
    important = row(result, "standard", "important")
    assert important.promise is not None
    assert (important.promise.response.minutes, important.promise.response.always_open) == (
        120,
        False,
    )
    assert important.promise.resolution.minutes == 24 * 60
    achieved = important.figures
    assert achieved.tickets == 3
    assert (achieved.response_business.median, achieved.response_business.p90) == (5400, 10800)
    assert achieved.breach_rate_pct == 66.7
    assert important.satisfaction.average == 4.0
    urgent = row(result, "standard", "urgent")
    assert urgent.promise.response.always_open and urgent.figures.breach_rate_pct == 100.0
    # A promise without tickets still shows, with nothing achieved yet.
    general = row(result, "standard", "general")
    assert general.figures.tickets == 0 and general.figures.response_business.median is None
    assert result.overall.tickets == 4


def test_team_size_counts_active_staff_by_role(agent, manager):
    factories.make_user(Role.ENGINEER)
    gone = factories.make_user(Role.ENGINEER)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    factories.make_user(Role.CUSTOMER_MEMBER)
    result = card()
    assert {role: n for role, _label, n in result.team} == {
        "agent": 1,
        "engineer": 1,
        "manager": 1,
        "admin": 0,
    }
    assert result.team_size == 3


def test_coverage_without_a_schedule_is_not_called_covered(db):
    coverage = selectors.coverage_ahead(now=NOW)
    assert coverage.schedules == 0 and not coverage.covered


def test_coverage_is_7x24_when_someone_is_always_on_call(db):
    engineers = [factories.make_user(Role.ENGINEER) for _ in range(2)]
    make_rotation(make_schedule("直播值班"), engineers)
    coverage = selectors.coverage_ahead(now=NOW)
    assert coverage.covered and coverage.gap_hours == 0


def test_coverage_counts_hours_nobody_at_all_is_on_call(db):
    make_schedule("Empty")
    coverage = selectors.coverage_ahead(now=NOW)
    assert coverage.gap_hours == 4 * 7 * 24.0
    # A second schedule that covers everything closes the gaps of the first.
    engineers = [factories.make_user(Role.ENGINEER)]
    make_rotation(make_schedule("Full"), engineers)
    assert selectors.coverage_ahead(now=NOW).covered


def test_intersection_of_gaps():
    t = datetime(2026, 6, 1, tzinfo=SH)
    hours = [t + timedelta(hours=n) for n in range(10)]
    first = [(hours[0], hours[4]), (hours[6], hours[9])]
    second = [(hours[2], hours[7])]
    assert selectors._intersection([first, second]) == [(hours[2], hours[4]), (hours[6], hours[7])]
    assert selectors._intersection([]) == []


# -- pages ------------------------------------------------------------------------------------


def test_console_scorecard_page(week, agent):  # noqa: F811
    html = client_for(agent).get(reverse("console:scorecard:scorecard")).content.decode()
    assert "Service-quality scorecard" in html
    assert "2 business hours" in html and "30 minutes, 7×24" in html
    assert html.count("Not tracked yet.") == 2
    assert "No on-call schedule yet." in html
    assert "The public link is off." in html


def test_customers_get_404_on_the_console_scorecard(customer_a):
    client = client_for(customer_a)
    assert client.get(reverse("console:scorecard:scorecard")).status_code == 404
    assert client.post(reverse("console:scorecard:share"), {"enabled": "1"}).status_code == 404
    assert not ScorecardShare.objects.exists()


def test_only_managers_switch_the_public_link(agent):
    response = client_for(agent).post(reverse("console:scorecard:share"), {"enabled": "1"})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.scorecard_share_enable(by=agent)
    assert not ScorecardShare.objects.exists()


def test_public_link_on_shows_aggregates_only_and_off_answers_404(week, manager, monkeypatch):  # noqa: F811
    monkeypatch.setattr(clock, "now", lambda: NOW)
    make_rotation(make_schedule("秘密值班表"), [factories.make_user(Role.ENGINEER)])
    staff = client_for(manager)
    staff.post(reverse("console:scorecard:share"), {"enabled": "1", "period_days": "30"})
    share = ScorecardShare.objects.get()
    assert share.is_active and share.period_days == 30 and len(share.token) >= 32
    url = reverse("scorecard_public:page", args=[share.token])
    assert url in staff.get(reverse("console:scorecard:scorecard")).content.decode()

    public = Client(HTTP_ACCEPT_LANGUAGE="en").get(url)
    assert public.status_code == 200
    html = public.content.decode()
    assert "Service-quality scorecard" in html and "Covered 7×24" in html
    for secret in ("甲公司", "乙公司", "Alpha", "alpha", "beta", "RD-", "秘密值班表", "@"):
        assert secret not in html, secret
    assert public["X-Robots-Tag"] == "noindex"

    staff.post(reverse("console:scorecard:share"), {"enabled": "0"})
    assert Client().get(url).status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is not None and share.revoked_by == manager


def test_a_new_link_revokes_the_old_one(manager):
    old = services.scorecard_share_enable(by=manager)
    new = services.scorecard_share_enable(by=manager, period_days=365)
    assert old.token != new.token
    assert Client().get(reverse("scorecard_public:page", args=[old.token])).status_code == 404
    assert Client().get(reverse("scorecard_public:page", args=[new.token])).status_code == 200
    assert selectors.scorecard_share_active() == new


def test_unknown_tokens_answer_404(db):
    for token in ("nope", "x" * 100, "%00"):
        assert Client().get(f"/scorecard/{token}/").status_code == 404


def test_share_refuses_an_unknown_period(manager):
    with translation.override("en"), pytest.raises(InvalidInput, match="Choose a period"):
        services.scorecard_share_enable(by=manager, period_days=7)


def test_api_scorecard_for_staff(week, agent, api_as):  # noqa: F811
    body = api_as(agent).get("/api/v1/scorecard", {"days": 30}).json()
    assert body["delivered_cases"] is None and body["documentation_completeness_pct"] is None
    assert body["team"]["agent"] == 1
    standard = next(t for t in body["tiers"] if t["tier"] == "standard")
    urgent = next(s for s in standard["severities"] if s["severity"] == "urgent")
    assert urgent["response_promised"] == {"minutes": 30, "always_open": True}
    assert body["coverage"]["covered_7x24"] is False


def test_business_hours_wording():
    from roadie.sla.selectors import ClockPromise
    from roadie.tickets.templatetags.sla_badges import business_hours_text, promise_text

    business = ClockPromise(
        minutes=45 * 60,
        always_open=False,
        time_zone="Asia/Shanghai",
        opens="09:00",
        closes="18:00",
        lunch=None,
        weekdays=(0, 1, 2, 3, 4),
        chinese=True,
    )
    with translation.override("en"):
        assert promise_text(business) == "45 business hours"
        assert business_hours_text(business).startswith("09:00–18:00, Mon–Fri, Chinese working")
    with translation.override("zh-hans"):
        assert promise_text(business) == "工作时间内 45 小时"


def test_public_page_figures_are_cached_but_revocation_is_immediate(manager, monkeypatch):
    share = services.scorecard_share_enable(by=manager)
    url = reverse("scorecard_public:page", args=[share.token])
    calls = []
    real = selectors.scorecard

    def counting(**kwargs):
        calls.append(1)
        return real(**kwargs)

    monkeypatch.setattr("roadie.console.scorecard.views.scorecard", counting)
    assert Client().get(url).status_code == 200
    assert Client().get(url).status_code == 200
    assert len(calls) == 1
    services.scorecard_share_revoke(by=manager)
    assert Client().get(url).status_code == 404
