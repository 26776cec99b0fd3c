"""Incidents: alerts of one deployment and rule grouped; tickets and pages follow them.

Life of an incident:
- the first alert of a group opens it (a ticket is opened, or an earlier incident's ticket that
  is still open is updated; the default escalation policy is paged);
- more alerts of the group join it; a higher severity raises it (and its ticket);
- when no alert of it fires any more it goes quiet; after QUIET_SECONDS without a new alert it
  resolves, with its duration counted to the moment it went quiet. An alert firing while it
  is quiet is a flap: the incident simply stays open (no new ticket, no new page). After
  FLAP_LIMIT flaps it is marked flapping and waits FLAP_QUIET_SECONDS instead;
- an Events API `resolve` resolves at once (the sender decided), and a later trigger with the
  same dedup_key opens a new incident.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.core.errors import DomainError
from roadie.customers.models import Deployment
from roadie.monitoring.errors import IncidentClosed, NotAllowed
from roadie.monitoring.models import (
    SEVERITY_RANK,
    Alert,
    Incident,
    IncidentEvent,
    Source,
)
from roadie.monitoring.services.system import monitoring_user
from roadie.oncall.errors import NoPolicy
from roadie.oncall.services import page_resolve_by_source, page_start
from roadie.tickets.models import Comment, Kind, Ticket
from roadie.tickets.models import Status as TicketStatus
from roadie.tickets.services import (
    ticket_change_severity,
    ticket_change_status,
    ticket_comment,
    ticket_create,
)

QUIET_SECONDS = 300
FLAP_LIMIT = 3
FLAP_QUIET_SECONDS = 1800
TICKET_RANK = {"general": 0, "important": 1, "urgent": 2}


def record(
    incident: Incident,
    kind: str,
    at: datetime,
    *,
    actor: User | None = None,
    **data: object,
) -> IncidentEvent:
    return IncidentEvent.objects.create(incident=incident, kind=kind, at=at, actor=actor, data=data)


def ticket_severity(incident: Incident, deployment: Deployment) -> str:
    """An outage or a missing heartbeat of a production deployment is urgent; otherwise the
    alert's own severity decides: critical and error are important, the rest general."""
    if incident.outage and deployment.environment == Deployment.Environment.PRODUCTION:
        return "urgent"
    return "important" if incident.severity in ("critical", "error") else "general"


def _console_url(incident: Incident) -> str:
    return settings.ROADIE_BASE_URL + reverse("console:monitoring:incident", args=[incident.pk])


def _portal_url(deployment: Deployment) -> str:
    return settings.ROADIE_BASE_URL + reverse("portal:monitoring:deployment", args=[deployment.pk])


def _ticket_title(incident: Incident, deployment: Deployment) -> str:
    label = deployment.name or deployment.get_environment_display()
    return f"[{incident.rule}] {incident.title} · {deployment.product} {label}"[:200]


def _ticket_description(incident: Incident, deployment: Deployment, alerts: list[Alert]) -> str:
    lines = [
        f"**{incident.title}**",
        "",
        _("Deployment: %(deployment)s (%(environment)s)")
        % {"deployment": deployment, "environment": deployment.get_environment_display()},
        _("Rule: %(rule)s · alert severity: %(severity)s · since %(since)s")
        % {
            "rule": incident.rule,
            "severity": incident.get_severity_display(),
            "since": incident.opened_at.strftime("%Y-%m-%d %H:%M %Z"),
        },
        "",
    ]
    lines += [f"- {alert.summary or alert.rule}" for alert in alerts[:20]]
    lines += ["", _("Figures and charts: %(url)s") % {"url": _portal_url(deployment)}]
    return "\n".join(lines)


def _ticket_open(incident: Incident, deployment: Deployment, alerts: list[Alert]) -> None:
    """Open a ticket for a new incident, or update the still-open ticket of an earlier one."""
    user = monitoring_user()
    earlier = (
        Incident.objects.filter(
            deployment=deployment, group_key=incident.group_key, ticket__is_open=True
        )
        .exclude(pk=incident.pk)
        .select_related("ticket")
        .order_by("-opened_at")
        .first()
    )
    severity = ticket_severity(incident, deployment)
    try:
        with transaction.atomic():
            if earlier is not None and earlier.ticket is not None:
                ticket = earlier.ticket
                ticket_comment(
                    ticket=ticket,
                    by=user,
                    body=_("The monitoring opened a new incident for this: %(title)s")
                    % {"title": incident.title},
                    public=False,
                    source=Comment.Source.SYSTEM,
                )
                _raise_ticket(ticket, severity, user)
                incident.ticket = ticket
                incident.save(update_fields=["ticket"])
                record(
                    incident, IncidentEvent.Kind.TICKET_UPDATED, clock.now(), ticket=ticket.number
                )
                return
            ticket = ticket_create(
                by=user,
                organization=deployment.organization,
                title=_ticket_title(incident, deployment),
                description=_ticket_description(incident, deployment, alerts),
                severity=severity,
                kind=Kind.INCIDENT,
                deployment=deployment,
                source=Comment.Source.SYSTEM,
            )
            incident.ticket = ticket
            incident.save(update_fields=["ticket"])
            record(incident, IncidentEvent.Kind.TICKET_OPENED, clock.now(), ticket=ticket.number)
    except DomainError as error:
        record(incident, IncidentEvent.Kind.TICKET_FAILED, clock.now(), reason=error.message)


def _raise_ticket(ticket: Ticket, severity: str, user: User) -> None:
    if TICKET_RANK[severity] > TICKET_RANK.get(ticket.severity, 0):
        ticket_change_severity(ticket=ticket, severity=severity, by=user)


def _ticket_note(incident: Incident, body: str) -> None:
    if incident.ticket_id is None:
        return
    try:
        with transaction.atomic():
            ticket_comment(
                ticket=incident.ticket,  # type: ignore[arg-type]
                by=monitoring_user(),
                body=body,
                public=False,
                source=Comment.Source.SYSTEM,
            )
    except DomainError as error:
        record(incident, IncidentEvent.Kind.TICKET_FAILED, clock.now(), reason=error.message)


def _page(incident: Incident, deployment: Deployment) -> None:
    """Start the default escalation policy for the incident (NoPolicy is recorded, not raised)."""
    now = clock.now()
    try:
        with transaction.atomic():
            started = page_start(
                policy=None,
                source=incident.page_source,
                title=_ticket_title(incident, deployment),
                url=_console_url(incident),
                urgent=ticket_severity(incident, deployment) == "urgent",
            )
    except NoPolicy as error:
        record(
            incident, IncidentEvent.Kind.PAGE_FAILED, now, reason="no_policy", message=error.message
        )
    except DomainError as error:
        record(
            incident, IncidentEvent.Kind.PAGE_FAILED, now, reason=error.code, message=error.message
        )
    else:
        record(incident, IncidentEvent.Kind.PAGE_STARTED, now, page=started.pk)


def _title(source: str, alert: Alert) -> str:
    if source == Source.ALERTMANAGER:
        return alert.rule
    return (alert.summary or alert.rule)[:300]


def incident_alerts_fired(
    *,
    deployment: Deployment,
    source: str,
    group_key: str,
    alerts: list[Alert],
    at: datetime | None = None,
) -> tuple[Incident, bool]:
    """Put newly firing alerts of one group into its open incident, or open one (at `at`, by
    default when the first alert started).

    Returns the incident and whether it was opened now (the caller pages it once it knows the
    alerts still fire)."""
    alerts = sorted(alerts, key=lambda a: a.starts_at)
    first = alerts[0]
    opened_at = at or first.starts_at
    severity = max((a.severity for a in alerts), key=lambda s: SEVERITY_RANK.get(s, 1))
    outage = any(a.outage for a in alerts)
    last_fired = max(a.starts_at for a in alerts)
    with translation.override(settings.LANGUAGE_CODE):
        incident = (
            Incident.objects.select_for_update()
            .filter(deployment=deployment, group_key=group_key)
            .exclude(status=Incident.Status.RESOLVED)
            .first()
        )
        if incident is None:
            incident = Incident.objects.create(
                deployment=deployment,
                source=source,
                rule=first.rule,
                group_key=group_key,
                title=_title(source, first),
                severity=severity,
                dedup_key=first.fingerprint,
                outage=outage,
                opened_at=opened_at,
                last_fired_at=last_fired,
            )
            record(
                incident,
                IncidentEvent.Kind.OPENED,
                opened_at,
                alerts=len(alerts),
                summary=first.summary,
            )
            Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(incident=incident)
            _ticket_open(incident, deployment, alerts)
            return incident, True
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(incident=incident)
        fields = ["last_fired_at"]
        incident.last_fired_at = max(incident.last_fired_at or last_fired, last_fired)
        if incident.quiet_since is not None:
            incident.quiet_since = None
            incident.flaps += 1
            fields += ["quiet_since", "flaps"]
            if incident.flaps >= FLAP_LIMIT and not incident.flapping:
                incident.flapping = True
                fields.append("flapping")
                record(incident, IncidentEvent.Kind.FLAPPING, last_fired, flaps=incident.flaps)
        record(
            incident,
            IncidentEvent.Kind.ALERT_FIRED,
            first.starts_at,
            alerts=len(alerts),
            summary=first.summary,
        )
        raised = SEVERITY_RANK.get(severity, 1) > SEVERITY_RANK.get(incident.severity, 1)
        if raised:
            old, incident.severity = incident.severity, severity
            fields.append("severity")
            record(incident, IncidentEvent.Kind.SEVERITY_RAISED, last_fired, old=old, new=severity)
        if outage and not incident.outage:
            incident.outage = True
            fields.append("outage")
        incident.save(update_fields=fields)
        if (raised or "outage" in fields) and incident.ticket_id is not None:
            try:
                with transaction.atomic():
                    _raise_ticket(
                        incident.ticket,  # type: ignore[arg-type]
                        ticket_severity(incident, deployment),
                        monitoring_user(),
                    )
            except DomainError as error:
                record(
                    incident, IncidentEvent.Kind.TICKET_FAILED, clock.now(), reason=error.message
                )
        return incident, False


def incident_alerts_updated(*, incident: Incident, alerts: list[Alert]) -> Incident:
    """Firing alerts reported again with a higher severity raise the incident's."""
    severity = max((a.severity for a in alerts), key=lambda s: SEVERITY_RANK.get(s, 1))
    if SEVERITY_RANK.get(severity, 1) <= SEVERITY_RANK.get(incident.severity, 1):
        return incident
    now = clock.now()
    old, incident.severity = incident.severity, severity
    incident.save(update_fields=["severity"])
    record(incident, IncidentEvent.Kind.SEVERITY_RAISED, now, old=old, new=severity)
    if incident.ticket_id is not None:
        with translation.override(settings.LANGUAGE_CODE):
            _ticket_note(incident, alerts[0].summary or incident.title)
            try:
                with transaction.atomic():
                    _raise_ticket(
                        incident.ticket,  # type: ignore[arg-type]
                        ticket_severity(incident, incident.deployment),
                        monitoring_user(),
                    )
            except DomainError as error:
                record(incident, IncidentEvent.Kind.TICKET_FAILED, now, reason=error.message)
    return incident


def incident_alerts_resolved(*, incident: Incident, alerts: list[Alert], at: datetime) -> Incident:
    """Alerts of the incident stopped firing; when none fires any more it goes quiet (or, for the
    Events API, resolves at once)."""
    record(
        incident,
        IncidentEvent.Kind.ALERT_RESOLVED,
        at,
        alerts=len(alerts),
        summary=alerts[0].summary,
    )
    if incident.status == Incident.Status.RESOLVED:
        return incident
    if Alert.objects.filter(incident=incident, status=Alert.Status.FIRING).exists():
        return incident
    if incident.source == Source.EVENTS:
        return _resolve(incident, at=at, reason="resolved_by_sender")
    incident.quiet_since = at
    incident.save(update_fields=["quiet_since"])
    record(incident, IncidentEvent.Kind.QUIET, at)
    return incident


def _resolve(incident: Incident, *, at: datetime, reason: str, by: User | None = None) -> Incident:
    now = clock.now()
    at = max(at, incident.opened_at)
    incident.status = Incident.Status.RESOLVED
    incident.resolved_at = at
    incident.duration_seconds = int((at - incident.opened_at).total_seconds())
    incident.quiet_since = None
    incident.save(update_fields=["status", "resolved_at", "duration_seconds", "quiet_since"])
    record(
        incident,
        IncidentEvent.Kind.RESOLVED,
        at,
        actor=by,
        reason=reason,
        duration_seconds=incident.duration_seconds,
    )
    resolved_pages = page_resolve_by_source(source=incident.page_source, by=by, now=now)
    if resolved_pages:
        record(
            incident, IncidentEvent.Kind.PAGE_RESOLVED, now, pages=[p.pk for p in resolved_pages]
        )
    _ticket_resolve(incident)
    return incident


def _ticket_resolve(incident: Incident) -> None:
    """Resolve the incident's ticket when no other open incident shares it."""
    ticket = incident.ticket
    if ticket is None or not ticket.is_open:
        return
    if ticket.monitoring_incidents.exclude(status=Incident.Status.RESOLVED).exists():
        return
    user = monitoring_user()
    minutes = max(1, round((incident.duration_seconds or 0) / 60))
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Monitoring: the condition cleared; the incident lasted %(minutes)d min. "
            "Resolved automatically."
        ) % {"minutes": minutes}
        try:
            with transaction.atomic():
                ticket_comment(
                    ticket=ticket, by=user, body=body, source=Comment.Source.SYSTEM, is_auto=True
                )
                ticket_change_status(ticket=ticket, status=TicketStatus.RESOLVED, by=user)
        except DomainError as error:
            record(incident, IncidentEvent.Kind.TICKET_FAILED, clock.now(), reason=error.message)
            return
    record(
        incident,
        IncidentEvent.Kind.TICKET_UPDATED,
        clock.now(),
        ticket=ticket.number,
        resolved=True,
    )


@transaction.atomic
def incidents_settle(*, now: datetime | None = None) -> list[Incident]:
    """Resolve the quiet incidents that stayed quiet long enough (the periodic sweep)."""
    now = now or clock.now()
    candidates = (
        Incident.objects.select_related("ticket", "deployment")
        .filter(quiet_since__isnull=False, quiet_since__lte=now - timedelta(seconds=QUIET_SECONDS))
        .exclude(status=Incident.Status.RESOLVED)
    )
    resolved = []
    for incident in candidates:
        assert incident.quiet_since is not None
        wait = FLAP_QUIET_SECONDS if incident.flapping else QUIET_SECONDS
        if incident.quiet_since > now - timedelta(seconds=wait):
            continue
        if Alert.objects.filter(incident=incident, status=Alert.Status.FIRING).exists():
            continue
        resolved.append(_resolve(incident, at=incident.quiet_since, reason="condition_cleared"))
    return resolved


def _require_staff(by: User) -> None:
    if not by.is_vendor_staff:
        raise NotAllowed(_("Only support staff can do this."))


@transaction.atomic
def incident_acknowledge(
    *, incident: Incident, by: User | None = None, at: datetime | None = None, note: str = ""
) -> Incident:
    """Someone is on it (a member of staff, or the Events API's `acknowledge`)."""
    if by is not None:
        _require_staff(by)
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .get(pk=incident.pk)
    )
    if incident.status != Incident.Status.OPEN:
        return incident
    now = at or clock.now()
    incident.status = Incident.Status.ACKNOWLEDGED
    incident.acknowledged_at = now
    incident.save(update_fields=["status", "acknowledged_at"])
    record(incident, IncidentEvent.Kind.ACKNOWLEDGED, now, actor=by, note=note[:500])
    return incident


@transaction.atomic
def incident_resolve(*, incident: Incident, by: User, at: datetime | None = None) -> Incident:
    """A member of staff resolves the incident by hand; its firing alerts stay attached."""
    _require_staff(by)
    incident = (
        # Lock only the incident: PostgreSQL cannot lock the nullable side of the ticket join.
        Incident.objects.select_for_update(of=("self",))
        .select_related("ticket", "deployment")
        .get(pk=incident.pk)
    )
    if incident.status == Incident.Status.RESOLVED:
        raise IncidentClosed(_("This incident is resolved already."))
    return _resolve(incident, at=at or clock.now(), reason="resolved_by_staff", by=by)


def incidents_page(incidents: Iterable[Incident]) -> None:
    """Page the incidents that were opened and still have a firing alert."""
    for incident in incidents:
        if incident.status == Incident.Status.RESOLVED or incident.quiet_since is not None:
            continue
        _page(incident, incident.deployment)
