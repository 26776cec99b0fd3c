import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from roadie.core import clock
from roadie.sla.models import Calendar, Policy
from roadie.tickets import services

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def problem_fields(response) -> list[str]:
    assert response["Content-Type"] == "application/problem+json"
    return [error["field"] for error in response.json().get("errors", [])]


# -- the sla block on tickets ---------------------------------------------------------------


def test_ticket_shows_its_clocks(api_as, customer_a, agent, monkeypatch):
    ticket = services.ticket_create(
        by=customer_a,
        title="推流中断",
        description="",
        severity="important",
        at=datetime(2026, 9, 30, 17, tzinfo=SH),
    )
    services.ticket_comment(
        ticket=ticket, by=agent, body="在查", at=datetime(2026, 10, 8, 9, 30, tzinfo=SH)
    )
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 10, 8, 12, tzinfo=SH))
    body = api_as(customer_a).get(f"/api/v1/tickets/{ticket.number}").json()
    sla = body["sla"]
    assert set(sla) == {
        "response_due_at",
        "resolution_due_at",
        "responded_at",
        "resolved_at",
        "response_breached",
        "resolution_breached",
        "paused_seconds",
        "state",
    }
    assert datetime.fromisoformat(sla["response_due_at"]) == datetime(2026, 10, 8, 10, tzinfo=SH)
    assert datetime.fromisoformat(sla["resolution_due_at"]) == datetime(2026, 10, 10, 14, tzinfo=SH)
    assert datetime.fromisoformat(sla["responded_at"]) == datetime(2026, 10, 8, 9, 30, tzinfo=SH)
    assert sla["response_breached"] is False and sla["resolution_breached"] is False
    assert sla["state"] == "running" and sla["paused_seconds"] == 0
    listed = api_as(agent).get("/api/v1/tickets").json()["items"]
    assert listed[0]["sla"]["response_due_at"] == sla["response_due_at"]
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 10, 10, 14, 1, tzinfo=SH))
    late = api_as(customer_a).get(f"/api/v1/tickets/{ticket.number}").json()["sla"]
    assert late["state"] == "breached" and late["resolution_breached"] is True


# -- preview --------------------------------------------------------------------------------


def test_preview_due_times(api_as, agent, org_a):
    contract = org_a.contracts.get()
    response = post(
        api_as(agent),
        "/api/v1/sla/preview",
        {
            "contract": contract.pk,
            "severity": "important",
            "opened_at": "2026-09-30T17:00:00+08:00",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "response_due_at": "2026-10-08T10:00:00+08:00",
        "resolution_due_at": "2026-10-10T14:00:00+08:00",
    }
    # Any offset will do; the answer is the same instant.
    utc = post(
        api_as(agent),
        "/api/v1/sla/preview",
        {"contract": contract.pk, "severity": "urgent", "opened_at": "2026-10-01T00:00:00Z"},
    )
    assert datetime.fromisoformat(utc.json()["response_due_at"]) == datetime(
        2026, 10, 1, 8, 30, tzinfo=SH
    )


def test_preview_without_an_offset_is_a_problem_naming_opened_at(api_as, agent, org_a):
    response = post(
        api_as(agent),
        "/api/v1/sla/preview",
        {
            "contract": org_a.contracts.get().pk,
            "severity": "important",
            "opened_at": "2026-09-30T17:00:00",
        },
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["opened_at"]
    assert response.json()["code"] == "naive_datetime"


def test_customers_preview_their_own_contract_only(api_as, customer_a, org_a, org_b):
    payload = {"severity": "general", "opened_at": "2026-06-01T09:00:00+08:00"}
    own = post(
        api_as(customer_a), "/api/v1/sla/preview", {**payload, "contract": org_a.contracts.get().pk}
    )
    assert own.status_code == 200
    assert own.json()["response_due_at"] == "2026-06-01T11:00:00+08:00"
    other = post(
        api_as(customer_a), "/api/v1/sla/preview", {**payload, "contract": org_b.contracts.get().pk}
    )
    assert other.status_code == 404
    assert other["Content-Type"] == "application/problem+json"


# -- policies -------------------------------------------------------------------------------


def test_staff_list_policies_and_customers_see_nothing(api_as, agent, customer_a):
    items = api_as(agent).get("/api/v1/sla/policies?tier=premium").json()["items"]
    assert {(p["severity"], p["response_minutes"], p["response_calendar"]) for p in items} == {
        ("urgent", 30, "24x7"),
        ("important", 30, "24x7"),
        ("general", 120, "business-cn"),
    }
    assert api_as(customer_a).get("/api/v1/sla/policies").status_code == 404
    assert api_as(customer_a).get("/api/v1/sla/calendars").status_code == 404


def test_managers_change_policies(api_as, manager, agent):
    client = api_as(manager)
    changed = patch(
        client,
        "/api/v1/sla/policies",
        {"tier": "standard", "severity": "general", "response_minutes": 90, "warning_percent": 80},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["response_minutes"] == 90 and changed.json()["warning_percent"] == 80
    policy = Policy.objects.get(tier__slug="standard", severity="general")
    assert (policy.response_minutes, policy.resolution_minutes) == (90, 2700)
    bad = patch(
        client,
        "/api/v1/sla/policies",
        {"tier": "standard", "severity": "general", "warning_percent": 120},
    )
    assert bad.status_code == 422 and problem_fields(bad) == ["warning_percent"]
    negative = patch(
        client,
        "/api/v1/sla/policies",
        {"tier": "standard", "severity": "general", "resolution_minutes": -5},
    )
    assert negative.status_code == 422 and problem_fields(negative) == ["resolution_minutes"]
    assert (
        patch(api_as(agent), "/api/v1/sla/policies", {"tier": "standard", "severity": "general"})
    ).status_code == 403


def test_create_policy(api_as, admin_user):
    client = api_as(admin_user)
    payload = {
        "tier": "standard",
        "severity": "urgent",
        "response_minutes": 10,
        "resolution_minutes": 60,
        "response_calendar": "24x7",
        "resolution_calendar": "24x7",
    }
    exists = post(client, "/api/v1/sla/policies", payload)
    assert exists.status_code == 409 and exists.json()["code"] == "policy_exists"
    unknown = post(client, "/api/v1/sla/policies", {**payload, "tier": "gold"})
    assert unknown.status_code == 422 and problem_fields(unknown) == ["tier"]
    Policy.objects.filter(tier__slug="standard", severity="urgent").delete()
    bad_calendar = post(client, "/api/v1/sla/policies", {**payload, "response_calendar": "nope"})
    assert bad_calendar.status_code == 422 and problem_fields(bad_calendar) == ["response_calendar"]
    created = post(client, "/api/v1/sla/policies", payload)
    assert created.status_code == 201 and created.json()["warning_percent"] == 75


# -- calendars ------------------------------------------------------------------------------


def test_calendars(api_as, admin_user, agent):
    client = api_as(admin_user)
    created = post(
        client,
        "/api/v1/sla/calendars",
        {
            "slug": "berlin-office",
            "name": "Berlin office",
            "time_zone": "Europe/Berlin",
            "start_time": "08:30",
            "end_time": "17:30",
            "lunch_start": "12:00",
            "lunch_end": "13:00",
            "use_chinese_calendar": False,
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["lunch_start"] == "12:00:00"
    slugs = [c["slug"] for c in api_as(agent).get("/api/v1/sla/calendars").json()["items"]]
    assert slugs == ["24x7", "berlin-office", "business-cn"]
    overlapping = post(
        client,
        "/api/v1/sla/calendars",
        {"slug": "x", "name": "x", "lunch_start": "13:00", "lunch_end": "12:00"},
    )
    assert overlapping.status_code == 422
    assert overlapping.json()["code"] == "overlapping_hours"
    assert problem_fields(overlapping) == ["lunch_end"]
    empty = post(client, "/api/v1/sla/calendars", {"slug": "y", "name": "y", "weekdays": []})
    assert empty.status_code == 422 and problem_fields(empty) == ["weekdays"]
    assert not Calendar.objects.filter(slug__in=["x", "y"]).exists()
    assert (
        post(api_as(agent), "/api/v1/sla/calendars", {"slug": "z", "name": "z"}).status_code == 403
    )


def test_unknown_dates(api_as, agent):
    client = api_as(agent)
    response = client.get(
        "/api/v1/sla/calendars/business-cn/unknown-dates?start=2026-12-30&end=2027-01-02"
    )
    assert response.status_code == 200
    assert response.json()["dates"] == ["2027-01-01", "2027-01-02"]
    always = client.get("/api/v1/sla/calendars/24x7/unknown-dates?start=2027-01-01&end=2027-12-31")
    assert always.json()["dates"] == []
    backwards = client.get(
        "/api/v1/sla/calendars/24x7/unknown-dates?start=2027-01-02&end=2027-01-01"
    )
    assert backwards.status_code == 422 and problem_fields(backwards) == ["end"]
    assert client.get("/api/v1/sla/calendars/nope/unknown-dates").status_code == 404


# -- contract targets ------------------------------------------------------------------------


def put(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


def response_due_of_new_ticket(api_as, customer, severity: str, opened: datetime) -> datetime:
    """File a ticket opened at `opened`; its response due time as the API shows it."""
    ticket = services.ticket_create(
        by=customer, title="推流卡顿", description="", severity=severity, at=opened
    )
    body = api_as(customer).get(f"/api/v1/tickets/{ticket.number}").json()
    return datetime.fromisoformat(body["sla"]["response_due_at"])


def test_a_manager_gives_a_contract_its_own_urgent_target(api_as, manager, customer_a, org_a):
    contract = org_a.contracts.get()
    url = f"/api/v1/sla/contracts/{contract.pk}/targets"
    before = api_as(customer_a).get(url).json()
    assert before["tier"] == "standard"
    assert [row["severity"] for row in before["items"]] == ["urgent", "important", "general"]
    urgent = before["items"][0]
    assert urgent["response_minutes"] == 30 and urgent["own_response_minutes"] is None

    response = put(api_as(manager), f"{url}/urgent", {"response_minutes": 15})
    assert response.status_code == 200
    urgent = response.json()["items"][0]
    assert urgent["response_minutes"] == 15 and urgent["own_response_minutes"] == 15
    assert urgent["resolution_minutes"] == 60 and urgent["own_resolution_minutes"] is None
    # The customer's next urgent ticket runs on the contract's own target.
    opened = datetime(2026, 6, 1, 9, tzinfo=SH)
    due = response_due_of_new_ticket(api_as, customer_a, "urgent", opened)
    assert due == datetime(2026, 6, 1, 9, 15, tzinfo=SH)
    # null returns the clock to the tier's target.
    back = put(api_as(manager), f"{url}/urgent", {"response_minutes": None}).json()
    assert back["items"][0]["response_minutes"] == 30


def test_contract_targets_refuse_bad_input_and_other_people(
    api_as, manager, agent, customer_a, org_a, org_b
):
    own = f"/api/v1/sla/contracts/{org_a.contracts.get().pk}/targets"
    other = f"/api/v1/sla/contracts/{org_b.contracts.get().pk}/targets"
    assert api_as(customer_a).get(other).status_code == 404
    # Staff routes do not exist for customers (404), and agents may not change promises (403).
    assert put(api_as(customer_a), f"{own}/urgent", {"response_minutes": 1}).status_code == 404
    assert put(api_as(agent), f"{own}/urgent", {"response_minutes": 1}).status_code == 403
    negative = put(api_as(manager), f"{own}/urgent", {"response_minutes": -5})
    assert negative.status_code in (400, 422) and problem_fields(negative) == ["response_minutes"]
    assert put(api_as(manager), f"{own}/fatal", {"response_minutes": 5}).status_code == 422
    rows = api_as(manager).get(own).json()["items"]
    assert all(row["own_response_minutes"] is None for row in rows)  # nothing was stored


# -- calendar corrections --------------------------------------------------------------------


def test_a_holiday_added_through_the_api_moves_new_due_times(api_as, manager, customer_a, agent):
    url = "/api/v1/sla/calendar-overrides/2027-06-03"
    response = put(api_as(manager), url, {"is_working": False, "note": "公司年会"})
    assert response.status_code == 200
    assert response.json() == {"date": "2027-06-03", "is_working": False, "note": "公司年会"}
    listed = api_as(agent).get("/api/v1/sla/calendar-overrides?start=2027-01-01").json()["items"]
    assert listed == [{"date": "2027-06-03", "is_working": False, "note": "公司年会"}]
    # Wednesday 17:00, two business hours: Thursday is now off, so Friday 10:00.
    opened = datetime(2027, 6, 2, 17, tzinfo=SH)
    due = response_due_of_new_ticket(api_as, customer_a, "important", opened)
    assert due == datetime(2027, 6, 4, 10, tzinfo=SH)

    assert api_as(manager).delete(url).status_code == 204
    assert api_as(manager).delete(url).status_code == 404
    assert api_as(agent).get("/api/v1/sla/calendar-overrides").json()["items"] == []


def test_calendar_corrections_are_for_managers(api_as, agent, customer_a, manager):
    url = "/api/v1/sla/calendar-overrides/2027-06-03"
    assert put(api_as(agent), url, {"is_working": False}).status_code == 403
    assert put(api_as(customer_a), url, {"is_working": False}).status_code == 404
    assert api_as(customer_a).get("/api/v1/sla/calendar-overrides").status_code == 404
    long_note = put(api_as(manager), url, {"is_working": False, "note": "x" * 500})
    assert long_note.status_code in (400, 422) and problem_fields(long_note) == ["note"]
    bad_date = put(
        api_as(manager), "/api/v1/sla/calendar-overrides/2027-02-30", {"is_working": True}
    )
    assert bad_date.status_code == 422
    assert api_as(manager).get("/api/v1/sla/calendar-overrides").json()["items"] == []
