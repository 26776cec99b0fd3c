"""Thresholds held for a duration (CPU over 90 % for 5 minutes), judged by sample timestamps."""

from typing import Any

from django.utils.translation import gettext as _

from roadie.monitoring.rules.base import (
    CPU_HIGH,
    DISK_FULL,
    FIRING,
    RESOLVED,
    SERVICE_DOWN,
    ThresholdSpec,
    Transition,
)

# Samples further apart than this do not prove the condition held in between.
MAX_GAP_SECONDS = 180.0


def matches(spec: ThresholdSpec, labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in spec.match.items())


def _summary(rule: str, value: float, params: dict[str, Any], labels: dict[str, str]) -> str:
    minutes = round(params["for_seconds"] / 60)
    if rule == CPU_HIGH:
        return _("CPU at %(value).0f%% for %(minutes)d min (threshold %(threshold).0f%%)") % {
            "value": value,
            "minutes": minutes,
            "threshold": params["threshold"],
        }
    if rule == DISK_FULL:
        return _("Disk %(mount)s is %(value).0f%% full (threshold %(threshold).0f%%)") % {
            "mount": labels.get("mount", "/"),
            "value": value,
            "threshold": params["threshold"],
        }
    if rule == SERVICE_DOWN:
        return _("Health check failing for %(minutes)d min") % {"minutes": minutes}
    return f"{rule} {value:g}"


def threshold_step(
    state: dict[str, Any],
    *,
    rule: str,
    spec: ThresholdSpec,
    params: dict[str, Any],
    labels: dict[str, str],
    ts: float,
    value: float,
) -> Transition | None:
    """Feed one sample (in time order) to a threshold's state: {"s": run start, "l": last ts,
    "f": firing}. A sample older than the last one seen is ignored (it was judged already)."""
    last = state.get("l")
    if last is not None and ts <= last:
        return None
    gap = last is not None and ts - last > MAX_GAP_SECONDS
    state["l"] = ts
    threshold = float(params["threshold"])
    breach = value > threshold if spec.op == ">" else value < threshold
    firing = bool(state.get("f"))
    if not breach:
        # Nothing to remember while all is well: the state stays empty and costs no write.
        state.clear()
        if firing:
            return Transition(rule, labels, RESOLVED, ts, params["severity"])
        return None
    if state.get("s") is None or (gap and not firing):
        state["s"] = ts
    if not firing and ts - state["s"] >= float(params["for_seconds"]):
        state["f"] = True
        return Transition(
            rule,
            labels,
            FIRING,
            state["s"],
            params["severity"],
            _summary(rule, value, params, labels),
            {"value": value, "threshold": threshold, "confirmed_at": ts},
        )
    return None
