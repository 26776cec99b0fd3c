"""The shapes that arrive at the ingest endpoints, checked and turned into Roadie's terms.

Three shapes, kept as external tools send them:
- the native metrics batch `{"samples": [{"name", "value", "ts", "labels"}], "version"?}`;
- the Alertmanager webhook, payload version 4 (firing alerts carry the zero `endsAt`
  0001-01-01T00:00:00Z: an alert's state is its `status`, never its times);
- a PagerDuty Events API v2 event (`routing_key`, `event_action`, `dedup_key`, `payload`).

Pure: no database. The services store what these functions return.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.utils.translation import gettext as _
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from roadie.monitoring.errors import InvalidPayload, SampleOutsideWindow

MAX_BODY_BYTES = 1024 * 1024
MAX_SAMPLES = 10_000
MAX_ALERTS = 5_000
MAX_LABELS = 16
MAX_PAST = timedelta(days=7)
MAX_FUTURE = timedelta(minutes=5)
LABELS_KEY_MAX = 200
METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]{0,63}$"
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")
ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def max_body_bytes() -> int:
    """The body size limit of the ingest endpoints (setting ROADIE_INGEST_MAX_BYTES)."""
    return int(getattr(settings, "ROADIE_INGEST_MAX_BYTES", MAX_BODY_BYTES))


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    for key, value in labels.items():
        if not LABEL_NAME.match(key):
            raise ValueError(f"label name {key!r} is not [a-zA-Z_][a-zA-Z0-9_]*")
        if len(value) > 100:
            raise ValueError(f"label {key!r} is longer than 100 characters")
    return labels


# --- native metrics -----------------------------------------------------------------------


class SampleIn(BaseModel):
    name: str = Field(pattern=METRIC_NAME, examples=["cpu_percent"])
    value: float = Field(allow_inf_nan=False, examples=[93.5])
    ts: AwareDatetime = Field(examples=["2026-11-25T08:00:00+08:00"])
    labels: dict[str, str] = Field(default_factory=dict, max_length=MAX_LABELS)

    _labels = field_validator("labels")(_check_labels)


class MetricsIn(BaseModel):
    samples: list[SampleIn] = Field(min_length=1, max_length=MAX_SAMPLES)
    # The product version the deployment runs, and the agent that sent the batch (optional).
    version: str | None = Field(None, max_length=64)
    agent: str | None = Field(None, max_length=100)


@dataclass(frozen=True)
class CheckedSample:
    name: str
    labels: str  # canonical key
    ts: float
    value: float


def labels_key(labels: dict[str, str]) -> str:
    """One canonical text per label set: '' or compact JSON with sorted keys."""
    if not labels:
        return ""
    return json.dumps(labels, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def check_samples(samples: list[SampleIn], *, now: datetime) -> list[CheckedSample]:
    """Refuse the whole batch if any sample lies outside [now − 7 days, now + 5 minutes]."""
    oldest, newest = (now - MAX_PAST).timestamp(), (now + MAX_FUTURE).timestamp()
    checked = []
    for index, sample in enumerate(samples):
        ts = sample.ts.timestamp()
        if ts < oldest:
            raise SampleOutsideWindow(
                _("Sample %(index)d (%(ts)s) is older than 7 days.")
                % {"index": index, "ts": sample.ts.isoformat()},
                index=index,
                field=f"samples.{index}.ts",
            )
        if ts > newest:
            raise SampleOutsideWindow(
                _("Sample %(index)d (%(ts)s) is more than 5 minutes ahead of the server's clock.")
                % {"index": index, "ts": sample.ts.isoformat()},
                index=index,
                field=f"samples.{index}.ts",
            )
        key = labels_key(sample.labels)
        if len(key) > LABELS_KEY_MAX:
            raise InvalidPayload(
                _("The labels of sample %(index)d are too long.") % {"index": index},
                field=f"samples.{index}.labels",
            )
        checked.append(CheckedSample(sample.name, key, ts, sample.value))
    return checked


# --- alerts in Roadie's terms ---------------------------------------------------------------


@dataclass
class AlertItem:
    """One alert as a source reports it: firing or resolved, identified by its fingerprint."""

    fingerprint: str
    rule: str
    status: Literal["firing", "resolved"]
    starts_at: datetime
    ends_at: datetime | None = None
    severity: str = "warning"
    summary: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)
    outage: bool = False


_SEVERITY_ALIASES = {
    "critical": "critical",
    "page": "critical",
    "fatal": "critical",
    "high": "critical",
    "error": "error",
    "major": "error",
    "warning": "warning",
    "warn": "warning",
    "minor": "warning",
    "medium": "warning",
    "info": "info",
    "informational": "info",
    "low": "info",
    "none": "info",
}


def severity_of(value: str | None) -> str:
    return _SEVERITY_ALIASES.get((value or "").strip().lower(), "warning")


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes"}


# --- Alertmanager webhook, version 4 ----------------------------------------------------------


class AlertmanagerAlertIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: AwareDatetime  # noqa: N815 - Alertmanager's field names
    endsAt: AwareDatetime | None = None  # noqa: N815
    generatorURL: str = ""  # noqa: N815
    fingerprint: str = Field("", max_length=255)


class AlertmanagerIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: Literal["4"]
    groupKey: str = ""  # noqa: N815
    truncatedAlerts: int = 0  # noqa: N815
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    commonLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    commonAnnotations: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    externalURL: str = ""  # noqa: N815
    alerts: list[AlertmanagerAlertIn] = Field(max_length=MAX_ALERTS)


def _labels_fingerprint(labels: dict[str, str]) -> str:
    return hashlib.sha256(labels_key(labels).encode()).hexdigest()[:16]


def alertmanager_items(payload: AlertmanagerIn) -> list[AlertItem]:
    items = []
    for alert in payload.alerts:
        labels = dict(alert.labels)
        rule = labels.get("alertname") or "alertmanager"
        ends_at = alert.endsAt if alert.endsAt and alert.endsAt > ZERO_TIME else None
        summary = alert.annotations.get("summary") or alert.annotations.get("description") or rule
        items.append(
            AlertItem(
                fingerprint=alert.fingerprint or _labels_fingerprint(labels),
                rule=rule[:100],
                status=alert.status,
                starts_at=alert.startsAt,
                ends_at=ends_at if alert.status == "resolved" else None,
                severity=severity_of(labels.get("severity")),
                summary=summary[:500],
                labels=labels,
                annotations={**alert.annotations, "generatorURL": alert.generatorURL},
                outage=_truthy(labels.get("outage", "")),
            )
        )
    return items


# --- PagerDuty Events API v2 ----------------------------------------------------------------


class EventPayloadIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field("", max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: AwareDatetime | None = None
    component: str | None = Field(None, max_length=255)
    group: str | None = Field(None, max_length=255)
    class_: str | None = Field(None, alias="class", max_length=255)
    custom_details: dict[str, Any] | None = None


class EventIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    routing_key: str | None = Field(None, max_length=200)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(None, max_length=255)
    payload: EventPayloadIn | None = None
    client: str | None = None
    client_url: str | None = None
    links: list[dict[str, Any]] = Field(default_factory=list)
    images: list[dict[str, Any]] = Field(default_factory=list)


EVENT_RULE = "event"


def event_item(event: EventIn, *, dedup_key: str, now: datetime) -> AlertItem:
    """A trigger as an alert. Its timestamp is used when it is plausible, else `now`."""
    payload = event.payload
    if payload is None:
        raise InvalidPayload(_("A trigger needs a payload."), field="payload")
    starts_at = payload.timestamp or now
    if not (now - MAX_PAST <= starts_at <= now + MAX_FUTURE):
        starts_at = now
    details = payload.custom_details or {}
    labels = {
        key: str(value)[:100]
        for key, value in (
            ("source", payload.source),
            ("component", payload.component),
            ("group", payload.group),
            ("class", payload.class_),
        )
        if value
    }
    return AlertItem(
        fingerprint=dedup_key,
        rule=EVENT_RULE,
        status="firing",
        starts_at=starts_at,
        severity=payload.severity,
        summary=payload.summary[:500],
        labels=labels,
        annotations={"custom_details": details, "client": event.client or ""},
        outage=_truthy(details.get("outage", "")) if isinstance(details, dict) else False,
    )
