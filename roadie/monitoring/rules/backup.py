"""A stale backup: the newest backup the agent found is older than the rule allows."""

from typing import Any

from django.utils.translation import gettext as _

from roadie.monitoring.rules.base import BACKUP_STALE, FIRING, RESOLVED, Transition, when


def backup_check(
    *,
    newest_backup: float | None,
    seen_at: float | None,
    firing: bool,
    now: float,
    params: dict[str, Any],
) -> Transition | None:
    """`newest_backup` is the backup's own time (sample time minus the reported age)."""
    if newest_backup is None:
        return None
    limit = float(params["max_age_seconds"])
    age = now - newest_backup
    if age > limit and not firing:
        return Transition(
            BACKUP_STALE,
            {},
            FIRING,
            newest_backup + limit,
            params["severity"],
            _("Newest backup is %(hours).0f h old (from %(at)s; limit %(limit).0f h)")
            % {"hours": age / 3600, "at": when(newest_backup), "limit": limit / 3600},
            {"newest_backup": newest_backup, "age_seconds": age},
        )
    if age <= limit and firing:
        return Transition(BACKUP_STALE, {}, RESOLVED, seen_at or now, params["severity"])
    return None
