"""Silences (one deployment's alerts of a rule, muted for a while) and maintenance windows
(planned work: every alert of the deployment muted)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import Role, User
from roadie.accounts.permissions import Action, can
from roadie.core import clock
from roadie.customers.models import Deployment
from roadie.monitoring.errors import InvalidWindow, NotAllowed
from roadie.monitoring.ingest import LABEL_NAME
from roadie.monitoring.models import MaintenanceWindow, Silence

MAX_SPAN = timedelta(days=31)


def may_silence(*, user: User) -> bool:
    return can(user, Action.WORK_TICKETS)


def may_plan_maintenance(*, user: User, deployment: Deployment) -> bool:
    """Staff, and the customer admins of the deployment's organization (they plan upgrades)."""
    if can(user, Action.WORK_TICKETS):
        return True
    return (
        user.is_authenticated
        and user.is_active
        and user.role == Role.CUSTOMER_ADMIN
        and user.organization_id == deployment.organization_id
    )


def _check_span(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    for value, name in ((starts_at, "starts_at"), (ends_at, "ends_at")):
        if value.tzinfo is None:
            raise InvalidWindow(_("Give the time with its UTC offset."), field=name)
    if ends_at <= starts_at:
        raise InvalidWindow(_("The end must come after the start."), field="ends_at")
    if ends_at <= now:
        raise InvalidWindow(_("The end must lie in the future."), field="ends_at")
    if ends_at - starts_at > MAX_SPAN:
        raise InvalidWindow(_("At most 31 days at a time."), field="ends_at")


def _text(value: str, field: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise InvalidWindow(_("Say why."), field=field)
    return value[:500]


@transaction.atomic
def silence_create(
    *,
    deployment: Deployment,
    by: User,
    starts_at: datetime,
    ends_at: datetime,
    comment: str,
    rule: str = "",
    matchers: dict[str, str] | None = None,
) -> Silence:
    if not may_silence(user=by):
        raise NotAllowed(_("Only support staff can silence alerts."))
    _check_span(starts_at, ends_at, clock.now())
    matchers = dict(matchers or {})
    for key, value in matchers.items():
        if not LABEL_NAME.match(key) or not isinstance(value, str) or len(value) > 100:
            raise InvalidWindow(_("Label matchers are name: value pairs."), field="matchers")
    return Silence.objects.create(
        deployment=deployment,
        rule=(rule or "").strip()[:100],
        matchers=matchers,
        starts_at=starts_at,
        ends_at=ends_at,
        comment=_text(comment, "comment"),
        created_by=by,
    )


@transaction.atomic
def silence_expire(*, silence: Silence, by: User) -> None:
    """End a silence now (one that has not begun is deleted)."""
    if not may_silence(user=by):
        raise NotAllowed(_("Only support staff can silence alerts."))
    now = clock.now()
    if silence.starts_at >= now:
        silence.delete()
    elif silence.ends_at > now:
        silence.ends_at = now
        silence.save(update_fields=["ends_at"])


@transaction.atomic
def maintenance_create(
    *,
    deployment: Deployment,
    by: User,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
) -> MaintenanceWindow:
    if not may_plan_maintenance(user=by, deployment=deployment):
        raise NotAllowed(_("Only staff and the customer's admins plan maintenance."))
    _check_span(starts_at, ends_at, clock.now())
    return MaintenanceWindow.objects.create(
        deployment=deployment,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=_text(reason, "reason"),
        created_by=by,
    )


@transaction.atomic
def maintenance_end(*, window: MaintenanceWindow, by: User) -> None:
    """End a maintenance window now (one that has not begun is deleted)."""
    if not may_plan_maintenance(user=by, deployment=window.deployment):
        raise NotAllowed(_("Only staff and the customer's admins plan maintenance."))
    now = clock.now()
    if window.starts_at >= now:
        window.delete()
    elif window.ends_at > now:
        window.ends_at = now
        window.save(update_fields=["ends_at"])
