"""Writes for monitoring: ingest tokens, samples, alerts, incidents, silences, rule settings,
storage. Every write goes through one of these functions."""

from roadie.monitoring.services.alerts import (
    ReceiveResult,
    alerts_receive,
    event_acknowledge,
    event_receive,
    group_key,
    suppressions_lift,
)
from roadie.monitoring.services.incidents import (
    incident_acknowledge,
    incident_resolve,
    incidents_settle,
    ticket_severity,
)
from roadie.monitoring.services.rules import rule_setting_clear, rule_setting_set
from roadie.monitoring.services.samples import IngestResult, samples_ingest
from roadie.monitoring.services.silences import (
    maintenance_create,
    maintenance_end,
    may_plan_maintenance,
    may_silence,
    silence_create,
    silence_expire,
)
from roadie.monitoring.services.storage import monitoring_prune, samples_roll_up
from roadie.monitoring.services.system import monitoring_user
from roadie.monitoring.services.tokens import (
    ingest_token_authenticate,
    ingest_token_create,
    ingest_token_revoke,
    may_manage_tokens,
)

__all__ = [
    "IngestResult",
    "ReceiveResult",
    "alerts_receive",
    "event_acknowledge",
    "event_receive",
    "group_key",
    "incident_acknowledge",
    "incident_resolve",
    "incidents_settle",
    "ingest_token_authenticate",
    "ingest_token_create",
    "ingest_token_revoke",
    "maintenance_create",
    "maintenance_end",
    "may_manage_tokens",
    "may_plan_maintenance",
    "may_silence",
    "monitoring_prune",
    "monitoring_user",
    "rule_setting_clear",
    "rule_setting_set",
    "samples_ingest",
    "samples_roll_up",
    "silence_create",
    "silence_expire",
    "suppressions_lift",
    "ticket_severity",
]
