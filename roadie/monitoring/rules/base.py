"""What every rule shares: the transition it reports, the defaults, and how settings combine.

Rules are pure: they read samples (epoch-second timestamps, the samples' own) and a small
state dict they may change, and return a Transition when an alert starts or ends.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

FIRING = "firing"
RESOLVED = "resolved"

CPU_HIGH = "cpu_high"
DISK_FULL = "disk_full"
SERVICE_DOWN = "service_down"
HEARTBEAT_MISSING = "heartbeat_missing"
BACKUP_STALE = "backup_stale"
MEMORY_LEAK = "memory_leak"

# Rules whose alerts mean the service is down: urgent tickets for production deployments.
OUTAGE_RULES = frozenset({HEARTBEAT_MISSING, SERVICE_DOWN})


@dataclass(frozen=True)
class Transition:
    """An alert of `rule` on the series `labels` starts (firing) or ends (resolved) at `at`."""

    rule: str
    labels: dict[str, str]
    status: str
    at: float
    severity: str = "warning"
    summary: str = ""
    annotations: dict[str, Any] = field(default_factory=dict)

    @property
    def outage(self) -> bool:
        return self.rule in OUTAGE_RULES


@dataclass(frozen=True)
class ThresholdSpec:
    metric: str
    op: str  # ">" or "<"
    match: Mapping[str, str] = field(default_factory=dict)


# Which series each threshold rule watches; the numbers are settings (below).
THRESHOLD_RULES: dict[str, ThresholdSpec] = {
    CPU_HIGH: ThresholdSpec("cpu_percent", ">"),
    DISK_FULL: ThresholdSpec("disk_used_percent", ">"),
    SERVICE_DOWN: ThresholdSpec("heartbeat", "<", {"probe": "http"}),
}

DEFAULTS: dict[str, dict[str, Any]] = {
    CPU_HIGH: {"threshold": 90.0, "for_seconds": 300, "severity": "warning"},
    DISK_FULL: {"threshold": 90.0, "for_seconds": 300, "severity": "warning"},
    SERVICE_DOWN: {"threshold": 1.0, "for_seconds": 120, "severity": "critical"},
    HEARTBEAT_MISSING: {"after_seconds": 300, "severity": "critical"},
    BACKUP_STALE: {"max_age_seconds": 86400, "severity": "warning"},
    MEMORY_LEAK: {
        "warning_hours": 24.0,
        "critical_hours": 4.0,
        "hits": 3,
        "clear": 6,
        "window_hours": 12.0,
        "min_rho": 0.8,
    },
}

# (type, minimum, maximum) of every parameter a product or deployment may set.
PARAM_LIMITS: dict[str, dict[str, tuple[type, float, float]]] = {
    CPU_HIGH: {"threshold": (float, 1, 100), "for_seconds": (int, 0, 86400)},
    DISK_FULL: {"threshold": (float, 1, 100), "for_seconds": (int, 0, 86400)},
    SERVICE_DOWN: {"for_seconds": (int, 0, 86400)},
    HEARTBEAT_MISSING: {"after_seconds": (int, 60, 7 * 86400)},
    BACKUP_STALE: {"max_age_seconds": (int, 3600, 90 * 86400)},
    MEMORY_LEAK: {
        "warning_hours": (float, 1, 24 * 30),
        "critical_hours": (float, 0.5, 24 * 7),
        "hits": (int, 1, 48),
        "clear": (int, 1, 96),
        "window_hours": (float, 3, 48),
        "min_rho": (float, 0.5, 0.99),
    },
}
SEVERITIES = ("critical", "error", "warning", "info")

# Series the rule cycle reads; everything else is only stored and charted.
RULE_METRICS = frozenset(
    {
        "heartbeat",
        "cpu_percent",
        "disk_used_percent",
        "memory_used_bytes",
        "memory_total_bytes",
        "process_rss_bytes",
    }
)


@dataclass(frozen=True)
class RuleConfig:
    enabled: bool
    params: dict[str, Any]


def effective_rules(
    product: Mapping[str, tuple[bool, Mapping[str, Any]]] | None = None,
    deployment: Mapping[str, tuple[bool, Mapping[str, Any]]] | None = None,
) -> dict[str, RuleConfig]:
    """The code's defaults, then the product's settings, then the deployment's overrides."""
    result = {}
    for rule, defaults in DEFAULTS.items():
        enabled, params = True, dict(defaults)
        for layer in (product or {}, deployment or {}):
            if rule in layer:
                layer_enabled, layer_params = layer[rule]
                enabled = layer_enabled
                params.update(layer_params or {})
        result[rule] = RuleConfig(enabled, params)
    return result


def labels_of(key: str) -> dict[str, str]:
    """The labels dict of a canonical labels key ('' or compact sorted JSON)."""
    if not key:
        return {}
    return json.loads(key)  # type: ignore[no-any-return]


def when(ts: float) -> str:
    """A sample time as the people reading the alert see it (the site's time zone)."""
    return timezone.localtime(datetime.fromtimestamp(ts, tz=UTC)).strftime("%Y-%m-%d %H:%M")
