"""Alerts from every source (Roadie's rules, Alertmanager, the Events API) in one door.

Deduplication is by fingerprint per deployment and source: an alert that is firing already is
not fired again, a resolve for an alert that is not firing changes nothing, and a firing
report of an occurrence that was resolved (same fingerprint, same start) is a late duplicate.
So Alertmanager in HA, which sends each notification more than once, changes nothing twice.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils.translation import gettext as _

from roadie.core import clock
from roadie.customers.models import Deployment
from roadie.monitoring.errors import InvalidPayload
from roadie.monitoring.ingest import EVENT_RULE, AlertItem, EventIn, event_item
from roadie.monitoring.models import (
    SEVERITY_RANK,
    Alert,
    Incident,
    MaintenanceWindow,
    Silence,
    Source,
)
from roadie.monitoring.services.incidents import (
    incident_acknowledge,
    incident_alerts_fired,
    incident_alerts_resolved,
    incident_alerts_updated,
    incidents_page,
)

UPDATE_FIELDS = ["severity", "summary", "annotations"]


@dataclass
class ReceiveResult:
    fired: int = 0
    resolved: int = 0
    updated: int = 0
    unchanged: int = 0
    suppressed: int = 0
    incidents: list[int] = field(default_factory=list)


def group_key(source: str, rule: str, fingerprint: str) -> str:
    """Alerts of one deployment group per rule; an Events API dedup_key is its own group."""
    if source == Source.EVENTS:
        return f"events:{fingerprint}"[:200]
    return f"{source}:{rule}"[:200]


class Suppressions:
    """The silences and maintenance windows of one deployment over a span of time."""

    def __init__(self, deployment: Deployment, start: datetime, end: datetime) -> None:
        self.windows = list(
            MaintenanceWindow.objects.filter(
                deployment=deployment, starts_at__lte=end, ends_at__gt=start
            )
        )
        self.silences = list(
            Silence.objects.filter(deployment=deployment, starts_at__lte=end, ends_at__gt=start)
        )

    def covering(self, *, rule: str, labels: dict[str, str], at: datetime) -> str:
        for window in self.windows:
            if window.covers(at=at):
                return f"maintenance:{window.pk}"
        for silence in self.silences:
            if silence.covers(rule=rule, labels=labels, at=at):
                return f"silence:{silence.pk}"
        return ""


def _store_resolutions(alerts: list[Alert]) -> None:
    """Status and end of many alerts in one executemany (bulk_update's CASE per row costs
    more than the whole rest of a notification)."""
    if not alerts:
        return
    ends_at = Alert._meta.get_field("ends_at")
    table = connection.ops.quote_name(Alert._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, ends_at = %s WHERE id = %s",  # noqa: S608
            [(a.status, ends_at.get_db_prep_save(a.ends_at, connection), a.pk) for a in alerts],
        )


def _resolved_occurrences(
    deployment: Deployment, source: str, items: list[AlertItem], firing: dict[str, Alert]
) -> set[tuple[str, datetime]]:
    if source == Source.EVENTS:
        return set()  # a trigger after a resolve is a new occurrence, whatever its timestamp
    candidates = [i for i in items if i.status == "firing" and i.fingerprint not in firing]
    if not candidates:
        return set()
    rows = Alert.objects.filter(
        deployment=deployment,
        source=source,
        status=Alert.Status.RESOLVED,
        fingerprint__in={i.fingerprint for i in candidates},
        starts_at__in={i.starts_at for i in candidates},
    ).values_list("fingerprint", "starts_at")
    return set(rows)


@transaction.atomic
def alerts_receive(
    *,
    deployment: Deployment,
    source: str,
    items: list[AlertItem],
    now: datetime | None = None,
) -> ReceiveResult:
    """Apply a list of alert reports (in order) and move the incidents they belong to."""
    result = ReceiveResult()
    if not items:
        return result
    now = now or clock.now()
    fingerprints = {i.fingerprint for i in items}
    firing = {
        a.fingerprint: a
        for a in Alert.objects.filter(
            deployment=deployment,
            source=source,
            status=Alert.Status.FIRING,
            fingerprint__in=fingerprints,
        )
    }
    seen_resolved = _resolved_occurrences(deployment, source, items, firing)
    suppressions = Suppressions(deployment, min(i.starts_at for i in items), now)
    created: list[Alert] = []
    changed: dict[int, Alert] = {}
    raised: dict[int, list[Alert]] = defaultdict(list)
    resolved: list[Alert] = []
    for item in items:
        alert = firing.get(item.fingerprint)
        if item.status == "firing":
            if alert is not None:
                if item.severity != alert.severity or item.summary != alert.summary:
                    higher = SEVERITY_RANK.get(item.severity, 1) > SEVERITY_RANK.get(
                        alert.severity, 1
                    )
                    alert.severity, alert.summary = item.severity, item.summary
                    alert.annotations = item.annotations
                    if alert.pk:
                        changed[alert.pk] = alert
                        if higher and alert.incident_id:
                            raised[alert.incident_id].append(alert)
                    result.updated += 1
                else:
                    result.unchanged += 1
                continue
            if (item.fingerprint, item.starts_at) in seen_resolved:
                result.unchanged += 1
                continue
            alert = Alert(
                deployment=deployment,
                source=source,
                fingerprint=item.fingerprint,
                rule=item.rule,
                labels=item.labels,
                annotations=item.annotations,
                summary=item.summary,
                severity=item.severity,
                outage=item.outage,
                status=Alert.Status.FIRING,
                starts_at=item.starts_at,
                suppressed_by=suppressions.covering(
                    rule=item.rule, labels=item.labels, at=item.starts_at
                ),
            )
            firing[item.fingerprint] = alert
            created.append(alert)
            result.fired += 1
            result.suppressed += bool(alert.suppressed_by)
        else:
            if alert is None:
                result.unchanged += 1
                continue
            del firing[item.fingerprint]
            alert.status = Alert.Status.RESOLVED
            alert.ends_at = max(item.ends_at or now, alert.starts_at)
            resolved.append(alert)
            result.resolved += 1
    Alert.objects.bulk_create(created)
    if changed:
        Alert.objects.bulk_update(list(changed.values()), UPDATE_FIELDS)
    new = {id(a) for a in created}  # written with their final status already
    _store_resolutions([a for a in resolved if id(a) not in new])

    opened: list[Incident] = []
    groups: dict[str, list[Alert]] = defaultdict(list)
    for alert in created:
        if not alert.suppressed_by:
            groups[group_key(source, alert.rule, alert.fingerprint)].append(alert)
    for key, alerts in groups.items():
        incident, is_new = incident_alerts_fired(
            deployment=deployment, source=source, group_key=key, alerts=alerts
        )
        for alert in alerts:
            alert.incident = incident
        if is_new:
            opened.append(incident)
        result.incidents.append(incident.pk)
    if raised:
        for incident in Incident.objects.select_related("deployment", "ticket").filter(
            pk__in=raised.keys()
        ):
            incident_alerts_updated(incident=incident, alerts=raised[incident.pk])
    by_incident: dict[int, list[Alert]] = defaultdict(list)
    for alert in resolved:
        if alert.incident_id:
            by_incident[alert.incident_id].append(alert)
    for incident in Incident.objects.select_related("deployment", "ticket").filter(
        pk__in=by_incident.keys()
    ):
        alerts = by_incident[incident.pk]
        at = max(a.ends_at or now for a in alerts)
        incident_alerts_resolved(incident=incident, alerts=alerts, at=at)
        if incident.pk not in result.incidents:
            result.incidents.append(incident.pk)
    # Page only what still fires: an incident found in a late batch that has cleared already
    # is on record and in a ticket, but wakes nobody.
    fresh = Incident.objects.select_related("deployment").filter(pk__in=[i.pk for i in opened])
    incidents_page(fresh)
    return result


@transaction.atomic
def event_acknowledge(*, deployment: Deployment, dedup_key: str, at: datetime | None = None) -> int:
    """The Events API's `acknowledge`: the open incident of that dedup_key is acknowledged."""
    incident = (
        Incident.objects.filter(
            deployment=deployment, group_key=group_key(Source.EVENTS, "", dedup_key)
        )
        .exclude(status=Incident.Status.RESOLVED)
        .first()
    )
    if incident is None:
        return 0
    incident_acknowledge(incident=incident, at=at)
    return 1


@transaction.atomic
def suppressions_lift(*, now: datetime | None = None) -> int:
    """Firing alerts whose silence or maintenance window has ended now open their incidents."""
    now = now or clock.now()
    count = 0
    pending = Alert.objects.filter(status=Alert.Status.FIRING).exclude(suppressed_by="")
    by_deployment: dict[int, list[Alert]] = defaultdict(list)
    for alert in pending:
        by_deployment[alert.deployment_id].append(alert)
    for deployment in Deployment.objects.filter(pk__in=by_deployment.keys()):
        suppressions = Suppressions(deployment, now, now)
        lifted = []
        for alert in by_deployment[deployment.pk]:
            alert.suppressed_by = suppressions.covering(
                rule=alert.rule, labels=alert.labels, at=now
            )
            if not alert.suppressed_by:
                lifted.append(alert)
        if not lifted:
            continue
        Alert.objects.bulk_update(lifted, ["suppressed_by"])
        groups: dict[str, list[Alert]] = defaultdict(list)
        for alert in lifted:
            groups[group_key(alert.source, alert.rule, alert.fingerprint)].append(alert)
        opened = []
        for key, alerts in groups.items():
            # The incident opens when the silence ends, not when the alert began.
            incident, is_new = incident_alerts_fired(
                deployment=deployment,
                source=alerts[0].source,
                group_key=key,
                alerts=alerts,
                at=now,
            )
            if is_new:
                opened.append(incident.pk)
        incidents_page(Incident.objects.select_related("deployment").filter(pk__in=opened))
        count += len(lifted)
    return count


@transaction.atomic
def event_receive(*, deployment: Deployment, event: EventIn, now: datetime | None = None) -> str:
    """One Events API v2 event; returns its dedup_key (made up for a trigger without one)."""
    now = now or clock.now()
    if event.event_action == "trigger":
        dedup_key = event.dedup_key or uuid.uuid4().hex
        item = event_item(event, dedup_key=dedup_key, now=now)
        ended = (
            Alert.objects.filter(
                deployment=deployment,
                source=Source.EVENTS,
                fingerprint=dedup_key,
                status=Alert.Status.RESOLVED,
            )
            .order_by("-ends_at")
            .values_list("ends_at", flat=True)
            .first()
        )
        if ended is not None and item.starts_at <= ended:
            item.starts_at = now  # a retrigger resent with the first trigger's timestamp
        alerts_receive(deployment=deployment, source=Source.EVENTS, items=[item], now=now)
        return dedup_key
    if not event.dedup_key:
        raise InvalidPayload(
            _("%(action)s needs the dedup_key of the trigger.") % {"action": event.event_action},
            field="dedup_key",
        )
    if event.event_action == "acknowledge":
        event_acknowledge(deployment=deployment, dedup_key=event.dedup_key, at=now)
    else:
        item = AlertItem(
            fingerprint=event.dedup_key,
            rule=EVENT_RULE,
            status="resolved",
            starts_at=now,
            ends_at=now,
        )
        alerts_receive(deployment=deployment, source=Source.EVENTS, items=[item], now=now)
    return event.dedup_key
