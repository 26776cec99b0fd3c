"""The rule cycle end to end: samples pushed through the API, evaluate_rules, incidents."""

from datetime import UTC, datetime, timedelta

import pytest

from roadie.core import clock
from roadie.monitoring import services, tasks
from roadie.monitoring.evaluate import evaluate_rules
from roadie.monitoring.models import (
    Alert,
    CycleRun,
    DeploymentHealth,
    Incident,
    IngestBatch,
    Rollup,
    Sample,
)
from roadie.monitoring.rules.memory_leak import BUCKET_SECONDS, bucket_offset, bucket_start
from roadie.monitoring.services.incidents import QUIET_SECONDS
from roadie.monitoring.tests.factories import ingest_client, make_monitored, post_json, sample
from roadie.monitoring.tests.series import MB, recorded
from roadie.oncall.models import Page

pytestmark = pytest.mark.django_db
URL = "/api/v1/ingest/metrics"


def push(token, samples, chunk=2000):
    client = ingest_client(token)
    for i in range(0, len(samples), chunk):
        response = post_json(client, URL, {"samples": samples[i : i + chunk]})
        assert response.status_code == 202, response.content


def at(ts):
    return datetime.fromtimestamp(ts, tz=UTC)


@pytest.fixture
def now():
    return clock.now().replace(microsecond=0)


def test_cpu_held_over_90_opens_an_incident_that_resolves_when_it_clears(monitored, policy, now):
    deployment, token = monitored
    t = now.timestamp()
    push(token, [sample("cpu_percent", 96, t - 360 + 60 * i) for i in range(7)])
    result = evaluate_rules(now=now)
    assert result.transitions == 1
    incident = Incident.objects.get(rule="cpu_high")
    assert incident.opened_at == at(t - 360)  # when the condition began, by sample time
    assert "96%" in incident.title
    assert incident.ticket.severity == "general"  # a warning
    assert Page.objects.filter(source=incident.page_source).exists()
    push(token, [sample("cpu_percent", 20, t + 30)])
    evaluate_rules(now=now + timedelta(seconds=30))
    incident.refresh_from_db()
    assert incident.quiet_since == at(t + 30)
    evaluate_rules(now=now + timedelta(seconds=30 + QUIET_SECONDS + 1))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.duration_seconds == 390


def test_a_batch_resent_after_an_outage_is_judged_as_it_happened(monitored, policy, now):
    _deployment, token = monitored
    t = now.timestamp() - 3 * 3600
    samples = [sample("cpu_percent", 98 if i < 12 else 30, t + 60 * i) for i in range(30)]
    push(token, samples)
    evaluate_rules(now=now)
    incident = Incident.objects.get()
    # Opened, cleared and settled hours ago, as it happened.
    assert incident.opened_at == at(t)
    assert incident.status == Incident.Status.RESOLVED
    assert incident.resolved_at == at(t + 12 * 60)
    assert incident.duration_seconds == 12 * 60
    # On record and in a ticket, but nobody is woken for something that is over.
    assert incident.ticket.status == "resolved"
    assert not Page.objects.exists()


def test_each_batch_is_evaluated_once(monitored, now):
    _deployment, token = monitored
    t = now.timestamp()
    push(token, [sample("cpu_percent", 96, t - 360 + 60 * i) for i in range(7)])
    evaluate_rules(now=now)
    evaluate_rules(now=now)
    assert Alert.objects.count() == 1
    assert not IngestBatch.objects.filter(evaluated_at__isnull=True).exists()
    assert CycleRun.objects.filter(kind="evaluate").count() == 2


def test_a_missing_heartbeat_of_production_is_urgent_and_resolves_when_it_reports(
    monitored, policy, now
):
    deployment, token = monitored
    t = now.timestamp()
    push(token, [sample("heartbeat", 1, t - 400)])
    evaluate_rules(now=now)
    incident = Incident.objects.get(rule="heartbeat_missing")
    assert incident.outage
    assert incident.ticket.severity == "urgent"
    assert Page.objects.get(source=incident.page_source).urgent
    push(token, [sample("heartbeat", 1, t)])
    evaluate_rules(now=now)
    alert = Alert.objects.get(rule="heartbeat_missing")
    assert alert.status == Alert.Status.RESOLVED
    health = DeploymentHealth.objects.get(deployment=deployment)
    assert alert.ends_at == health.last_report_at
    services.incidents_settle(now=now + timedelta(seconds=QUIET_SECONDS + 5))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert Page.objects.get(source=incident.page_source).status == Page.Status.RESOLVED


def test_a_missing_heartbeat_of_staging_is_important(org_a, policy, now):
    _deployment, token = make_monitored(org_a, environment="staging")
    push(token, [sample("heartbeat", 1, now.timestamp() - 400)])
    evaluate_rules(now=now)
    assert Incident.objects.get().ticket.severity == "important"


def test_a_failing_health_check_is_an_outage(monitored, policy, now):
    _deployment, token = monitored
    t = now.timestamp()
    push(
        token,
        [sample("heartbeat", 1, t - 180 + 60 * i) for i in range(4)]
        + [sample("heartbeat", 0, t - 180 + 60 * i, probe="http") for i in range(4)],
    )
    evaluate_rules(now=now)
    incident = Incident.objects.get(rule="service_down")
    assert incident.ticket.severity == "urgent"


def test_a_stale_backup_opens_an_incident_and_a_fresh_one_clears_it(monitored, policy, now):
    _deployment, token = monitored
    t = now.timestamp()
    push(token, [sample("heartbeat", 1, t), sample("backup_age_seconds", 30 * 3600, t)])
    evaluate_rules(now=now)
    incident = Incident.objects.get(rule="backup_stale")
    assert incident.opened_at == at(t - 6 * 3600)  # 24 h after the newest backup
    assert "30" in incident.title  # hours, in the site's language
    push(token, [sample("backup_age_seconds", 600, t + 60)])
    evaluate_rules(now=now + timedelta(seconds=60))
    assert Alert.objects.get(rule="backup_stale").status == Alert.Status.RESOLVED


def leak_samples(points):
    samples = []
    for p in points:
        samples += [
            sample("process_rss_bytes", p.rss, p.ts, process="srs"),
            sample("memory_used_bytes", p.host_used, p.ts),
            sample("memory_total_bytes", p.host_total, p.ts),
        ]
    return samples


def test_a_memory_leak_pushed_by_the_agent_fires_memory_leak(monitored, policy, now):
    _deployment, token = monitored
    start = now.timestamp() - 12 * 3600
    push(token, leak_samples(recorded(leak_per_hour=250 * MB, hours=12, start=start)))
    evaluate_rules(now=now)
    incident = Incident.objects.get(rule="memory_leak")
    # The process leaks, so the host's memory grows with it: one incident, both series.
    assert sorted(a.fingerprint for a in incident.alerts.all()) == [
        "memory_leak",
        'memory_leak{"process":"srs"}',
    ]
    alert = incident.alerts.get(fingerprint='memory_leak{"process":"srs"}')
    assert alert.labels == {"process": "srs"}
    assert alert.annotations["growth_mb_per_hour"] == pytest.approx(250, rel=0.1)
    assert 10 < alert.annotations["hours_left"] < 30
    assert "MB/h" in incident.title
    assert incident.ticket.severity == "general"


def test_a_flat_sawtooth_pushed_by_the_agent_never_fires(monitored, now):
    _deployment, token = monitored
    start = now.timestamp() - 12 * 3600
    push(token, leak_samples(recorded(hours=12, start=start, seed=4)))
    evaluate_rules(now=now)
    assert not Alert.objects.filter(rule="memory_leak").exists()


def test_leak_buckets_carry_over_between_cycles(monitored, now):
    deployment, token = monitored
    start = now.timestamp() - 12 * 3600
    points = list(recorded(leak_per_hour=250 * MB, hours=12, start=start))
    for hour in range(12):
        push(token, leak_samples(points[hour * 60 : (hour + 1) * 60]))
        evaluate_rules(now=at(start + (hour + 1) * 3600))
    assert Alert.objects.filter(rule="memory_leak", status="firing").exists()
    health = DeploymentHealth.objects.get(deployment=deployment)
    assert len(health.leak_history['{"process":"srs"}']) >= 40


def test_a_deployment_override_beats_the_product_default(monitored, agent, now):
    deployment, token = monitored
    services.rule_setting_set(
        rule="cpu_high", by=agent, params={"threshold": 80}, product=deployment.product
    )
    other, other_token = make_monitored(deployment.organization, product=deployment.product)
    services.rule_setting_set(rule="cpu_high", by=agent, params={"threshold": 99}, deployment=other)
    t = now.timestamp()
    for tok in (token, other_token):
        push(tok, [sample("cpu_percent", 85, t - 360 + 60 * i) for i in range(7)])
    evaluate_rules(now=now)
    assert list(Alert.objects.values_list("deployment_id", flat=True)) == [deployment.pk]


def test_a_rule_switched_off_fires_nothing(monitored, agent, now):
    deployment, token = monitored
    services.rule_setting_set(
        rule="heartbeat_missing", by=agent, enabled=False, deployment=deployment
    )
    push(token, [sample("heartbeat", 1, now.timestamp() - 900)])
    evaluate_rules(now=now)
    assert not Alert.objects.exists()


def test_maintenance_mutes_alerts_until_it_ends(monitored, policy, agent, now):
    deployment, token = monitored
    window = services.maintenance_create(
        deployment=deployment,
        by=agent,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        reason="upgrade to 2.5",
    )
    push(token, [sample("heartbeat", 1, now.timestamp() - 400)])
    evaluate_rules(now=now)
    alert = Alert.objects.get()
    assert alert.suppressed_by == f"maintenance:{window.pk}"
    assert not Incident.objects.exists()
    # Still silent after the window: the incident opens then, not when the alert began.
    later = now + timedelta(hours=1, minutes=1)
    services.suppressions_lift(now=later)
    incident = Incident.objects.get()
    assert incident.opened_at == later
    assert Page.objects.filter(source=incident.page_source).exists()


def test_a_silence_mutes_only_its_rule_and_labels(monitored, agent, now):
    deployment, token = monitored
    services.silence_create(
        deployment=deployment,
        by=agent,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        comment="known: /data is being migrated",
        rule="disk_full",
        matchers={"mount": "/data"},
    )
    t = now.timestamp()
    samples = []
    for i in range(7):
        samples.append(sample("disk_used_percent", 95, t - 360 + 60 * i, mount="/data"))
        samples.append(sample("disk_used_percent", 95, t - 360 + 60 * i, mount="/"))
    push(token, samples)
    evaluate_rules(now=now)
    muted = Alert.objects.get(labels__mount="/data")
    assert muted.suppressed_by.startswith("silence:")
    incident = Incident.objects.get()
    assert list(incident.alerts.values_list("labels__mount", flat=True)) == ["/"]


def test_a_silent_deployment_with_nothing_new_costs_no_state_write(monitored, now):
    deployment, token = monitored
    push(token, [sample("cpu_percent", 5, now.timestamp())])
    evaluate_rules(now=now)
    health = DeploymentHealth.objects.get(deployment=deployment)
    evaluated = health.evaluated_at
    evaluate_rules(now=now + timedelta(seconds=30))
    health.refresh_from_db()
    assert health.evaluated_at == evaluated


def test_samples_that_leave_the_rule_state_as_it_was_cost_no_state_write(monitored, now):
    deployment, token = monitored
    # Two minutes of a well deployment inside one leak bucket: nothing for the rules to keep.
    bucket = bucket_start(now.timestamp(), bucket_offset(deployment.pk)) - BUCKET_SECONDS
    minute = [
        ("cpu_percent", 20, {}),
        ("disk_used_percent", 41, {"mount": "/"}),
        ("memory_used_bytes", 6e9, {}),
        ("memory_total_bytes", 16e9, {}),
        ("process_rss_bytes", 8e8, {"process": "srs"}),
    ]
    push(token, [sample(name, value, bucket + 60, **labels) for name, value, labels in minute])
    evaluate_rules(now=now)
    health = DeploymentHealth.objects.get(deployment=deployment)
    evaluated, state = health.evaluated_at, health.rule_state
    push(token, [sample(name, value, bucket + 120, **labels) for name, value, labels in minute])
    evaluate_rules(now=now + timedelta(seconds=60))
    health.refresh_from_db()
    assert not IngestBatch.objects.filter(evaluated_at__isnull=True).exists()
    assert health.rule_state == state
    assert health.evaluated_at == evaluated


# --- storage --------------------------------------------------------------------------------


def test_rollups_merge_late_batches_and_pruning_keeps_storage_bounded(monitored, now):
    deployment, token = monitored
    t = now.timestamp()
    bucket = int((t - 3 * 86400) // 300) * 300
    old = [sample("cpu_percent", v, bucket + 10 + i) for i, v in enumerate((10, 30))]
    recent = [sample("cpu_percent", 50, t - 60)]
    push(token, old + recent)
    services.samples_roll_up(now=now)
    rollup = Rollup.objects.get(deployment=deployment, bucket=bucket)
    assert (rollup.count, rollup.total, rollup.min, rollup.max) == (2, 40, 10, 30)
    # The raw samples of that bucket age out; a late batch for it still merges in.
    services.monitoring_prune(now=now)
    # Nothing the rule cycle has not read is dropped.
    assert Sample.objects.count() == 3
    evaluate_rules(now=now)
    services.monitoring_prune(now=now)
    assert not Sample.objects.filter(ts__lt=t - 2 * 86400).exists()
    assert Sample.objects.filter(ts__gte=t - 120).exists()
    push(token, [sample("cpu_percent", 90, bucket + 100)])
    services.samples_roll_up(now=now)
    rollup.refresh_from_db()
    assert (rollup.count, rollup.total, rollup.min, rollup.max) == (3, 130, 10, 90)
    evaluate_rules(now=now)
    services.monitoring_prune(now=now + timedelta(days=31))
    assert not Rollup.objects.exists()
    assert not Sample.objects.exists()


def test_the_periodic_tasks_run_the_cycle_and_the_storage(monitored, now):
    _deployment, token = monitored
    push(token, [sample("cpu_percent", 5, now.timestamp())])
    tasks.evaluate()
    tasks.maintain()
    assert set(CycleRun.objects.values_list("kind", flat=True)) == {"evaluate", "maintain"}
    assert Rollup.objects.exists()
