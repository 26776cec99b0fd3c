"""Reads for SLA: the snapshot a new ticket binds, due-time previews, calendar coverage."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.db.models import QuerySet, Subquery
from django.utils.translation import gettext as _

from roadie.core.choices import Severity
from roadie.core.errors import InvalidInput
from roadie.customers.models import Contract, Organization, Tier
from roadie.customers.selectors import contracts_newest_first
from roadie.sla import clocks
from roadie.sla.errors import NaiveDateTime, NoPolicy
from roadie.sla.models import Calendar, CalendarOverride, ContractTarget, Policy, Revision

# Tickets of an organization without a contract are served on this tier.
DEFAULT_TIER = "standard"
# Longest range the unknown-dates report walks in one request.
MAX_COVERAGE_DAYS = 3 * 366


def policies() -> QuerySet[Policy]:
    return Policy.objects.select_related("tier", "response_calendar", "resolution_calendar")


def calendars() -> QuerySet[Calendar]:
    return Calendar.objects.all()


def calendar_corrections() -> QuerySet[CalendarOverride]:
    return CalendarOverride.objects.order_by("date")


# -- reads cached per process under the revision token (models.Revision) ---------------------

T = TypeVar("T")
_cache: dict[str, Any] = {}


def _cached(token: str | None, key: str, load: Callable[[], T]) -> T:
    """load() once per token; without a token (no revision row yet) always load()."""
    global _cache
    if token is None:
        return load()
    cache = _cache
    if cache.get("token") != token:
        # A new revision: drop everything read under the old one.
        cache = _cache = {"token": token}
    if key not in cache:
        cache[key] = load()
    return cache[key]


def revision_token() -> str | None:
    return Revision.objects.filter(pk=1).values_list("token", flat=True).first()


def current_terms(*, organization: Organization) -> tuple[Contract | None, str | None]:
    """The organization's current contract and the SLA revision token, in one query.

    The token read here (before any cached read) is what sla_snapshot and calendar_overrides
    may serve from cache: a change that commits after this read moves the token, so a cache
    filled later is never kept under a token older than its contents.
    """
    token = Subquery(Revision.objects.filter(pk=1).values("token")[:1])
    contract = (
        contracts_newest_first(organization=organization).annotate(sla_token=token).first()
    )
    if contract is None:
        return None, revision_token()
    return contract, contract.sla_token


def calendar_overrides(*, token: str | None = None) -> dict[date, bool]:
    """Date corrections for every Chinese-calendar calendar."""
    return _cached(
        token,
        "overrides",
        lambda: dict(CalendarOverride.objects.values_list("date", "is_working")),
    )


def sla_snapshot(*, contract: Contract | None, token: str | None = None) -> dict[str, Any]:
    """Everything a ticket needs to run its clocks without reading policies again (Rule 7).

    Targets for every severity are kept, so a later severity change uses the targets that
    were in force when the ticket was opened.  Calendars take the contract's time zone.
    Returns {} when the tier has no policies (the ticket then has no clocks).  With the
    revision ``token`` read in the same transaction (current_terms), policies and targets
    come from this process's cache.
    """
    if contract is not None:
        tier: Tier | None = contract.tier
        time_zone: str | None = contract.time_zone
        overrides = _cached(
            token,
            f"targets:{contract.pk}",
            lambda: {t.severity: t for t in ContractTarget.objects.filter(contract=contract)},
        )
    else:
        tier = Tier.objects.filter(slug=DEFAULT_TIER).first()
        time_zone = None
        overrides = {}
    if tier is None:
        return {}
    specs: dict[str, dict[str, Any]] = {}
    severities: dict[str, dict[str, Any]] = {}
    tier_policies = _cached(
        token, f"policies:{tier.pk}", lambda: list(policies().filter(tier=tier))
    )
    for policy in tier_policies:
        for calendar in (policy.response_calendar, policy.resolution_calendar):
            specs[calendar.slug] = calendar.spec(time_zone=time_zone)
        own = overrides.get(policy.severity)
        response = own.response_minutes if own else None
        resolution = own.resolution_minutes if own else None
        severities[policy.severity] = {
            "policy": policy.pk,
            "response_minutes": policy.response_minutes if response is None else response,
            "resolution_minutes": policy.resolution_minutes if resolution is None else resolution,
            "response_calendar": policy.response_calendar.slug,
            "resolution_calendar": policy.resolution_calendar.slug,
            "warning_percent": policy.warning_percent,
        }
    if not severities:
        return {}
    return {
        "version": clocks.SNAPSHOT_VERSION,
        "tier": tier.slug,
        "contract": contract.pk if contract is not None else None,
        "time_zone": time_zone,
        "calendars": specs,
        "severities": severities,
    }


def due_times_preview(
    *, contract: Contract | None, severity: str, opened_at: datetime
) -> tuple[datetime, datetime]:
    """(response due, resolution due) of a ticket of ``severity`` opened at ``opened_at``.

    Callers pass a contract the viewer may see (contracts_visible); None means the default
    tier, as for an organization without a contract.
    """
    if opened_at.utcoffset() is None:
        raise NaiveDateTime(
            _("Give the time with its UTC offset, e.g. 2026-09-30T17:00:00+08:00."),
            field="opened_at",
        )
    plan = clocks.plan_for(sla_snapshot(contract=contract), severity, calendar_overrides())
    if plan is None:
        raise NoPolicy(
            _("The contract's tier has no policy for %(severity)s tickets.")
            % {"severity": severity},
            field="severity",
        )
    response, resolution = (
        clocks.run_clock(
            calendar=plan.calendar(clock), start=opened_at, target=plan.target(clock), pauses=()
        ).due_at
        for clock in clocks.CLOCKS
    )
    return response, resolution


def calendar_unknown_dates(*, calendar: Calendar, start: date, end: date) -> list[date]:
    """Dates in [start, end] the calendar cannot classify (no holiday data, no correction)."""
    if end < start:
        raise InvalidInput(_("The end date is before the start date."), field="end")
    if end - start > timedelta(days=MAX_COVERAGE_DAYS):
        raise InvalidInput(
            _("Ask for at most %(days)s days at a time.") % {"days": MAX_COVERAGE_DAYS},
            field="end",
        )
    return calendar.working_calendar(overrides=calendar_overrides()).unknown_dates(start, end)


@dataclass(frozen=True, kw_only=True)
class ClockPromise:
    """One clock of a commitment: the target and the calendar it runs on."""

    minutes: int
    always_open: bool  # 7×24; otherwise business hours
    time_zone: str
    opens: str  # "09:00" (business hours only)
    closes: str
    lunch: tuple[str, str] | None
    weekdays: tuple[int, ...]
    chinese: bool  # follows the Chinese working calendar (holidays off, 调休 on)


@dataclass(frozen=True, kw_only=True)
class Commitment:
    """What a tier or contract promises for one severity."""

    severity: str
    response: ClockPromise
    resolution: ClockPromise
    warning_percent: int


def commitments_from_snapshot(snapshot: dict[str, Any]) -> list[Commitment]:
    """The promises in a ticket's snapshot (or a fresh one), most severe first; [] if none."""
    severities = snapshot.get("severities") or {}
    calendars_ = snapshot.get("calendars") or {}

    def promise(minutes: int, slug: str) -> ClockPromise:
        spec = calendars_.get(slug) or {}
        lunch = spec.get("lunch")
        return ClockPromise(
            minutes=int(minutes),
            always_open=bool(spec.get("always_open")),
            time_zone=str(spec.get("tz") or ""),
            opens=str(spec.get("start") or ""),
            closes=str(spec.get("end") or ""),
            lunch=(str(lunch[0]), str(lunch[1])) if lunch else None,
            weekdays=tuple(spec.get("weekdays") or ()),
            chinese=bool(spec.get("chinese")),
        )

    return [
        Commitment(
            severity=severity.value,
            response=promise(
                severities[severity]["response_minutes"], severities[severity]["response_calendar"]
            ),
            resolution=promise(
                severities[severity]["resolution_minutes"],
                severities[severity]["resolution_calendar"],
            ),
            warning_percent=int(severities[severity].get("warning_percent", 75)),
        )
        for severity in Severity
        if severity in severities
    ]


def commitments(*, contract: Contract | None) -> list[Commitment]:
    """What the contract (or, without one, the default tier) promises today, per severity.

    Callers pass a contract the viewer may see (contracts_visible / current_contract).
    """
    return commitments_from_snapshot(sla_snapshot(contract=contract))


def tier_commitments() -> dict[str, list[Commitment]]:
    """Every tier's promises (its policies, no contract overrides), by tier slug."""
    result: dict[str, list[Commitment]] = {}
    for tier in Tier.objects.filter(sla_policies__isnull=False).distinct().order_by("slug"):
        snapshot = _tier_snapshot(tier)
        if snapshot:
            result[tier.slug] = commitments_from_snapshot(snapshot)
    return result


def _tier_snapshot(tier: Tier) -> dict[str, Any]:
    specs: dict[str, dict[str, Any]] = {}
    severities: dict[str, dict[str, Any]] = {}
    for policy in policies().filter(tier=tier):
        for calendar in (policy.response_calendar, policy.resolution_calendar):
            specs[calendar.slug] = calendar.spec()
        severities[policy.severity] = {
            "response_minutes": policy.response_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "response_calendar": policy.response_calendar.slug,
            "resolution_calendar": policy.resolution_calendar.slug,
            "warning_percent": policy.warning_percent,
        }
    return {"calendars": specs, "severities": severities} if severities else {}


@dataclass(frozen=True, kw_only=True)
class TargetRow:
    """One severity of a contract: the tier's targets, the contract's own, and what applies."""

    severity: str
    tier_response_minutes: int
    tier_resolution_minutes: int
    own_response_minutes: int | None
    own_resolution_minutes: int | None

    @property
    def response_minutes(self) -> int:
        own = self.own_response_minutes
        return self.tier_response_minutes if own is None else own

    @property
    def resolution_minutes(self) -> int:
        own = self.own_resolution_minutes
        return self.tier_resolution_minutes if own is None else own


def contract_targets(*, contract: Contract) -> list[TargetRow]:
    """Per severity of the contract's tier, most severe first. Callers pass a contract the
    viewer may see (contracts_visible)."""
    own = {t.severity: t for t in ContractTarget.objects.filter(contract=contract)}
    rows = {}
    for policy in Policy.objects.filter(tier_id=contract.tier_id):
        mine = own.get(policy.severity)
        rows[policy.severity] = TargetRow(
            severity=policy.severity,
            tier_response_minutes=policy.response_minutes,
            tier_resolution_minutes=policy.resolution_minutes,
            own_response_minutes=mine.response_minutes if mine else None,
            own_resolution_minutes=mine.resolution_minutes if mine else None,
        )
    return [rows[severity] for severity in Severity if severity in rows]
