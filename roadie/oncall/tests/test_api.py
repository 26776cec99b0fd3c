"""The on-call API: the kept shapes, iCalendar import, bad input, staff only."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from roadie.oncall import services
from roadie.oncall.escalation import page_advance
from roadie.oncall.models import EscalationPolicy, Override, Page, Schedule
from roadie.oncall.services import StepInput
from roadie.oncall.tests.factories import make_engineer, make_policy, make_rotation, make_schedule
from roadie.oncall.tests.test_schedules import WEEKLY_ICAL

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def world():
    alice, bob = make_engineer("alice"), make_engineer("bob")
    schedule = make_schedule(name="Primary", time_zone="Europe/Berlin")
    make_rotation(schedule, [alice, bob], kind="daily", start=date(2026, 3, 1))
    return {"alice": alice, "bob": bob, "schedule": schedule}


def test_oncall_shape(api_as, agent, world):
    url = f"/api/v1/schedules/{world['schedule'].pk}/oncall"
    response = api_as(agent).get(url, {"at": "2026-03-29T09:00:00+02:00"})
    assert response.status_code == 200, response.content
    # 2026-03-01 alice, 03-02 bob, … 03-29 is day 28: alice.
    assert response.json() == {"users": [{"email": world["alice"].email}]}
    before = api_as(agent).get(url, {"at": "2026-03-29T06:59:59Z"})
    assert before.json() == {"users": [{"email": world["bob"].email}]}


def test_gaps_shape(api_as, agent):
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [make_engineer()], kind="daily", start=date(2026, 3, 2))
    response = api_as(agent).get(
        f"/api/v1/schedules/{schedule.pk}/gaps",
        {"start": "2026-03-01T00:00:00Z", "end": "2026-03-03T00:00:00Z"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ["gaps"]
    assert len(body["gaps"]) == 1
    gap = body["gaps"][0]
    assert set(gap) == {"start", "end"}
    assert datetime.fromisoformat(gap["start"]) == datetime(2026, 3, 1, tzinfo=UTC)
    assert datetime.fromisoformat(gap["end"]) == datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("oncall", {"at": "2026-03-29T09:00:00"}),
        ("gaps", {"start": "2026-03-01T00:00:00", "end": "2026-03-02T00:00:00Z"}),
        ("gaps", {"start": "2026-03-02T00:00:00Z", "end": "2026-03-01T00:00:00Z"}),
        ("oncall", {"at": "yesterday"}),
    ],
)
def test_bad_times_are_422(api_as, agent, world, path, params):
    response = api_as(agent).get(f"/api/v1/schedules/{world['schedule'].pk}/{path}", params)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"


def test_create_schedule_from_ical(api_as, manager):
    alice, bob = make_engineer("alice"), make_engineer("bob")
    response = post(
        api_as(manager),
        "/api/v1/schedules",
        {
            "name": "Shared calendar",
            "time_zone": "Europe/Berlin",
            "ical": WEEKLY_ICAL.format(alice=alice.email, bob=bob.email),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] and body["name"] == "Shared calendar"
    assert body["calendars"][0]["event_count"] == 2
    oncall = api_as(manager).get(
        f"/api/v1/schedules/{body['id']}/oncall", {"at": "2026-03-10T12:00:00+01:00"}
    )
    assert oncall.json() == {"users": [{"email": bob.email}]}


def test_unknown_email_in_ical_is_422_naming_it(api_as, manager):
    alice = make_engineer("alice")
    response = post(
        api_as(manager),
        "/api/v1/schedules",
        {
            "name": "Bad",
            "time_zone": "Europe/Berlin",
            "ical": WEEKLY_ICAL.format(alice=alice.email, bob="ghost@nowhere.example"),
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "unknown_email"
    assert "ghost@nowhere.example" in body["detail"]
    assert not Schedule.objects.exists()


def test_malformed_ical_is_422(api_as, manager):
    response = post(
        api_as(manager),
        "/api/v1/schedules",
        {"name": "Bad", "time_zone": "UTC", "ical": "BEGIN:VCALENDAR\nthis is not ical"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_ical"
    assert not Schedule.objects.exists()


def test_rotations_and_overrides_through_the_api(api_as, manager, agent):
    alice, bob = make_engineer(), make_engineer()
    client = api_as(manager)
    schedule = post(client, "/api/v1/schedules", {"name": "Ops", "time_zone": "UTC"}).json()
    sid = schedule["id"]
    empty = post(
        client,
        f"/api/v1/schedules/{sid}/rotations",
        {"name": "R", "kind": "daily", "start_date": "2026-03-01", "members": []},
    )
    assert empty.status_code == 422 and empty.json()["code"] == "empty_rotation"
    unknown = post(
        client,
        f"/api/v1/schedules/{sid}/rotations",
        {
            "name": "R",
            "kind": "daily",
            "start_date": "2026-03-01",
            "members": ["nobody@nowhere.example"],
        },
    )
    assert unknown.status_code == 422 and "nobody@nowhere.example" in unknown.json()["detail"]
    created = post(
        client,
        f"/api/v1/schedules/{sid}/rotations",
        {
            "name": "R",
            "kind": "daily",
            "handoff_time": "09:00",
            "start_date": "2026-03-01",
            "members": [alice.email, bob.email],
        },
    )
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    changed = patch(
        client, f"/api/v1/schedules/{sid}/rotations/{rid}", {"members": [bob.email, alice.email]}
    )
    assert changed.json()["members"] == [bob.email, alice.email]
    # Any staff member may cover a shift.
    override = post(
        api_as(agent),
        f"/api/v1/schedules/{sid}/overrides",
        {"user": alice.email, "start": "2026-03-01T10:00:00Z", "end": "2026-03-01T11:00:00Z"},
    )
    assert override.status_code == 201, override.content
    naive = post(
        api_as(agent),
        f"/api/v1/schedules/{sid}/overrides",
        {"user": alice.email, "start": "2026-03-01T10:00:00", "end": "2026-03-01T11:00:00"},
    )
    assert naive.status_code == 422 and naive.json()["code"] == "naive_datetime"
    assert Override.objects.count() == 1
    at = api_as(agent).get(f"/api/v1/schedules/{sid}/oncall", {"at": "2026-03-01T10:30:00Z"})
    assert at.json() == {"users": [{"email": alice.email}]}
    # Agents may not change the rota's structure.
    refused = post(
        api_as(agent),
        f"/api/v1/schedules/{sid}/rotations",
        {"name": "X", "start_date": "2026-03-01", "members": [alice.email]},
    )
    assert refused.status_code == 403


def test_policies_through_the_api(api_as, manager, world):
    client = api_as(manager)
    created = post(
        client,
        "/api/v1/escalation-policies",
        {
            "name": "Urgent",
            "is_default": True,
            "repeat_times": 2,
            "ack_timeout_minutes": 30,
            "steps": [
                {"kind": "schedule", "schedule_id": world["schedule"].pk, "wait_minutes": 5},
                {"kind": "user", "user": world["bob"].email, "wait_minutes": 10},
            ],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["is_default"] and [s["kind"] for s in body["steps"]] == ["schedule", "user"]
    zero = post(
        client,
        "/api/v1/escalation-policies",
        {
            "name": "Zero",
            "steps": [{"kind": "user", "user": world["bob"].email, "wait_minutes": 0}],
        },
    )
    assert zero.status_code == 422 and zero.json()["code"] == "invalid_wait"
    empty = post(client, "/api/v1/escalation-policies", {"name": "Empty", "steps": []})
    assert empty.status_code == 422 and empty.json()["code"] == "empty_ladder"
    loop = patch(
        client,
        f"/api/v1/escalation-policies/{body['id']}",
        {
            "steps": [{"kind": "policy", "policy_id": body["id"], "wait_minutes": 5}],
        },
    )
    assert loop.status_code == 422 and loop.json()["code"] == "policy_loop"
    assert EscalationPolicy.objects.get().steps.count() == 2


def test_acknowledge_through_the_api(api_as, agent, world):
    policy = make_policy(StepInput(kind="user", user=world["alice"], wait_minutes=5))
    page = services.page_start(policy=policy, source="ticket:RD-5", title="x", url="", urgent=True)
    page_advance(page_id=page.pk)
    response = api_as(agent).post(f"/api/v1/pages/{page.pk}/acknowledge")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "acknowledged" and body["acknowledged_by"] == agent.email
    assert [e["kind"] for e in body["events"]] == ["started", "notified", "acknowledged"]
    assert body["events"][1]["person"] == world["alice"].email
    assert body["events"][1]["channel"] == "email"
    resolved = api_as(agent).post(f"/api/v1/pages/{page.pk}/resolve")
    assert resolved.json()["status"] == "resolved"
    again = api_as(agent).post(f"/api/v1/pages/{page.pk}/acknowledge")
    assert again.status_code == 409


def test_start_page_through_the_api(api_as, agent, world):
    make_policy(StepInput(kind="user", user=world["alice"], wait_minutes=5), is_default=True)
    response = post(
        api_as(agent), "/api/v1/pages", {"title": "Probe failed", "source": "monitor:probe-1"}
    )
    assert response.status_code == 201, response.content
    assert Page.objects.get().source == "monitor:probe-1"


def test_customers_get_404_everywhere(api_as, customer_a, world):
    client = api_as(customer_a)
    sid = world["schedule"].pk
    assert client.get("/api/v1/schedules").status_code == 404
    assert client.get(f"/api/v1/schedules/{sid}/oncall").status_code == 404
    assert client.get(f"/api/v1/schedules/{sid}/gaps").status_code == 404
    assert post(client, "/api/v1/schedules", {"name": "x", "time_zone": "UTC"}).status_code == 404
    assert client.post("/api/v1/pages/1/acknowledge").status_code == 404


def test_gap_window_default_and_limit(api_as, agent, world):
    url = f"/api/v1/schedules/{world['schedule'].pk}/gaps"
    assert api_as(agent).get(url).status_code == 200
    start = datetime(2026, 1, 1, tzinfo=UTC)
    too_long = api_as(agent).get(
        url, {"start": start.isoformat(), "end": (start + timedelta(days=400)).isoformat()}
    )
    assert too_long.status_code == 422
