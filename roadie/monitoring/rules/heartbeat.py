"""A missing heartbeat: nothing heard for longer than the rule allows. It resolves itself when
the deployment reports again."""

from typing import Any

from django.utils.translation import gettext as _

from roadie.monitoring.rules.base import FIRING, HEARTBEAT_MISSING, RESOLVED, Transition, when


def heartbeat_check(
    *,
    last_heartbeat: float | None,
    last_report: float | None,
    firing: bool,
    now: float,
    params: dict[str, Any],
) -> Transition | None:
    if last_heartbeat is None:
        return None  # never reported: not monitored yet
    silent = now - last_heartbeat > float(params["after_seconds"])
    if silent and not firing:
        return Transition(
            HEARTBEAT_MISSING,
            {},
            FIRING,
            last_heartbeat,
            params["severity"],
            _("No heartbeat since %(since)s") % {"since": when(last_heartbeat)},
            {"last_heartbeat": last_heartbeat},
        )
    if not silent and firing:
        return Transition(
            HEARTBEAT_MISSING, {}, RESOLVED, max(last_report or now, last_heartbeat), "critical"
        )
    return None
