"""The notifications API: channels (tenant-scoped), own preferences, dead letters."""

import json

import pytest

from roadie.core import clock
from roadie.notifications.models import Channel, OutboxMessage
from roadie.notifications.services import channel_create
from roadie.notifications.tests.receivers import DingTalkReceiver

pytestmark = pytest.mark.django_db

SECRET = "SECapi0123456789"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_manager_creates_vendor_and_organization_channels(api_as, manager, org_a):
    client = api_as(manager)
    vendor = post(
        client,
        "/api/v1/channels",
        {
            "kind": "dingtalk",
            "name": "值班群",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456",
            "secret": "SEC1",
        },
    )
    assert vendor.status_code == 201, vendor.content
    body = vendor.json()
    assert body["organization"] is None and body["rate_limit_per_minute"] == 20
    assert body["has_secret"] is True and "secret" not in body
    assert "abcdef123456" not in body["url"] and body["url"].endswith("access_token=…3456")
    org = post(
        client,
        "/api/v1/channels",
        {
            "kind": "webhook",
            "name": "ops",
            "url": "https://ops.alpha.example/hook",
            "organization": "alpha",
        },
    )
    assert org.status_code == 201 and org.json()["organization"] == "alpha"
    assert len(client.get("/api/v1/channels").json()["items"]) == 2


def test_an_invalid_url_is_a_clear_422(api_as, manager):
    response = post(
        api_as(manager),
        "/api/v1/channels",
        {
            "kind": "webhook",
            "name": "bad",
            "url": "ftp://example.com/x",
        },
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "url"


def test_customers_manage_only_their_own_organizations_channels(api_as, customer_a, org_a, org_b):
    theirs = channel_create(
        by=None, kind="webhook", name="beta", url="https://beta.example/h", organization=org_b
    )
    client = api_as(customer_a)
    mine = post(
        client,
        "/api/v1/channels",
        {
            "kind": "webhook",
            "name": "ours",
            "url": "https://alpha.example/h",
        },
    )
    assert mine.status_code == 201 and mine.json()["organization"] == "alpha"
    assert (
        post(
            client,
            "/api/v1/channels",
            {
                "kind": "webhook",
                "name": "x",
                "url": "https://x.example/h",
                "organization": "beta",
            },
        ).status_code
        == 404
    )
    assert [c["name"] for c in client.get("/api/v1/channels").json()["items"]] == ["ours"]
    assert client.get(f"/api/v1/channels/{theirs.pk}").status_code == 404
    assert (
        client.patch(
            f"/api/v1/channels/{theirs.pk}",
            json.dumps({"enabled": False}),
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/channels/{theirs.pk}/test").status_code == 404
    theirs.refresh_from_db()
    assert theirs.enabled


def test_the_test_action_reports_what_the_robot_answered(api_as, manager):
    with DingTalkReceiver(SECRET) as robot:
        good = channel_create(by=manager, kind="dingtalk", name="ok", url=robot.url, secret=SECRET)
        bad = channel_create(by=manager, kind="dingtalk", name="bad", url=robot.url, secret="x")
        client = api_as(manager)
        assert client.post(f"/api/v1/channels/{good.pk}/test").json() == {
            "ok": True,
            "detail": "ok",
        }
        failed = client.post(f"/api/v1/channels/{bad.pk}/test").json()
    assert failed["ok"] is False and "310000" in failed["detail"]
    assert len(robot.messages) == 1
    bad.refresh_from_db()
    assert "310000" in bad.last_error


def test_preferences_read_defaults_and_save_routes(api_as, customer_a):
    client = api_as(customer_a)
    current = client.get("/api/v1/notification-preferences").json()
    assert current["routes"] == {} and current["time_zone"] == "Asia/Shanghai"
    assert current["targets"][0]["id"] == "email"
    personal = channel_create(
        by=customer_a,
        kind="slack",
        name="me",
        url="https://hooks.slack.com/services/T/B/X",
        user=customer_a,
    )
    saved = client.put(
        "/api/v1/notification-preferences",
        json.dumps(
            {
                "routes": {"ticket.reply": ["email", str(personal.pk)], "*": ["email"]},
                "quiet_start": "22:00",
                "quiet_end": "07:30",
                "time_zone": "Europe/Berlin",
            }
        ),
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["routes"]["ticket.reply"] == ["email", str(personal.pk)]
    assert saved.json()["quiet_end"] == "07:30:00"
    bad = client.put(
        "/api/v1/notification-preferences",
        json.dumps({"routes": {"*": ["999999"]}}),
        content_type="application/json",
    )
    assert bad.status_code == 422


def _dead() -> OutboxMessage:
    return OutboxMessage.objects.create(
        recipient="ops@alpha.example",
        subject="x",
        body="y",
        idempotency_key="dead:1",
        status=OutboxMessage.Status.DEAD,
        attempts=8,
        next_attempt_at=clock.now(),
        last_error="DingTalk errcode 310000: sign not match",
    )


def test_dead_letters_are_for_managers_and_admins(api_as, manager, agent, customer_a):
    message = _dead()
    assert api_as(customer_a).get("/api/v1/outbox?status=dead").status_code == 404
    assert api_as(customer_a).post(f"/api/v1/outbox/{message.pk}/retry").status_code == 404
    assert api_as(agent).get("/api/v1/outbox?status=dead").status_code == 403
    client = api_as(manager)
    [item] = client.get("/api/v1/outbox?status=dead").json()["items"]
    assert item["last_error"].startswith("DingTalk errcode 310000")
    retried = client.post(f"/api/v1/outbox/{message.pk}/retry")
    assert retried.status_code == 200
    message.refresh_from_db()
    assert message.status != OutboxMessage.Status.DEAD
    again = client.post(f"/api/v1/outbox/{message.pk}/retry")
    assert again.status_code == 409
    assert Channel.objects.count() == 0
