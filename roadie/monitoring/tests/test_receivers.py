"""Alertmanager (webhook v4) and PagerDuty Events API v2 payloads, exactly as those tools send
them (fixtures/), into incidents, tickets and pages."""

import copy
from datetime import timedelta

import pytest
from django.test import Client

from roadie.core import clock
from roadie.monitoring.models import Alert, Incident, IncidentEvent, Source
from roadie.monitoring.services import incidents_settle
from roadie.monitoring.services.incidents import QUIET_SECONDS
from roadie.monitoring.tests.factories import fixture, ingest_client, make_monitored, post_json
from roadie.oncall.models import Page
from roadie.tickets.models import Comment, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
AM = "/api/v1/ingest/alertmanager"
EVENTS = "/api/v1/ingest/events"


def world_counts():
    return (
        Alert.objects.count(),
        Incident.objects.count(),
        IncidentEvent.objects.count(),
        Ticket.objects.count(),
        Comment.objects.count(),
        TicketEvent.objects.count(),
        Page.objects.count(),
        list(Alert.objects.order_by("pk").values_list("status", "severity", "summary")),
    )


# --- Alertmanager ---------------------------------------------------------------------------


def test_a_firing_notification_opens_one_incident_a_ticket_and_a_page(monitored, policy):
    deployment, token = monitored
    response = post_json(ingest_client(token), AM, fixture("alertmanager_firing.json"))
    assert response.status_code == 200, response.content
    assert response.json()["fired"] == 2
    incident = Incident.objects.get()
    assert incident.source == Source.ALERTMANAGER
    assert incident.title == "SRSHighCPU"  # the alert name
    assert incident.rule == "SRSHighCPU"
    assert incident.severity == "critical"
    assert incident.dedup_key == "c6bd1f3bb7a1ec5e"
    assert incident.alerts.count() == 2  # grouped per deployment and rule
    assert incident.opened_at.isoformat().startswith("2026-11-25T08:00:12.345678")
    ticket = incident.ticket
    assert ticket.deployment_id == deployment.pk
    assert ticket.organization_id == deployment.organization_id
    assert ticket.kind == "incident"
    assert ticket.severity == "important"  # critical, but not an outage
    assert ticket.requester.email.startswith("monitoring@")
    page = Page.objects.get(source=f"incident:{incident.pk}")
    assert page.status == Page.Status.TRIGGERED
    assert page.urgent is False


def test_the_same_notification_twice_changes_nothing(monitored, policy):
    _deployment, token = monitored
    client = ingest_client(token)
    post_json(client, AM, fixture("alertmanager_firing.json"))
    before = world_counts()
    again = post_json(client, AM, fixture("alertmanager_firing.json"))
    assert again.status_code == 200
    assert again.json()["unchanged"] == 2 and again.json()["fired"] == 0
    assert world_counts() == before


def test_resolved_twice_and_a_late_firing_duplicate_change_nothing(monitored, policy):
    _deployment, token = monitored
    client = ingest_client(token)
    post_json(client, AM, fixture("alertmanager_firing.json"))
    post_json(client, AM, fixture("alertmanager_resolved.json"))
    before = world_counts()
    post_json(client, AM, fixture("alertmanager_resolved.json"))
    # An HA peer's delayed copy of the firing notification for the same occurrence.
    post_json(client, AM, fixture("alertmanager_firing.json"))
    assert world_counts() == before


def test_state_goes_by_status_not_by_end_time(monitored, policy):
    _deployment, token = monitored
    payload = fixture("alertmanager_firing.json")
    # Some senders put an end time in the past on a firing alert; it still fires.
    payload["alerts"][0]["endsAt"] = "2026-11-25T08:05:00Z"
    post_json(ingest_client(token), AM, payload)
    assert Alert.objects.filter(status=Alert.Status.FIRING).count() == 2


def test_resolved_goes_quiet_then_resolves_with_its_duration(monitored, policy):
    _deployment, token = monitored
    client = ingest_client(token)
    post_json(client, AM, fixture("alertmanager_firing.json"))
    partial = fixture("alertmanager_resolved.json")
    partial["alerts"] = partial["alerts"][:1]
    post_json(client, AM, partial)
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.OPEN and incident.quiet_since is None
    post_json(client, AM, fixture("alertmanager_resolved.json"))
    incident.refresh_from_db()
    assert incident.quiet_since.isoformat().startswith("2026-11-25T08:25:42")
    incidents_settle(now=incident.quiet_since + timedelta(seconds=QUIET_SECONDS + 1))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    # From the first alert's start (08:00:12) to the last one's end (08:25:42).
    assert incident.duration_seconds == 25 * 60 + 29
    assert incident.ticket.status == "resolved"
    assert Page.objects.get(source=f"incident:{incident.pk}").status == Page.Status.RESOLVED


def test_a_flap_inside_the_quiet_period_keeps_the_same_incident(monitored, policy):
    _deployment, token = monitored
    client = ingest_client(token)
    post_json(client, AM, fixture("alertmanager_firing.json"))
    post_json(client, AM, fixture("alertmanager_resolved.json"))
    again = fixture("alertmanager_firing.json")
    for alert in again["alerts"]:
        alert["startsAt"] = "2026-11-25T08:27:00Z"
    post_json(client, AM, again)
    incident = Incident.objects.get()
    assert incident.flaps == 1 and incident.quiet_since is None
    assert Ticket.objects.count() == 1
    assert Page.objects.count() == 1


def test_flapping_is_marked_and_waits_longer_before_resolving(monitored, policy):
    _deployment, token = monitored
    client = ingest_client(token)
    firing, resolved = fixture("alertmanager_firing.json"), fixture("alertmanager_resolved.json")
    for minute in range(3):
        post_json(client, AM, firing)
        post_json(client, AM, resolved)
        for alert in firing["alerts"]:
            alert["startsAt"] = f"2026-11-25T08:3{minute}:00Z"
        for alert in resolved["alerts"]:
            alert["startsAt"] = f"2026-11-25T08:3{minute}:00Z"
            alert["endsAt"] = f"2026-11-25T08:3{minute}:30Z"
    post_json(client, AM, firing)
    post_json(client, AM, resolved)
    incident = Incident.objects.get()
    assert incident.flapping and incident.flaps >= 3
    incidents_settle(now=incident.quiet_since + timedelta(seconds=QUIET_SECONDS + 1))
    incident.refresh_from_db()
    assert incident.status != Incident.Status.RESOLVED
    incidents_settle(now=incident.quiet_since + timedelta(minutes=31))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert Ticket.objects.count() == 1 and Page.objects.count() == 1


def test_an_outage_label_on_production_makes_the_ticket_urgent(monitored, policy):
    _deployment, token = monitored
    payload = fixture("alertmanager_firing.json")
    for alert in payload["alerts"]:
        alert["labels"]["outage"] = "true"
    post_json(ingest_client(token), AM, payload)
    incident = Incident.objects.get()
    assert incident.ticket.severity == "urgent"
    assert Page.objects.get().urgent is True


def test_a_warning_on_staging_is_a_general_ticket(org_a, policy):
    _deployment, token = make_monitored(org_a, environment="staging")
    payload = fixture("alertmanager_firing.json")
    for alert in payload["alerts"]:
        alert["labels"]["severity"] = "warning"
        alert["labels"]["outage"] = "true"
    post_json(ingest_client(token), AM, payload)
    assert Incident.objects.get().ticket.severity == "general"


def test_a_higher_severity_raises_the_incident_and_its_ticket(monitored, policy):
    _deployment, token = monitored
    client = ingest_client(token)
    payload = fixture("alertmanager_firing.json")
    for alert in payload["alerts"]:
        alert["labels"]["severity"] = "warning"
    post_json(client, AM, payload)
    assert Incident.objects.get().ticket.severity == "general"
    post_json(client, AM, fixture("alertmanager_firing.json"))
    incident = Incident.objects.get()
    assert incident.severity == "critical"
    assert incident.ticket.severity == "important"
    assert incident.events.filter(kind=IncidentEvent.Kind.SEVERITY_RAISED).exists()


def test_without_an_escalation_policy_the_failure_is_on_the_timeline(monitored):
    _deployment, token = monitored
    post_json(ingest_client(token), AM, fixture("alertmanager_firing.json"))
    incident = Incident.objects.get()
    failed = incident.events.get(kind=IncidentEvent.Kind.PAGE_FAILED)
    assert failed.data["reason"] == "no_policy"
    assert incident.ticket is not None
    assert Page.objects.count() == 0


def test_a_second_incident_updates_the_ticket_still_open(monitored, policy):
    _deployment, token = monitored
    client = ingest_client(token)
    post_json(client, AM, fixture("alertmanager_firing.json"))
    post_json(client, AM, fixture("alertmanager_resolved.json"))
    first = Incident.objects.get()
    incidents_settle(now=first.quiet_since + timedelta(seconds=QUIET_SECONDS + 1))
    first.refresh_from_db()
    ticket = first.ticket
    ticket.status, ticket.is_open = "open", True  # an engineer reopened it and works on it
    ticket.save(update_fields=["status", "is_open"])
    later = fixture("alertmanager_firing.json")
    for alert in later["alerts"]:
        alert["startsAt"] = "2026-11-25T10:00:00Z"
    post_json(client, AM, later)
    second = Incident.objects.exclude(pk=first.pk).get()
    assert second.ticket_id == ticket.pk
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.update(version="3"),
        lambda p: p["alerts"][0].pop("labels"),
        lambda p: p["alerts"][0].update(status="pending"),
        lambda p: p["alerts"][0].update(startsAt="yesterday"),
    ],
)
def test_malformed_alertmanager_payloads_are_refused_whole(monitored, change):
    _deployment, token = monitored
    payload = copy.deepcopy(fixture("alertmanager_firing.json"))
    change(payload)
    response = post_json(ingest_client(token), AM, payload)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert Alert.objects.count() == 0 and Incident.objects.count() == 0


def test_alerts_of_another_deployment_stay_apart(monitored, org_b, policy):
    _deployment_a, token_a = monitored
    deployment_b, token_b = make_monitored(org_b)
    post_json(ingest_client(token_a), AM, fixture("alertmanager_firing.json"))
    post_json(ingest_client(token_b), AM, fixture("alertmanager_resolved.json"))
    # B's resolve has the same fingerprints but is B's: A's incident still fires.
    assert Alert.objects.filter(status=Alert.Status.FIRING).count() == 2
    assert not Incident.objects.filter(deployment=deployment_b).exists()


# --- PagerDuty Events API v2 -------------------------------------------------------------------


def event(name, token):
    body = fixture(name)
    body["routing_key"] = token
    return body


def test_a_trigger_with_the_routing_key_in_the_body_is_accepted_with_202(monitored, policy):
    _deployment, token = monitored
    response = post_json(Client(), EVENTS, event("events_trigger.json", token))
    assert response.status_code == 202, response.content
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "live-db-03-disk",
    }
    incident = Incident.objects.get()
    assert incident.title == "DISK at 99% on machine live-db-03.example.cn"  # the summary
    assert incident.dedup_key == "live-db-03-disk"
    assert incident.severity == "critical"
    assert incident.opened_at.isoformat().startswith("2026-11-25T08:42:58.315")
    alert = incident.alerts.get()
    assert alert.labels == {
        "source": "live-db-03.example.cn",
        "component": "mysql",
        "group": "live-db",
        "class": "disk",
    }


def test_the_token_may_also_come_in_the_header(monitored, policy):
    _deployment, token = monitored
    body = fixture("events_trigger.json")
    body.pop("routing_key")
    assert post_json(ingest_client(token), EVENTS, body).status_code == 202


def test_a_wrong_routing_key_is_401(monitored):
    response = post_json(Client(), EVENTS, event("events_trigger.json", "rdi_not-a-token"))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_triggers_deduplicate_by_dedup_key(monitored, policy):
    _deployment, token = monitored
    post_json(Client(), EVENTS, event("events_trigger.json", token))
    before = world_counts()
    post_json(Client(), EVENTS, event("events_trigger.json", token))
    assert world_counts() == before


def test_acknowledge_then_resolve(monitored, policy):
    _deployment, token = monitored
    post_json(Client(), EVENTS, event("events_trigger.json", token))
    assert post_json(Client(), EVENTS, event("events_acknowledge.json", token)).status_code == 202
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.ACKNOWLEDGED
    assert post_json(Client(), EVENTS, event("events_resolve.json", token)).status_code == 202
    incident.refresh_from_db()
    # The sender decided: resolved at once, no quiet period.
    assert incident.status == Incident.Status.RESOLVED
    assert incident.duration_seconds is not None
    assert incident.ticket.status == "resolved"


def test_a_trigger_after_a_resolve_opens_a_new_incident(monitored, policy):
    _deployment, token = monitored
    post_json(Client(), EVENTS, event("events_trigger.json", token))
    post_json(Client(), EVENTS, event("events_resolve.json", token))
    post_json(Client(), EVENTS, event("events_trigger.json", token))
    first, second = Incident.objects.order_by("pk")
    assert first.status == Incident.Status.RESOLVED
    assert second.status == Incident.Status.OPEN
    assert first.dedup_key == second.dedup_key == "live-db-03-disk"
    assert Page.objects.filter(status=Page.Status.TRIGGERED).count() == 1


def test_a_trigger_without_dedup_key_gets_one(monitored, policy):
    _deployment, token = monitored
    body = event("events_trigger.json", token)
    body.pop("dedup_key")
    response = post_json(Client(), EVENTS, body)
    assert response.status_code == 202
    assert Incident.objects.get().dedup_key == response.json()["dedup_key"]


@pytest.mark.parametrize(
    "change,status",
    [
        (lambda e: e.update(event_action="explode"), 422),
        (lambda e: e["payload"].update(severity="urgent"), 422),
        (lambda e: e.pop("payload"), 422),
        (lambda e: e.update(event_action="resolve", dedup_key=None), 422),
    ],
)
def test_malformed_events_are_refused(monitored, change, status):
    _deployment, token = monitored
    body = event("events_trigger.json", token)
    change(body)
    response = post_json(Client(), EVENTS, body)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Incident.objects.count() == 0


def test_resolving_an_unknown_dedup_key_changes_nothing(monitored):
    _deployment, token = monitored
    assert post_json(Client(), EVENTS, event("events_resolve.json", token)).status_code == 202
    assert Alert.objects.count() == 0


def test_an_incident_resolved_by_staff_ends_its_page(monitored, policy, agent, api_as):
    _deployment, token = monitored
    post_json(Client(), EVENTS, event("events_trigger.json", token))
    incident = Incident.objects.get()
    response = api_as(agent).post(f"/api/v1/incidents/{incident.pk}/resolve")
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert Page.objects.get().status == Page.Status.RESOLVED
    assert clock.now() >= incident.opened_at
