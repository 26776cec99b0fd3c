"""Writes of the scorecard: switching the public link on and off."""

import secrets
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.accounts.permissions import Action, can
from roadie.core import clock
from roadie.core.errors import InvalidInput, PermissionDenied
from roadie.scorecard.models import ScorecardShare

PERIODS = (30, 90, 180, 365)


def _require_manager(user: User) -> None:
    if not can(user, Action.MANAGE_CUSTOMERS):
        raise PermissionDenied(_("Only managers and administrators can share the scorecard."))


@transaction.atomic
def scorecard_share_enable(
    *, by: User, period_days: int = 90, at: datetime | None = None
) -> ScorecardShare:
    """Switch the public link on with a new random token; any earlier link stops working."""
    _require_manager(by)
    if period_days not in PERIODS:
        raise InvalidInput(
            _("Choose a period of %(choices)s days.")
            % {"choices": ", ".join(str(p) for p in PERIODS)},
            field="period_days",
        )
    now = at or clock.now()
    ScorecardShare.objects.select_for_update().filter(revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    return ScorecardShare.objects.create(
        token=secrets.token_urlsafe(24), period_days=period_days, created_by=by, created_at=now
    )


@transaction.atomic
def scorecard_share_revoke(*, by: User, at: datetime | None = None) -> int:
    """Switch the public link off; returns how many links were revoked (0 if none was on)."""
    _require_manager(by)
    return (
        ScorecardShare.objects.select_for_update()
        .filter(revoked_at__isnull=True)
        .update(revoked_at=at or clock.now(), revoked_by=by)
    )
