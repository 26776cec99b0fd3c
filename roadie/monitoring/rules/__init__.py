"""Rules: pure functions over samples and a small state; the cycle is roadie.monitoring.evaluate."""

from roadie.monitoring.rules.backup import backup_check
from roadie.monitoring.rules.base import (
    BACKUP_STALE,
    CPU_HIGH,
    DEFAULTS,
    DISK_FULL,
    FIRING,
    HEARTBEAT_MISSING,
    MEMORY_LEAK,
    OUTAGE_RULES,
    PARAM_LIMITS,
    RESOLVED,
    RULE_METRICS,
    SERVICE_DOWN,
    SEVERITIES,
    THRESHOLD_RULES,
    RuleConfig,
    Transition,
    effective_rules,
    labels_of,
)
from roadie.monitoring.rules.heartbeat import heartbeat_check
from roadie.monitoring.rules.memory_leak import assess, leak_judge
from roadie.monitoring.rules.thresholds import threshold_step

__all__ = [
    "BACKUP_STALE",
    "CPU_HIGH",
    "DEFAULTS",
    "DISK_FULL",
    "FIRING",
    "HEARTBEAT_MISSING",
    "MEMORY_LEAK",
    "OUTAGE_RULES",
    "PARAM_LIMITS",
    "RESOLVED",
    "RULE_METRICS",
    "SERVICE_DOWN",
    "SEVERITIES",
    "THRESHOLD_RULES",
    "RuleConfig",
    "Transition",
    "assess",
    "backup_check",
    "effective_rules",
    "heartbeat_check",
    "labels_of",
    "leak_judge",
    "threshold_step",
]
