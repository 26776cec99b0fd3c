"""Monitoring API.

Ingest (authenticated by the deployment's ingest token, `Authorization: Bearer rdi_…`; the
Events API also takes it as `routing_key` in the body, as PagerDuty clients send it):
- POST /ingest/metrics       {"samples": [{"name", "value", "ts", "labels"}]} → 202
- POST /ingest/alertmanager  the Alertmanager webhook, payload version 4 → 200
- POST /ingest/events        a PagerDuty Events API v2 event → 202 {"status", "dedup_key"}
Bodies over ROADIE_INGEST_MAX_BYTES (1 MiB) are refused with 413 before anything is read.

For people (their own API token or session): incidents (GET /incidents?deployment=ID), ingest
tokens, silences, maintenance windows, rule settings and a deployment's health.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import OperationalError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import AwareDatetime, Field
from pydantic import ValidationError as PydanticValidationError

from roadie.accounts.permissions import Action
from roadie.api.v1.common import require, require_staff, viewer
from roadie.core import clock
from roadie.customers.models import Deployment, Product
from roadie.monitoring import selectors, services
from roadie.monitoring.errors import Busy, InvalidWindow, PayloadTooLarge
from roadie.monitoring.ingest import (
    AlertmanagerIn,
    EventIn,
    MetricsIn,
    alertmanager_items,
    max_body_bytes,
)
from roadie.monitoring.models import (
    Alert,
    DeploymentHealth,
    Incident,
    IngestToken,
    MaintenanceWindow,
    RuleName,
    Silence,
    Source,
)
from roadie.oncall.models import Page

router = Router(tags=["monitoring"])


# --- ingest authentication --------------------------------------------------------------------


def _check_size(request: HttpRequest) -> None:
    limit = max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit or len(request.body) > limit:
        raise PayloadTooLarge(
            _("The body is larger than %(limit)d bytes; send smaller batches.") % {"limit": limit}
        )


class IngestTokenAuth(HttpBearer):
    """The deployment's ingest token (never a person's API token); request.auth is the token."""

    def __call__(self, request: HttpRequest) -> IngestToken | None:
        _check_size(request)
        return super().__call__(request)  # type: ignore[no-any-return]

    def authenticate(self, request: HttpRequest, token: str) -> IngestToken | None:
        return services.ingest_token_authenticate(plain=token)


class EventsAuth(IngestTokenAuth):
    """The ingest token in the Authorization header, or as `routing_key` in the event."""

    def __call__(self, request: HttpRequest) -> IngestToken | None:
        found = super().__call__(request)
        if found is not None:
            return found
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return None
        if isinstance(body, dict) and isinstance(body.get("routing_key"), str):
            return services.ingest_token_authenticate(plain=body["routing_key"])
        return None


ingest_auth = IngestTokenAuth()
events_auth = EventsAuth()


def _deployment_of(request: HttpRequest) -> Deployment:
    return request.auth.deployment  # type: ignore[attr-defined,no-any-return]


@contextmanager
def _retry_later() -> Iterator[None]:
    """SQLite under many concurrent writers may stay locked past its busy timeout: answer 503
    (Alertmanager, PagerDuty clients and the agent all retry) rather than a bare 500."""
    try:
        yield
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        raise Busy(_("Roadie is busy; retry in a few seconds."))


# --- ingest ------------------------------------------------------------------------------------


class IngestOut(Schema):
    accepted: int
    duplicate: bool


@router.post(
    "/ingest/metrics",
    auth=ingest_auth,
    response={202: IngestOut},
    tags=["ingest"],
    summary="Push metric samples (all-or-nothing batch)",
)
def ingest_metrics(request: HttpRequest, payload: MetricsIn) -> Status:
    """Samples may be up to 7 days old and 5 minutes ahead; one outside refuses the batch (422,
    naming the sample's index). Send an `Idempotency-Key` header to make resending safe."""
    with _retry_later():
        result = services.samples_ingest(
            deployment=_deployment_of(request),
            payload=payload,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
    return Status(202, {"accepted": result.accepted, "duplicate": result.duplicate})


class ReceiveOut(Schema):
    fired: int
    resolved: int
    updated: int
    unchanged: int
    suppressed: int
    incidents: list[int]


@router.post(
    "/ingest/alertmanager",
    auth=ingest_auth,
    response=ReceiveOut,
    tags=["ingest"],
    summary="Alertmanager webhook receiver (payload version 4)",
)
def ingest_alertmanager(request: HttpRequest, payload: AlertmanagerIn) -> services.ReceiveResult:
    with _retry_later():
        return services.alerts_receive(
            deployment=_deployment_of(request),
            source=Source.ALERTMANAGER,
            items=alertmanager_items(payload),
        )


class EventOut(Schema):
    status: str
    message: str
    dedup_key: str


@router.post(
    "/ingest/events",
    auth=events_auth,
    response={202: EventOut},
    tags=["ingest"],
    summary="PagerDuty Events API v2 (trigger, acknowledge, resolve)",
)
def ingest_event(request: HttpRequest, payload: EventIn) -> Status:
    with _retry_later():
        dedup_key = services.event_receive(deployment=_deployment_of(request), event=payload)
    return Status(202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key})


# --- incidents ---------------------------------------------------------------------------------


class IncidentOut(Schema):
    id: int
    deployment: int
    title: str
    rule: str
    source: str
    status: str
    severity: str
    dedup_key: str
    fingerprint: str
    outage: bool
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    duration_seconds: int | None
    quiet_since: datetime | None
    flaps: int
    flapping: bool
    ticket: str | None

    @staticmethod
    def resolve_deployment(obj: Incident) -> int:
        return obj.deployment_id

    @staticmethod
    def resolve_fingerprint(obj: Incident) -> str:
        return obj.dedup_key

    @staticmethod
    def resolve_ticket(obj: Incident) -> str | None:
        return obj.ticket.number if obj.ticket else None


class IncidentList(Schema):
    items: list[IncidentOut]
    next: str | None = None


class EventRow(Schema):
    kind: str
    at: datetime
    data: dict[str, Any]


class AlertRow(Schema):
    fingerprint: str
    rule: str
    status: str
    severity: str
    summary: str
    labels: dict[str, Any]
    annotations: dict[str, Any]
    starts_at: datetime
    ends_at: datetime | None
    suppressed_by: str


class PageRow(Schema):
    id: int
    status: str
    urgent: bool
    started_at: datetime
    resolved_at: datetime | None


class IncidentDetail(IncidentOut):
    events: list[EventRow]
    alerts: list[AlertRow]
    pages: list[PageRow]

    @staticmethod
    def resolve_events(obj: Incident) -> list[Any]:
        return selectors.incident_events(incident=obj)

    @staticmethod
    def resolve_alerts(obj: Incident) -> list[Any]:
        return selectors.incident_alerts(incident=obj)

    @staticmethod
    def resolve_pages(obj: Incident) -> list[Any]:
        return list(Page.objects.filter(source=obj.page_source))


def _visible_deployment(request: HttpRequest, deployment_id: int) -> Deployment:
    return selectors.deployment_get(viewer=viewer(request), deployment_id=deployment_id)


@router.get("/incidents", response=IncidentList)
def list_incidents(
    request: HttpRequest,
    deployment: int | None = None,
    status: str = "",
    before: int | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, object]:
    """Newest first. `status=open` lists the unresolved ones; `before` is the `next` cursor."""
    qs: QuerySet[Incident] = selectors.incidents_visible(viewer=viewer(request))
    if deployment is not None:
        qs = qs.filter(deployment=_visible_deployment(request, deployment))
    if status == "open":
        qs = qs.exclude(status=Incident.Status.RESOLVED)
    elif status:
        qs = qs.filter(status=status)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    items = list(qs.order_by("-pk")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next": str(items[-1].pk) if more else None}


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    return selectors.incident_get(viewer=viewer(request), incident_id=incident_id)


@router.get("/incidents/{incident_id}", response=IncidentDetail)
def get_incident(request: HttpRequest, incident_id: int) -> Incident:
    """The incident with its timeline, its alerts and the pages it started."""
    return _incident(request, incident_id)


@router.post("/incidents/{incident_id}/acknowledge", response=IncidentOut)
def acknowledge_incident(request: HttpRequest, incident_id: int) -> Incident:
    incident = _incident(request, incident_id)
    user = require(request, Action.WORK_TICKETS)
    return services.incident_acknowledge(incident=incident, by=user)


@router.post("/incidents/{incident_id}/resolve", response=IncidentOut)
def resolve_incident(request: HttpRequest, incident_id: int) -> Incident:
    incident = _incident(request, incident_id)
    user = require(request, Action.WORK_TICKETS)
    return services.incident_resolve(incident=incident, by=user)


# --- a deployment's health ----------------------------------------------------------------------


class FigureOut(Schema):
    name: str
    labels: dict[str, str]
    value: float
    ts: datetime


class HealthOut(Schema):
    deployment: int
    monitored: bool
    last_report_at: datetime | None
    last_heartbeat_at: datetime | None
    newest_backup_at: datetime | None
    reported_version: str
    figures: list[FigureOut]
    open_incidents: int


@router.get("/deployments/{deployment_id}/health", response=HealthOut)
def deployment_health(request: HttpRequest, deployment_id: int) -> dict[str, object]:
    deployment = _visible_deployment(request, deployment_id)
    health = DeploymentHealth.objects.filter(deployment=deployment).first()
    latest = selectors.latest_values(deployment=deployment, now=clock.now())
    figures = [
        {
            "name": name,
            "labels": json.loads(key) if key else {},
            "value": value,
            "ts": datetime.fromtimestamp(ts, tz=UTC),
        }
        for name, series in sorted(latest.items())
        for key, (ts, value) in sorted(series.items())
    ]
    return {
        "deployment": deployment.pk,
        "monitored": health is not None,
        "last_report_at": health.last_report_at if health else None,
        "last_heartbeat_at": health.last_heartbeat_at if health else None,
        "newest_backup_at": health.newest_backup_at if health else None,
        "reported_version": health.reported_version if health else "",
        "figures": figures,
        "open_incidents": deployment.incidents.exclude(status=Incident.Status.RESOLVED).count(),
    }


# --- ingest tokens -----------------------------------------------------------------------------


class TokenIn(Schema):
    name: str = Field("", max_length=100)
    replace: bool = False


class TokenCreated(Schema):
    token: str
    id: int
    prefix: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool

    @staticmethod
    def resolve_active(obj: IngestToken) -> bool:
        return obj.is_active


class TokenList(Schema):
    items: list[TokenOut]


def _manageable(request: HttpRequest, deployment_id: int) -> tuple[Deployment, Any]:
    user = viewer(request)
    deployment = selectors.deployment_get(viewer=user, deployment_id=deployment_id)
    return deployment, user


@router.get("/deployments/{deployment_id}/ingest-tokens", response=TokenList)
def list_ingest_tokens(request: HttpRequest, deployment_id: int) -> dict[str, object]:
    deployment, user = _manageable(request, deployment_id)
    if not services.may_manage_tokens(user=user, deployment=deployment):
        return {"items": []}
    return {"items": selectors.ingest_tokens_of(deployment=deployment)}


def _optional_body(request: HttpRequest, schema: type[TokenIn]) -> TokenIn:
    """A JSON body when there is one; `POST` with no body takes the defaults."""
    if not request.body.strip() or request.content_type != "application/json":
        return schema()
    try:
        data = json.loads(request.body)
    except ValueError:
        raise HttpError(400, "Cannot parse request body")
    try:
        return schema.model_validate(data)
    except PydanticValidationError as error:
        raise ValidationError(
            [{**e, "loc": ("body", "payload", *e["loc"])} for e in error.errors(include_url=False)]
        )


@router.post(
    "/deployments/{deployment_id}/ingest-tokens",
    response={201: TokenCreated},
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": TokenIn.model_json_schema()}},
        }
    },
)
def create_ingest_token(request: HttpRequest, deployment_id: int) -> Status:
    """The token is in this answer only; Roadie keeps its hash. `replace` revokes the others.
    The body is optional: {"name": "", "replace": false}."""
    deployment, user = _manageable(request, deployment_id)
    payload = _optional_body(request, TokenIn)
    token, plain = services.ingest_token_create(
        deployment=deployment, by=user, name=payload.name, replace=payload.replace
    )
    return Status(201, {"token": plain, "id": token.pk, "prefix": token.prefix})


@router.delete("/deployments/{deployment_id}/ingest-tokens/{token_id}", response={204: None})
def revoke_ingest_token(request: HttpRequest, deployment_id: int, token_id: int) -> Status:
    deployment, user = _manageable(request, deployment_id)
    token = deployment.ingest_tokens.get(pk=token_id)
    services.ingest_token_revoke(token=token, by=user)
    return Status(204, None)


# --- silences and maintenance windows ------------------------------------------------------------


# Required fields are checked after the deployment is found, so an invisible deployment is a
# 404 whatever the body says.


class SilenceIn(Schema):
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    comment: str = Field("", max_length=500)
    rule: str = Field("", max_length=100)
    matchers: dict[str, str] = Field(default_factory=dict, max_length=16)


class SilenceOut(Schema):
    id: int
    rule: str
    matchers: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    comment: str


class SilenceList(Schema):
    items: list[SilenceOut]


class MaintenanceIn(Schema):
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    reason: str = Field("", max_length=500)


class MaintenanceOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    reason: str


class MaintenanceList(Schema):
    items: list[MaintenanceOut]


def _required_end(ends_at: datetime | None) -> datetime:
    if ends_at is None:
        raise InvalidWindow(_("Give the end (with its UTC offset)."), field="ends_at")
    return ends_at


@router.get("/deployments/{deployment_id}/silences", response=SilenceList)
def list_silences(request: HttpRequest, deployment_id: int) -> dict[str, object]:
    deployment = _visible_deployment(request, deployment_id)
    return {"items": selectors.silences_of(deployment=deployment, now=clock.now())}


@router.post("/deployments/{deployment_id}/silences", response={201: SilenceOut})
def create_silence(request: HttpRequest, deployment_id: int, payload: SilenceIn) -> Status:
    deployment, user = _manageable(request, deployment_id)
    silence = services.silence_create(
        deployment=deployment,
        by=user,
        starts_at=payload.starts_at or clock.now(),
        ends_at=_required_end(payload.ends_at),
        comment=payload.comment,
        rule=payload.rule,
        matchers=payload.matchers,
    )
    return Status(201, silence)


@router.delete("/deployments/{deployment_id}/silences/{silence_id}", response={204: None})
def expire_silence(request: HttpRequest, deployment_id: int, silence_id: int) -> Status:
    deployment, user = _manageable(request, deployment_id)
    silence = Silence.objects.get(deployment=deployment, pk=silence_id)
    services.silence_expire(silence=silence, by=user)
    return Status(204, None)


@router.get("/deployments/{deployment_id}/maintenance", response=MaintenanceList)
def list_maintenance(request: HttpRequest, deployment_id: int) -> dict[str, object]:
    deployment = _visible_deployment(request, deployment_id)
    return {"items": selectors.maintenance_of(deployment=deployment, now=clock.now())}


@router.post("/deployments/{deployment_id}/maintenance", response={201: MaintenanceOut})
def create_maintenance(request: HttpRequest, deployment_id: int, payload: MaintenanceIn) -> Status:
    deployment, user = _manageable(request, deployment_id)
    window = services.maintenance_create(
        deployment=deployment,
        by=user,
        starts_at=payload.starts_at or clock.now(),
        ends_at=_required_end(payload.ends_at),
        reason=payload.reason,
    )
    return Status(201, window)


@router.delete("/deployments/{deployment_id}/maintenance/{window_id}", response={204: None})
def end_maintenance(request: HttpRequest, deployment_id: int, window_id: int) -> Status:
    deployment, user = _manageable(request, deployment_id)
    window = MaintenanceWindow.objects.select_related("deployment").get(
        deployment=deployment, pk=window_id
    )
    services.maintenance_end(window=window, by=user)
    return Status(204, None)


# --- rule settings -------------------------------------------------------------------------------


class RuleIn(Schema):
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)


class RuleOut(Schema):
    rule: str
    enabled: bool
    params: dict[str, Any]
    layer: str


class RuleList(Schema):
    items: list[RuleOut]


def _rule_rows(deployment: Deployment) -> list[dict[str, object]]:
    return [
        {"rule": r.rule, "enabled": r.config.enabled, "params": r.config.params, "layer": r.layer}
        for r in selectors.rules_of(deployment=deployment)
    ]


def _rule_name(rule: str) -> str:
    if rule not in RuleName.values:
        raise Alert.DoesNotExist
    return rule


@router.get("/deployments/{deployment_id}/rules", response=RuleList)
def list_rules(request: HttpRequest, deployment_id: int) -> dict[str, object]:
    """The rules in force: the code's defaults, the product's settings, this deployment's own."""
    return {"items": _rule_rows(_visible_deployment(request, deployment_id))}


@router.put("/deployments/{deployment_id}/rules/{rule}", response=RuleList)
def set_rule(
    request: HttpRequest, deployment_id: int, rule: str, payload: RuleIn
) -> dict[str, object]:
    deployment, user = _manageable(request, deployment_id)
    services.rule_setting_set(
        rule=_rule_name(rule),
        by=user,
        enabled=payload.enabled,
        params=payload.params,
        deployment=deployment,
    )
    return {"items": _rule_rows(deployment)}


@router.delete("/deployments/{deployment_id}/rules/{rule}", response={204: None})
def clear_rule(request: HttpRequest, deployment_id: int, rule: str) -> Status:
    deployment, user = _manageable(request, deployment_id)
    services.rule_setting_clear(rule=_rule_name(rule), by=user, deployment=deployment)
    return Status(204, None)


@router.put("/products/{slug}/rules/{rule}", response=RuleOut)
def set_product_rule(
    request: HttpRequest, slug: str, rule: str, payload: RuleIn
) -> dict[str, object]:
    """A product's default for a rule (every deployment of it, unless it overrides)."""
    user = require_staff(request)
    product = Product.objects.get(slug=slug)
    setting = services.rule_setting_set(
        rule=_rule_name(rule),
        by=user,
        enabled=payload.enabled,
        params=payload.params,
        product=product,
    )
    return {
        "rule": setting.rule,
        "enabled": setting.enabled,
        "params": setting.params,
        "layer": "product",
    }


@router.delete("/products/{slug}/rules/{rule}", response={204: None})
def clear_product_rule(request: HttpRequest, slug: str, rule: str) -> HttpResponse | Status:
    user = require_staff(request)
    product = Product.objects.get(slug=slug)
    services.rule_setting_clear(rule=_rule_name(rule), by=user, product=product)
    return Status(204, None)
