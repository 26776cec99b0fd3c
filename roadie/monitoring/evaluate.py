"""The rule cycle: new samples through the rules, clocks checked, transitions into alerts.

One cycle (every minute, `tasks.evaluate_rules`):
1. the batches no cycle has seen yet, and their samples of the series rules read;
2. per deployment, those samples in their own time order through the threshold rules and the
   memory-leak buckets (state lives in DeploymentHealth.rule_state, one JSON per deployment);
3. for the leak buckets that closed, the floor history is read and judged (memory_leak);
4. the clock rules: heartbeats missing, backups stale — read with two index range queries, so a
   fleet that is well costs nothing here;
5. the transitions go through services.alerts_receive (incidents, tickets, pages); quiet
   incidents settle; silences that ended are lifted.
Everything is read in bulk, a chunk of deployments at a time, and only the states that changed
are written back, with one executemany a chunk (on PostgreSQL bound by the server, pipelined).
"""

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import translation
from psycopg import Cursor as ServerBoundCursor

from roadie.core import clock
from roadie.customers.models import Deployment
from roadie.monitoring.ingest import AlertItem
from roadie.monitoring.models import (
    Alert,
    CycleRun,
    DeploymentHealth,
    IngestBatch,
    RuleSetting,
    Sample,
    Source,
)
from roadie.monitoring.rules import (
    BACKUP_STALE,
    DEFAULTS,
    FIRING,
    HEARTBEAT_MISSING,
    MEMORY_LEAK,
    RULE_METRICS,
    THRESHOLD_RULES,
    RuleConfig,
    Transition,
    backup_check,
    effective_rules,
    heartbeat_check,
    labels_of,
    threshold_step,
)
from roadie.monitoring.rules.memory_leak import bucket_offset, leak_close, leak_feed
from roadie.monitoring.rules.thresholds import matches
from roadie.monitoring.services import alerts_receive, incidents_settle, suppressions_lift

logger = logging.getLogger(__name__)

BATCH_LIMIT = 50_000
CHUNK = 500
STALE_SERIES = 7 * 86400.0
HOST = ""  # labels of the host's own series
COMPACT = (",", ":")  # JSON separators of the stored state and history

# The threshold rules watching each metric, in THRESHOLD_RULES' order.
THRESHOLDS_OF = {
    metric: [(rule, spec) for rule, spec in THRESHOLD_RULES.items() if spec.metric == metric]
    for metric in {spec.metric for spec in THRESHOLD_RULES.values()}
}

# A leak bucket that closed: (state key, labels key, (bucket start, minimum), host headroom).
Closure = tuple[str, str, tuple[float, float], float | None]


@dataclass(frozen=True)
class CycleResult:
    deployments: int
    samples: int
    transitions: int
    duration_ms: float


class RuleBook:
    """Effective rules per deployment: defaults, product settings, deployment overrides."""

    def __init__(self) -> None:
        self.products: dict[int, dict[str, tuple[bool, dict[str, Any]]]] = defaultdict(dict)
        self.deployments: dict[int, dict[str, tuple[bool, dict[str, Any]]]] = defaultdict(dict)
        for setting in RuleSetting.objects.all():
            layer = (
                self.products[setting.product_id]
                if setting.product_id
                else self.deployments[setting.deployment_id]  # type: ignore[index]
            )
            layer[setting.rule] = (setting.enabled, setting.params or {})
        self._by_product: dict[int, dict[str, RuleConfig]] = {}

    def rules(self, deployment_id: int, product_id: int) -> dict[str, RuleConfig]:
        if deployment_id in self.deployments:
            return effective_rules(self.products.get(product_id), self.deployments[deployment_id])
        if product_id not in self._by_product:
            self._by_product[product_id] = effective_rules(self.products.get(product_id))
        return self._by_product[product_id]

    def smallest(self, rule: str, param: str) -> float:
        values = [float(DEFAULTS[rule][param])]
        for layer in (*self.products.values(), *self.deployments.values()):
            if rule in layer and param in layer[rule][1]:
                values.append(float(layer[rule][1][param]))
        return min(values)


def _chunks(items: list[Any], size: int = CHUNK) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _aware(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _item(transition: Transition) -> AlertItem:
    at = _aware(transition.at)
    labels_key = json.dumps(transition.labels, sort_keys=True, separators=(",", ":"))
    return AlertItem(
        fingerprint=f"{transition.rule}{labels_key if transition.labels else ''}"[:255],
        rule=transition.rule,
        status="firing" if transition.status == FIRING else "resolved",
        starts_at=at,
        ends_at=None if transition.status == FIRING else at,
        severity=transition.severity,
        summary=transition.summary[:500],
        labels=transition.labels,
        annotations=transition.annotations,
        outage=transition.outage,
    )


class _Labels(dict[str, dict[str, str]]):
    def __missing__(self, key: str) -> dict[str, str]:
        value = labels_of(key)
        self[key] = value
        return value


def _feed_samples(
    deployment_id: int,
    rows: list[tuple[float, str, str, float]],
    state: dict[str, Any],
    rules: dict[str, RuleConfig],
    labels: _Labels,
    transitions: list[Transition],
    closures: list[Closure],
) -> None:
    rows.sort()
    memory = state.setdefault("mem", [None, None])  # host [used, total], latest by sample time
    leak = rules[MEMORY_LEAK]
    offset = bucket_offset(deployment_id)
    for ts, name, key, value in rows:
        if name == "memory_total_bytes":
            if key == HOST:
                memory[1] = int(value)
            continue
        if name in ("memory_used_bytes", "process_rss_bytes"):
            if name == "memory_used_bytes":
                if key != HOST:
                    continue
                memory[0] = int(value)
            if leak.enabled:
                series = f"{MEMORY_LEAK}|{key}"
                closed = leak_feed(state.setdefault(series, {}), ts=ts, value=value, offset=offset)
                if closed is not None:
                    used, total = memory
                    headroom = total - used if used is not None and total is not None else None
                    closures.append((series, key, closed, headroom))
            continue
        for rule, spec in THRESHOLDS_OF.get(name, ()):
            if not rules[rule].enabled:
                continue
            if spec.match and not matches(spec, labels[key]):
                continue
            change = threshold_step(
                state.setdefault(f"{rule}|{key}", {}),
                rule=rule,
                spec=spec,
                params=rules[rule].params,
                labels=labels[key],
                ts=ts,
                value=value,
            )
            if change is not None:
                transitions.append(change)


def _forget_stale(state: dict[str, Any], now: float) -> None:
    """Series that stopped reporting a week ago (a renamed process) leave the state."""
    for key in [k for k, v in state.items() if k != "mem" and isinstance(v, dict)]:
        series = state[key]
        last = series.get("l") or (series.get("c") or [None])[0]
        if last is not None and last < now - STALE_SERIES and not series.get("f"):
            del state[key]


def _executemany(sql: str, params: Iterable[tuple[Any, ...]]) -> None:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
        return
    # Bound by the server: Django's psycopg cursors bind on the client, quoting every JSON text
    # into its statement, which costs nearly as much as the server's own work on it. The
    # statements go out in a pipeline as `params` yields them: the server works on the rows
    # sent while the next ones are computed.
    connection.ensure_connection()
    with connection.wrap_database_errors, ServerBoundCursor(connection.connection) as cursor:
        cursor.executemany(sql, params)


def _write_states(
    changed: list[tuple[int, str]], judged: Iterable[tuple[int, str, str]], now: datetime
) -> None:
    """changed: (deployment id, state as JSON text); judged: the same with the leak history
    as JSON text, for the deployments whose leak buckets closed."""
    table = connection.ops.quote_name(DeploymentHealth._meta.db_table)
    evaluated = DeploymentHealth._meta.get_field("evaluated_at").get_db_prep_save(now, connection)
    # SQLite stores JSON as the text itself; PostgreSQL parses it into jsonb.
    json_param = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    if changed:
        _executemany(
            f"UPDATE {table} SET rule_state = {json_param}, evaluated_at = %s "  # noqa: S608
            "WHERE deployment_id = %s",
            [(state, evaluated, pk) for pk, state in changed],
        )
    _executemany(
        f"UPDATE {table} SET rule_state = {json_param}, leak_history = {json_param}, "  # noqa: S608
        "evaluated_at = %s WHERE deployment_id = %s",
        ((state, history, evaluated, pk) for pk, state, history in judged),
    )


def _judge_closed_buckets(
    closing: dict[int, tuple[int, dict[str, Any], list[Closure]]],
    histories: dict[int, str | None],
    book: RuleBook,
    labels: _Labels,
    transitions: dict[int, list[Transition]],
) -> Iterator[tuple[int, str, str]]:
    """Judge each closed leak bucket against its series' floor history; yield the state and
    the history to write back, as JSON texts. It runs while the writes go out, inside psycopg's
    executemany, which holds the connection's lock: it must never touch the database (a query
    here would wait on that lock for ever)."""
    for deployment_id, (product_id, state, found) in closing.items():
        history = json.loads(histories.get(deployment_id) or "{}") or {}
        params = book.rules(deployment_id, product_id)[MEMORY_LEAK].params
        for series, key, closed, headroom in found:
            change, _assessment = leak_close(
                state[series],
                history.setdefault(key, []),
                closed,
                headroom=headroom,
                labels=labels[key],
                params=params,
            )
            if change is not None:
                transitions[deployment_id].append(change)
        yield (
            deployment_id,
            json.dumps(state, separators=COMPACT),
            json.dumps(history, separators=COMPACT),
        )


def _evaluate_chunk(
    chunk: list[int],
    samples: dict[int, list[tuple[float, str, str, float]]],
    book: RuleBook,
    labels: _Labels,
    transitions: dict[int, list[Transition]],
    now: datetime,
) -> int:
    """Feed the new samples of these deployments through their rules, judge the leak buckets
    that closed, and write back the states that changed; returns how many were evaluated.

    Each state is decoded, changed and encoded again on its own, and the chunk's writes go
    out before the next chunk is read: a fleet's worth of states and floor histories held at
    once costs more in the garbage collector's passes than the rules themselves."""
    now_ts = now.timestamp()
    changed: list[tuple[int, str]] = []
    closing: dict[int, tuple[int, dict[str, Any], list[Closure]]] = {}
    evaluated = 0
    for deployment_id, product_id, raw in (
        DeploymentHealth.objects.filter(deployment_id__in=chunk)
        .annotate(raw_state=Cast("rule_state", TextField()))
        .values_list("deployment_id", "deployment__product_id", "raw_state")
    ):
        evaluated += 1
        state = json.loads(raw or "{}") or {}
        found: list[Closure] = []
        _feed_samples(
            deployment_id,
            samples[deployment_id],
            state,
            book.rules(deployment_id, product_id),
            labels,
            transitions[deployment_id],
            found,
        )
        _forget_stale(state, now_ts)
        if found:
            closing[deployment_id] = (product_id, state, found)
        elif state != (json.loads(raw or "{}") or {}):
            # Compared as values, decoded afresh: on PostgreSQL the stored text is jsonb's.
            changed.append((deployment_id, json.dumps(state, separators=COMPACT)))
    histories: dict[int, str | None] = {}
    if closing:
        histories = dict(
            DeploymentHealth.objects.filter(deployment_id__in=list(closing))
            .annotate(raw_history=Cast("leak_history", TextField()))
            .values_list("deployment_id", "raw_history")
        )
    _write_states(
        changed, _judge_closed_buckets(closing, histories, book, labels, transitions), now
    )
    return evaluated


def _clock_rules(book: RuleBook, now: datetime, transitions: dict[int, list[Transition]]) -> None:
    """Missing heartbeats and stale backups: only rows that may change are read."""
    firing: dict[str, set[int]] = {HEARTBEAT_MISSING: set(), BACKUP_STALE: set()}
    for deployment_id, rule in Alert.objects.filter(
        source=Source.RULE, status=Alert.Status.FIRING, rule__in=list(firing)
    ).values_list("deployment_id", "rule"):
        firing[rule].add(deployment_id)
    silent_after = timedelta(seconds=book.smallest(HEARTBEAT_MISSING, "after_seconds"))
    stale_after = timedelta(seconds=book.smallest(BACKUP_STALE, "max_age_seconds"))
    candidates = set(
        DeploymentHealth.objects.filter(last_heartbeat_at__lt=now - silent_after).values_list(
            "deployment_id", flat=True
        )
    )
    candidates |= set(
        DeploymentHealth.objects.filter(newest_backup_at__lt=now - stale_after).values_list(
            "deployment_id", flat=True
        )
    )
    candidates |= firing[HEARTBEAT_MISSING] | firing[BACKUP_STALE]
    now_ts = now.timestamp()
    for chunk in _chunks(sorted(candidates)):
        rows = DeploymentHealth.objects.filter(deployment_id__in=chunk).values_list(
            "deployment_id",
            "deployment__product_id",
            "last_heartbeat_at",
            "last_report_at",
            "newest_backup_at",
        )
        for deployment_id, product_id, heartbeat, report, backup in rows:
            rules = book.rules(deployment_id, product_id)
            report_ts = report.timestamp() if report else None
            changes = []
            if rules[HEARTBEAT_MISSING].enabled or deployment_id in firing[HEARTBEAT_MISSING]:
                changes.append(
                    heartbeat_check(
                        last_heartbeat=heartbeat.timestamp() if heartbeat else None,
                        last_report=report_ts,
                        # A rule switched off resolves what it had fired.
                        firing=deployment_id in firing[HEARTBEAT_MISSING],
                        now=now_ts if rules[HEARTBEAT_MISSING].enabled else 0.0,
                        params=rules[HEARTBEAT_MISSING].params,
                    )
                )
            if rules[BACKUP_STALE].enabled or deployment_id in firing[BACKUP_STALE]:
                changes.append(
                    backup_check(
                        newest_backup=backup.timestamp() if backup else None,
                        seen_at=report_ts,
                        firing=deployment_id in firing[BACKUP_STALE],
                        now=now_ts if rules[BACKUP_STALE].enabled else 0.0,
                        params=rules[BACKUP_STALE].params,
                    )
                )
            for change in changes:
                if change is not None:
                    transitions[deployment_id].append(change)


def _apply(transitions: dict[int, list[Transition]], now: datetime) -> int:
    if not transitions:
        return 0
    count = 0
    deployments = Deployment.objects.select_related("organization", "product").in_bulk(
        list(transitions)
    )
    with translation.override(settings.LANGUAGE_CODE):
        for deployment_id, changes in transitions.items():
            deployment = deployments.get(deployment_id)
            if deployment is None:
                continue
            changes.sort(key=lambda t: t.at)
            try:
                with transaction.atomic():
                    alerts_receive(
                        deployment=deployment,
                        source=Source.RULE,
                        items=[_item(t) for t in changes],
                        now=now,
                    )
            except Exception:
                # One deployment's failure must not stop the fleet's cycle.
                logger.exception("monitoring: applying %d transitions failed", len(changes))
                continue
            count += len(changes)
    return count


def evaluate_rules(*, now: datetime | None = None, batch_limit: int = BATCH_LIMIT) -> CycleResult:
    """Run one rule cycle (see the module docstring); returns what it did."""
    started = time.perf_counter()
    now = now or clock.now()
    book = RuleBook()
    labels = _Labels()
    with transaction.atomic():
        batch_ids = list(
            IngestBatch.objects.filter(evaluated_at__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)[:batch_limit]
        )
        wanted = set(batch_ids)
        samples: dict[int, list[tuple[float, str, str, float]]] = defaultdict(list)
        sample_count = 0
        if batch_ids:
            query = Sample.objects.filter(
                batch__evaluated_at__isnull=True, batch_id__lte=batch_ids[-1], name__in=RULE_METRICS
            ).values_list("batch_id", "deployment_id", "ts", "name", "labels", "value")
            for batch_id, deployment_id, ts, name, key, value in query.iterator(chunk_size=5000):
                if batch_id in wanted:
                    samples[deployment_id].append((ts, name, key, value))
                    sample_count += 1
        transitions: dict[int, list[Transition]] = defaultdict(list)
        evaluated = sum(
            _evaluate_chunk(chunk, samples, book, labels, transitions, now)
            for chunk in _chunks(sorted(samples))
        )
        for chunk in _chunks(batch_ids, 5000):
            IngestBatch.objects.filter(id__in=chunk).update(evaluated_at=now)
        _clock_rules(book, now, transitions)
        transitions = {k: v for k, v in transitions.items() if v}
        applied = _apply(transitions, now)
    incidents_settle(now=now)
    suppressions_lift(now=now)
    duration = (time.perf_counter() - started) * 1000
    CycleRun.objects.create(
        kind=CycleRun.Kind.EVALUATE,
        started_at=now,
        duration_ms=duration,
        deployments=evaluated,
        samples=sample_count,
        transitions=applied,
    )
    return CycleResult(evaluated, sample_count, applied, duration)
