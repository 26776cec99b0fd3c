"""POST /api/v1/ingest/metrics: the shape kept, the bad input list, all-or-nothing."""

import json
from datetime import timedelta, timezone

import pytest
from django.test import Client, override_settings

from roadie.core import clock
from roadie.core.tests.factories import make_token
from roadie.monitoring import selectors
from roadie.monitoring.models import DeploymentHealth, IngestBatch, Sample
from roadie.monitoring.tests.factories import (
    ingest_client,
    make_monitored,
    post_json,
    sample,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/ingest/metrics"


def now_ts():
    return clock.now().timestamp()


def test_the_documented_shape_is_accepted(monitored):
    deployment, token = monitored
    local = clock.now().astimezone(timezone(timedelta(hours=8))).replace(microsecond=0)
    body = {
        "samples": [
            {"name": "cpu_percent", "value": 93.5, "ts": local.isoformat()},
            {
                "name": "process_rss_bytes",
                "value": 812_000_000,
                "ts": local.isoformat(),
                "labels": {"process": "srs"},
            },
        ]
    }
    assert local.isoformat().endswith("+08:00")
    response = post_json(ingest_client(token), URL, body)
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 2, "duplicate": False}
    rss = Sample.objects.get(name="process_rss_bytes")
    assert rss.deployment_id == deployment.pk
    assert json.loads(rss.labels) == {"process": "srs"}
    health = DeploymentHealth.objects.get(deployment=deployment)
    assert health.last_report_at is not None
    latest = selectors.latest_values(deployment=deployment, now=clock.now())
    assert latest["cpu_percent"][""][1] == 93.5


def test_heartbeat_and_backup_age_update_the_deployment_health(monitored):
    deployment, token = monitored
    t = now_ts()
    body = {
        "samples": [
            sample("heartbeat", 1, t - 60),
            sample("heartbeat", 1, t),
            sample("heartbeat", 0, t, probe="http"),
            sample("backup_age_seconds", 3600, t),
        ]
    }
    assert post_json(ingest_client(token), URL, body).status_code == 202
    health = DeploymentHealth.objects.get(deployment=deployment)
    assert health.last_heartbeat_at.timestamp() == pytest.approx(t)
    assert health.newest_backup_at.timestamp() == pytest.approx(t - 3600)
    # An older batch arriving late moves neither back.
    late = {"samples": [sample("heartbeat", 1, t - 600), sample("backup_age_seconds", 10, t - 600)]}
    assert post_json(ingest_client(token), URL, late).status_code == 202
    health.refresh_from_db()
    assert health.last_heartbeat_at.timestamp() == pytest.approx(t)
    assert health.newest_backup_at.timestamp() == pytest.approx(t - 3600)
    newer = {"samples": [sample("backup_age_seconds", 5, t + 60)]}
    assert post_json(ingest_client(token), URL, newer).status_code == 202
    health.refresh_from_db()
    assert health.newest_backup_at.timestamp() == pytest.approx(t + 55)


def test_the_reported_product_version_updates_the_deployment(monitored):
    deployment, token = monitored
    body = {"samples": [sample("heartbeat", 1, now_ts())], "version": "2.5.0", "agent": "x"}
    assert post_json(ingest_client(token), URL, body).status_code == 202
    deployment.refresh_from_db()
    assert deployment.version == "2.5.0"
    assert DeploymentHealth.objects.get(deployment=deployment).reported_version == "2.5.0"


def test_a_resent_batch_with_the_same_idempotency_key_is_stored_once(monitored):
    _deployment, token = monitored
    body = {"samples": [sample("cpu_percent", 10, now_ts())]}
    client = ingest_client(token)
    first = post_json(client, URL, body, HTTP_IDEMPOTENCY_KEY="agent-1-42")
    second = post_json(client, URL, body, HTTP_IDEMPOTENCY_KEY="agent-1-42")
    assert first.json() == {"accepted": 1, "duplicate": False}
    assert second.status_code == 202
    assert second.json() == {"accepted": 1, "duplicate": True}
    assert Sample.objects.count() == 1


# --- bad input: 4xx with a problem body, nothing half-stored, nobody else touched ---------------


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    if field:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def assert_nothing_stored():
    assert Sample.objects.count() == 0
    assert IngestBatch.objects.count() == 0
    assert DeploymentHealth.objects.count() == 0


def test_a_sample_older_than_seven_days_refuses_the_batch_naming_its_index(monitored):
    _deployment, token = monitored
    t = now_ts()
    samples = [sample("cpu_percent", 5, t) for _ in range(5)]
    samples[3] = sample("cpu_percent", 5, t - 8 * 86400)
    response = post_json(ingest_client(token), URL, {"samples": samples}, HTTP_ACCEPT_LANGUAGE="en")
    body = assert_problem(response, 422, "samples.3.ts")
    assert "3" in body["detail"] and "7 days" in body["detail"]
    assert body["code"] == "sample_outside_window"
    assert_nothing_stored()


def test_a_sample_from_the_future_refuses_the_batch(monitored):
    _deployment, token = monitored
    t = now_ts()
    samples = [sample("cpu_percent", 5, t), sample("cpu_percent", 5, t + 600)]
    assert_problem(post_json(ingest_client(token), URL, {"samples": samples}), 422, "samples.1.ts")
    assert_nothing_stored()


def test_four_minutes_ahead_and_six_days_old_are_accepted(monitored):
    _deployment, token = monitored
    t = now_ts()
    samples = [sample("cpu_percent", 5, t + 240), sample("cpu_percent", 5, t - 6 * 86400)]
    assert post_json(ingest_client(token), URL, {"samples": samples}).status_code == 202


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinite_values_are_refused(monitored, literal):
    _deployment, token = monitored
    ts = clock.now().isoformat()
    first = f'{{"name": "cpu_percent", "value": 1, "ts": "{ts}"}}'
    second = f'{{"name": "cpu_percent", "value": {literal}, "ts": "{ts}"}}'
    raw = f'{{"samples": [{first}, {second}]}}'
    assert_problem(post_json(ingest_client(token), URL, raw), 422, "samples.1.value")
    assert_nothing_stored()


def test_malformed_json_is_a_400_problem(monitored):
    _deployment, token = monitored
    assert_problem(post_json(ingest_client(token), URL, '{"samples": [{"name": '), 400)
    assert_nothing_stored()


@pytest.mark.parametrize(
    "body,field",
    [
        ([], "payload"),
        ({"samples": []}, "samples"),
        (
            {"samples": [{"name": "cpu percent!", "value": 1, "ts": "2026-11-25T08:00:00Z"}]},
            "samples.0.name",
        ),
        ({"samples": [{"name": "cpu", "value": 1, "ts": "2026-11-25T08:00:00"}]}, "samples.0.ts"),
        (
            {"samples": [{"name": "cpu", "value": "high", "ts": "2026-11-25T08:00:00Z"}]},
            "samples.0.value",
        ),
        (
            {
                "samples": [
                    {
                        "name": "cpu",
                        "value": 1,
                        "ts": "2026-11-25T08:00:00Z",
                        "labels": {"a b": "x"},
                    }
                ]
            },
            "samples.0.labels",
        ),
    ],
)
def test_wrong_shapes_are_422_problems(monitored, body, field):
    _deployment, token = monitored
    problem = assert_problem(post_json(ingest_client(token), URL, body), 422)
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    assert_nothing_stored()


def test_a_body_over_the_limit_is_413_before_anything_is_read(monitored):
    _deployment, token = monitored
    t = now_ts()
    with override_settings(ROADIE_INGEST_MAX_BYTES=2000):
        body = {"samples": [sample("cpu_percent", 5, t) for _ in range(40)]}
        assert_problem(post_json(ingest_client(token), URL, body), 413)
        # Even unauthenticated: the size is checked first.
        assert_problem(post_json(Client(), URL, body), 413)
    assert_nothing_stored()


@pytest.mark.parametrize(
    "header", ["", "Bearer ", "Bearer rdi_wrong", "Token rdi_x", "Bearer rd_x"]
)
def test_a_wrong_token_is_401(monitored, header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = post_json(client, URL, {"samples": [sample("cpu_percent", 5, now_ts())]})
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_nothing_stored()


def test_a_person_s_api_token_is_not_an_ingest_token(monitored, customer_a):
    response = post_json(
        Client(HTTP_AUTHORIZATION=f"Bearer {make_token(customer_a)}"),
        URL,
        {"samples": [sample("cpu_percent", 5, now_ts())]},
    )
    assert_problem(response, 401)


def test_a_revoked_token_is_401(monitored, api_as, agent):
    deployment, token = monitored
    token_id = deployment.ingest_tokens.get().pk
    response = api_as(agent).delete(f"/api/v1/deployments/{deployment.pk}/ingest-tokens/{token_id}")
    assert response.status_code == 204
    assert_problem(
        post_json(ingest_client(token), URL, {"samples": [sample("cpu_percent", 5, now_ts())]}),
        401,
    )
    assert_nothing_stored()


def test_a_token_writes_only_its_own_deployment(monitored, org_b):
    deployment_a, _token_a = monitored
    deployment_b, token_b = make_monitored(org_b)
    post_json(ingest_client(token_b), URL, {"samples": [sample("cpu_percent", 5, now_ts())]})
    assert set(Sample.objects.values_list("deployment_id", flat=True)) == {deployment_b.pk}
    assert not DeploymentHealth.objects.filter(deployment=deployment_a).exists()


def test_an_invalid_version_refuses_the_batch(monitored):
    _deployment, token = monitored
    body = {"samples": [sample("heartbeat", 1, now_ts())], "version": "latest"}
    assert_problem(post_json(ingest_client(token), URL, body), 422, "version")
    assert_nothing_stored()
