"""Console and portal pages for monitoring, and /metrics."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roadie.core import clock
from roadie.core.tests.factories import make_token
from roadie.monitoring import services
from roadie.monitoring.evaluate import evaluate_rules
from roadie.monitoring.models import Incident, IngestToken, MaintenanceWindow, Silence
from roadie.monitoring.tests.factories import (
    fixture,
    ingest_client,
    make_monitored,
    post_json,
    sample,
)

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def report(token, *, minutes=90, cpu=30.0):
    t = clock.now().timestamp()
    samples = []
    for m in range(minutes):
        ts = t - (minutes - m) * 60
        samples += [
            sample("heartbeat", 1, ts),
            sample("cpu_percent", cpu, ts),
            sample("memory_used_bytes", 6e9, ts),
            sample("memory_total_bytes", 16e9, ts),
            sample("process_rss_bytes", 8e8, ts, process="srs"),
            sample("disk_used_percent", 41, ts, mount="/"),
            sample("live_streams", 120 + m, ts),
        ]
    response = post_json(ingest_client(token), "/api/v1/ingest/metrics", {"samples": samples})
    assert response.status_code == 202
    services.samples_roll_up()


def test_fleet_shows_silent_leaking_and_backup_flags_in_constant_queries(org_a, org_b, agent):
    deployments = []
    for organization in (org_a, org_b, org_a):
        deployment, token = make_monitored(organization)
        deployments.append(deployment)
        post_json(
            ingest_client(token),
            "/api/v1/ingest/metrics",
            {"samples": [sample("heartbeat", 1, clock.now().timestamp() - 600)]},
        )
    evaluate_rules()
    client = logged_in(agent)
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("console:monitoring:fleet"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="mon-flag bad"') == 3  # all three silent
    for _ in range(3):
        make_monitored(org_b)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("console:monitoring:fleet"))
    assert len(more) == len(few)
    silent = client.get(reverse("console:monitoring:fleet") + "?show=silent").content.decode()
    assert silent.count("/console/monitoring/deployments/") == 3
    leaking = client.get(reverse("console:monitoring:fleet") + "?show=leaking").content.decode()
    assert "/console/monitoring/deployments/" not in leaking


def test_console_deployment_page_has_charts_figures_and_incidents(monitored, policy, agent):
    deployment, token = monitored
    report(token)
    post_json(
        ingest_client(token), "/api/v1/ingest/alertmanager", fixture("alertmanager_firing.json")
    )
    response = logged_in(agent).get(reverse("console:monitoring:deployment", args=[deployment.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('<svg class="spark"') >= 10  # CPU, memory, RSS, disk, streams × 24 h, 7 d
    assert re.search(r'<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+', body)
    assert "SRSHighCPU" in body
    assert Incident.objects.get().ticket.number in body


def test_console_creates_a_token_once_and_revokes_it(monitored, agent):
    deployment, _token = monitored
    client = logged_in(agent)
    response = client.post(
        reverse("console:monitoring:token_create", args=[deployment.pk]), {"name": "agent"}
    )
    assert response.status_code == 200
    plain = re.search(r"(rdi_[A-Za-z0-9_-]+)</code>", response.content.decode()).group(1)
    token = IngestToken.objects.get(name="agent")
    page = client.get(reverse("console:monitoring:deployment", args=[deployment.pk]))
    assert plain not in page.content.decode()
    client.post(reverse("console:monitoring:token_revoke", args=[deployment.pk, token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_console_silence_maintenance_and_rule_forms(monitored, agent):
    deployment, _token = monitored
    client = logged_in(agent)
    ends = timezone.localtime(clock.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("console:monitoring:silence_create", args=[deployment.pk]),
        {"rule": "disk_full", "matchers": "mount=/data", "ends_at": ends, "comment": "migrating"},
    )
    assert response.status_code == 302
    assert Silence.objects.get().matchers == {"mount": "/data"}
    response = client.post(
        reverse("console:monitoring:maintenance_create", args=[deployment.pk]),
        {"ends_at": ends, "reason": "upgrade"},
    )
    assert response.status_code == 302 and MaintenanceWindow.objects.exists()
    response = client.post(
        reverse("console:monitoring:rule_set", args=[deployment.pk]),
        {"rule": "cpu_high", "enabled": "on", "params": '{"threshold": 950}'},
    )
    assert response.status_code == 422
    response = client.post(
        reverse("console:monitoring:rule_set", args=[deployment.pk]),
        {"rule": "cpu_high", "enabled": "on", "params": '{"threshold": 95}'},
    )
    assert response.status_code == 302
    page = client.get(reverse("console:monitoring:deployment", args=[deployment.pk])).content
    assert b"threshold=95" in page


def test_console_incident_page_and_actions(monitored, policy, agent):
    _deployment, token = monitored
    post_json(
        ingest_client(token), "/api/v1/ingest/alertmanager", fixture("alertmanager_firing.json")
    )
    incident = Incident.objects.get()
    client = logged_in(agent)
    page = client.get(reverse("console:monitoring:incident", args=[incident.pk]))
    assert page.status_code == 200 and b"live-02:9100" in page.content
    client.post(reverse("console:monitoring:incident_acknowledge", args=[incident.pk]))
    client.post(reverse("console:monitoring:incident_resolve", args=[incident.pk]))
    incident.refresh_from_db()
    assert incident.status == "resolved"
    listing = client.get(reverse("console:monitoring:incidents"))
    assert b"SRSHighCPU" in listing.content


def test_customers_never_reach_the_console_pages(monitored, customer_a):
    deployment, _token = monitored
    client = logged_in(customer_a)
    assert client.get(reverse("console:monitoring:fleet")).status_code == 404
    assert (
        client.get(reverse("console:monitoring:deployment", args=[deployment.pk])).status_code
        == 404
    )


def test_portal_lists_own_deployments_and_shows_the_same_page(monitored, org_b, customer_a, policy):
    deployment, token = monitored
    other, _other_token = make_monitored(org_b)
    report(token)
    post_json(
        ingest_client(token), "/api/v1/ingest/alertmanager", fixture("alertmanager_firing.json")
    )
    client = logged_in(customer_a)
    listing = client.get(reverse("portal:monitoring:deployments")).content.decode()
    assert f"/portal/monitoring/{deployment.pk}/" in listing
    assert f"/portal/monitoring/{other.pk}/" not in listing
    page = client.get(reverse("portal:monitoring:deployment", args=[deployment.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert '<svg class="spark"' in body and "SRSHighCPU" in body
    assert reverse("portal:ticket", args=[Incident.objects.get().ticket.number]) in body
    assert client.get(reverse("portal:monitoring:deployment", args=[other.pk])).status_code == 404
    assert (
        client.post(reverse("portal:monitoring:token_create", args=[other.pk])).status_code == 404
    )


def test_portal_customer_admin_creates_a_token_and_plans_maintenance(monitored, customer_a):
    deployment, _token = monitored
    client = logged_in(customer_a)
    response = client.post(reverse("portal:monitoring:token_create", args=[deployment.pk]), {})
    assert response.status_code == 200
    assert re.search(r"rdi_[A-Za-z0-9_-]{20,}", response.content.decode())
    ends = timezone.localtime(clock.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("portal:monitoring:maintenance_create", args=[deployment.pk]),
        {"ends_at": ends, "reason": "机房迁移"},
    )
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    client.post(reverse("portal:monitoring:maintenance_end", args=[deployment.pk, window.pk]))
    window.refresh_from_db()
    assert window.ends_at <= clock.now()


# --- /metrics --------------------------------------------------------------------------------


def test_metrics_for_prometheus_with_a_staff_token(monitored, agent):
    _deployment, token = monitored
    post_json(
        ingest_client(token), "/api/v1/ingest/alertmanager", fixture("alertmanager_firing.json")
    )
    response = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(agent)}").get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    body = response.content.decode()
    assert "roadie_up 1" in body
    assert 'roadie_monitoring_incidents_open{severity="critical"} 1' in body
    assert 'roadie_monitoring_alerts_firing{source="alertmanager"} 2' in body
    assert "# TYPE roadie_tickets_open gauge" in body


def test_metrics_refuses_anonymous_and_customers(customer_a):
    anonymous = Client().get("/metrics")
    assert anonymous.status_code == 401
    assert logged_in(customer_a).get("/metrics").status_code == 404
    token = make_token(customer_a)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/metrics").status_code == 404
