"""The people's side of the monitoring API: incidents, ingest tokens, silences, maintenance,
rules, health; a customer sees only its own deployments (404 otherwise)."""

from datetime import timedelta

import pytest

from roadie.accounts.models import Role
from roadie.core import clock
from roadie.core.tests.factories import make_user
from roadie.monitoring.models import Incident, IngestToken, MaintenanceWindow, Silence
from roadie.monitoring.tests.factories import (
    fixture,
    ingest_client,
    make_monitored,
    post_json,
    sample,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident_a(monitored, policy):
    _deployment, token = monitored
    post_json(
        ingest_client(token), "/api/v1/ingest/alertmanager", fixture("alertmanager_firing.json")
    )
    return Incident.objects.get()


@pytest.fixture
def incident_b(org_b, policy):
    deployment, token = make_monitored(org_b)
    post_json(
        ingest_client(token), "/api/v1/ingest/alertmanager", fixture("alertmanager_firing.json")
    )
    return Incident.objects.get(deployment=deployment)


def test_incidents_list_has_the_documented_fields(incident_a, api_as, agent):
    response = api_as(agent).get(f"/api/v1/incidents?deployment={incident_a.deployment_id}")
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["title"] == "SRSHighCPU"
    assert item["rule"] == "SRSHighCPU"
    assert item["status"] == "open"
    assert item["severity"] == "critical"
    assert item["dedup_key"] == item["fingerprint"] == "c6bd1f3bb7a1ec5e"
    assert item["opened_at"].startswith("2026-11-25T08:00:12")
    assert item["resolved_at"] is None
    assert item["ticket"] == incident_a.ticket.number


def test_a_customer_sees_its_own_incidents_only(incident_a, incident_b, api_as, customer_a):
    client = api_as(customer_a)
    items = client.get("/api/v1/incidents").json()["items"]
    assert [i["id"] for i in items] == [incident_a.pk]
    assert client.get(f"/api/v1/incidents?deployment={incident_b.deployment_id}").status_code == 404
    assert client.get(f"/api/v1/incidents/{incident_b.pk}").status_code == 404
    detail = client.get(f"/api/v1/incidents/{incident_a.pk}").json()
    assert [e["kind"] for e in detail["events"]][:1] == ["opened"]
    assert len(detail["alerts"]) == 2
    assert detail["pages"][0]["status"] == "triggered"


def test_customers_cannot_resolve_incidents(incident_a, api_as, customer_a):
    response = api_as(customer_a).post(f"/api/v1/incidents/{incident_a.pk}/resolve")
    assert response.status_code == 403
    incident_a.refresh_from_db()
    assert incident_a.status == "open"


def test_staff_acknowledge_and_resolve(incident_a, api_as, agent):
    client = api_as(agent)
    assert client.post(f"/api/v1/incidents/{incident_a.pk}/acknowledge").json()["status"] == (
        "acknowledged"
    )
    assert client.post(f"/api/v1/incidents/{incident_a.pk}/resolve").json()["status"] == "resolved"
    again = client.post(f"/api/v1/incidents/{incident_a.pk}/resolve")
    assert again.status_code == 409


def test_incidents_paginate_newest_first(monitored, policy, api_as, agent):
    _deployment, token = monitored
    client = ingest_client(token)
    for n in range(3):
        body = fixture("events_trigger.json")
        body["dedup_key"] = f"k{n}"
        post_json(client, "/api/v1/ingest/events", body)
    first = api_as(agent).get("/api/v1/incidents?limit=2").json()
    assert [i["dedup_key"] for i in first["items"]] == ["k2", "k1"]
    rest = api_as(agent).get(f"/api/v1/incidents?limit=2&before={first['next']}").json()
    assert [i["dedup_key"] for i in rest["items"]] == ["k0"] and rest["next"] is None
    assert api_as(agent).get("/api/v1/incidents?status=open").json()["items"]


# --- ingest tokens -----------------------------------------------------------------------------


def test_a_customer_admin_creates_a_token_shown_once(monitored, api_as, customer_a):
    deployment, _token = monitored
    url = f"/api/v1/deployments/{deployment.pk}/ingest-tokens"
    response = api_as(customer_a).post(url)
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("rdi_")
    row = IngestToken.objects.get(pk=response.json()["id"])
    assert token not in row.token_hash and row.token_hash != token
    listed = api_as(customer_a).get(url).json()["items"]
    assert all("token" not in item for item in listed)
    assert (
        post_json(
            ingest_client(token),
            "/api/v1/ingest/metrics",
            {"samples": [sample("heartbeat", 1, clock.now().timestamp())]},
        ).status_code
        == 202
    )


def test_rotating_revokes_the_other_tokens(monitored, api_as, agent):
    deployment, old = monitored
    response = api_as(agent).post(
        f"/api/v1/deployments/{deployment.pk}/ingest-tokens",
        {"name": "rotated", "replace": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = {"samples": [sample("heartbeat", 1, clock.now().timestamp())]}
    assert post_json(ingest_client(old), "/api/v1/ingest/metrics", body).status_code == 401
    new = response.json()["token"]
    assert post_json(ingest_client(new), "/api/v1/ingest/metrics", body).status_code == 202


def test_a_customer_member_may_not_manage_tokens(monitored, api_as, org_a):
    deployment, _token = monitored
    member = make_user(Role.CUSTOMER_MEMBER, org_a)
    response = api_as(member).post(f"/api/v1/deployments/{deployment.pk}/ingest-tokens")
    assert response.status_code == 403
    listed = api_as(member).get(f"/api/v1/deployments/{deployment.pk}/ingest-tokens")
    assert listed.json()["items"] == []


def test_another_organization_s_deployment_is_404(monitored, api_as, customer_b):
    deployment, _token = monitored
    token_id = deployment.ingest_tokens.get().pk
    client = api_as(customer_b)
    base = f"/api/v1/deployments/{deployment.pk}"
    assert client.post(f"{base}/ingest-tokens").status_code == 404
    assert client.get(f"{base}/ingest-tokens").status_code == 404
    assert client.delete(f"{base}/ingest-tokens/{token_id}").status_code == 404
    assert client.get(f"{base}/health").status_code == 404
    assert client.get(f"{base}/rules").status_code == 404
    assert client.get(f"{base}/silences").status_code == 404
    assert client.get(f"{base}/maintenance").status_code == 404
    assert IngestToken.objects.get(pk=token_id).revoked_at is None


def test_a_token_id_of_another_deployment_is_404(monitored, org_b, api_as, agent):
    deployment, _token = monitored
    other, _other_token = make_monitored(org_b)
    other_id = other.ingest_tokens.get().pk
    response = api_as(agent).delete(f"/api/v1/deployments/{deployment.pk}/ingest-tokens/{other_id}")
    assert response.status_code == 404


# --- silences, maintenance, rules, health -------------------------------------------------------


def test_staff_silence_and_expire(monitored, api_as, agent, customer_a):
    deployment, _token = monitored
    ends = (clock.now() + timedelta(hours=2)).isoformat()
    url = f"/api/v1/deployments/{deployment.pk}/silences"
    body = {"ends_at": ends, "comment": "investigating", "rule": "cpu_high"}
    assert api_as(customer_a).post(url, body, content_type="application/json").status_code == 403
    response = api_as(agent).post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    silence_id = response.json()["id"]
    assert api_as(customer_a).get(url).json()["items"][0]["rule"] == "cpu_high"
    assert api_as(agent).delete(f"{url}/{silence_id}").status_code == 204
    assert Silence.objects.get(pk=silence_id).ends_at <= clock.now()


def test_a_customer_admin_plans_maintenance(monitored, api_as, customer_a):
    deployment, _token = monitored
    url = f"/api/v1/deployments/{deployment.pk}/maintenance"
    starts = clock.now() + timedelta(hours=1)
    body = {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "reason": "升级到 2.5.0",
    }
    response = api_as(customer_a).post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    window_id = response.json()["id"]
    # Not begun yet: ending it removes it.
    assert api_as(customer_a).delete(f"{url}/{window_id}").status_code == 204
    assert not MaintenanceWindow.objects.exists()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"ends_at": "2020-01-01T00:00:00Z", "reason": "x"}, "ends_at"),
        ({"ends_at": "2099-01-01T00:00:00", "reason": "x"}, "ends_at"),
        ({"reason": "x"}, "ends_at"),
    ],
)
def test_bad_maintenance_windows_are_422(monitored, api_as, agent, body, field):
    deployment, _token = monitored
    response = api_as(agent).post(
        f"/api/v1/deployments/{deployment.pk}/maintenance", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_rules_show_their_layer_and_staff_override_them(monitored, api_as, agent, customer_a):
    deployment, _token = monitored
    base = f"/api/v1/deployments/{deployment.pk}/rules"
    rows = {r["rule"]: r for r in api_as(customer_a).get(base).json()["items"]}
    assert (
        rows["cpu_high"]["params"]["threshold"] == 90.0 and rows["cpu_high"]["layer"] == "default"
    )
    assert set(rows) == {
        "cpu_high",
        "disk_full",
        "service_down",
        "heartbeat_missing",
        "backup_stale",
        "memory_leak",
    }
    put = api_as(agent).put(
        f"{base}/cpu_high", {"params": {"threshold": 95}}, content_type="application/json"
    )
    assert put.status_code == 200
    rows = {r["rule"]: r for r in put.json()["items"]}
    assert (
        rows["cpu_high"]["params"]["threshold"] == 95 and rows["cpu_high"]["layer"] == "deployment"
    )
    refused = api_as(customer_a).put(
        f"{base}/cpu_high", {"params": {"threshold": 10}}, content_type="application/json"
    )
    assert refused.status_code == 403
    bad = api_as(agent).put(
        f"{base}/cpu_high", {"params": {"threshold": 900}}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "params.threshold"
    assert api_as(agent).put(f"{base}/nope", {}, content_type="application/json").status_code == 404
    assert api_as(agent).delete(f"{base}/cpu_high").status_code == 204


def test_product_defaults_by_staff_only(monitored, api_as, agent, customer_a):
    deployment, _token = monitored
    url = f"/api/v1/products/{deployment.product.slug}/rules/memory_leak"
    body = {"params": {"warning_hours": 48}}
    assert api_as(customer_a).put(url, body, content_type="application/json").status_code == 404
    response = api_as(agent).put(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["layer"] == "product"
    rows = api_as(agent).get(f"/api/v1/deployments/{deployment.pk}/rules").json()["items"]
    leak = next(r for r in rows if r["rule"] == "memory_leak")
    assert leak["params"]["warning_hours"] == 48 and leak["layer"] == "product"


def test_health_shows_the_latest_figures(monitored, api_as, customer_a):
    deployment, token = monitored
    t = clock.now().timestamp()
    post_json(
        ingest_client(token),
        "/api/v1/ingest/metrics",
        {"samples": [sample("heartbeat", 1, t), sample("disk_used_percent", 40, t, mount="/data")]},
    )
    body = api_as(customer_a).get(f"/api/v1/deployments/{deployment.pk}/health").json()
    assert body["monitored"] is True
    disk = next(f for f in body["figures"] if f["name"] == "disk_used_percent")
    assert disk["labels"] == {"mount": "/data"} and disk["value"] == 40
