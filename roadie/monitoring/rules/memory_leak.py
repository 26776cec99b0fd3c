"""Memory-leak detection (rule `memory_leak`) on process RSS and host memory.

A garbage-collected service draws a saw-tooth: memory climbs until a collection, then drops.
Peaks say little; the floor (the lowest value in a while) is what a leak raises. So:

1. Minimum per 15-minute bucket, then a trailing rolling minimum over four buckets: the floor.
2. The window (12 h) is cut at the last restart: a floor drop of more than 30 % (and 64 MiB),
   or a silence of more than an hour, starts the series afresh, after an hour of warm-up.
3. A robust trend: the Theil–Sen slope (median of pairwise slopes), trusted only when the fit
   is good: Spearman's rank correlation of floor against time ≥ 0.8 and at least 80 % of the
   floor points within a band (5 % of the level, at least 16 MiB) around the fitted line, and
   a rise over the window larger than that band.
4. The projection: the host's free memory (total − used) divided by the growth rate.
   A projection under `warning_hours` (24) is a hit; under `critical_hours` (4), critical.
5. `hits` consecutive hits (3) fire the alert; `clear` consecutive evaluations (6) that are
   not even near a hit (no fit, or a projection beyond 1.5 × warning_hours) resolve it.

Buckets are aligned per deployment (an offset from its id), so ten thousand deployments do not
all close a bucket in the same minute.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from operator import lt, sub
from statistics import median
from typing import Any

from django.utils.translation import gettext as _

from roadie.monitoring.rules.base import FIRING, MEMORY_LEAK, RESOLVED, Transition, when

BUCKET_SECONDS = 900
FLOOR_BUCKETS = 4
MIN_POINTS = 8
RESTART_DROP = 0.30
RESTART_MIN_BYTES = 64 * 2**20
RESTART_GAP_SECONDS = 3600.0
WARMUP_BUCKETS = 4
FIT_BAND = 0.05
FIT_BAND_MIN_BYTES = 16 * 2**20
MIN_FIT_FRACTION = 0.8
CLEAR_MARGIN = 1.5
MB = 1_000_000
EXACT_FLOAT = 2**52  # integers below it, and their differences, are exact as floats

HIT = "hit"
NEAR = "near"  # a good fit projecting beyond warning_hours but within the clear margin
CLEAR = "clear"


def bucket_start(ts: float, offset: int) -> int:
    return int((ts - offset) // BUCKET_SECONDS) * BUCKET_SECONDS + offset


def bucket_offset(deployment_id: int) -> int:
    """Spread bucket boundaries over the quarter hour, one minute per deployment id."""
    return (deployment_id % (BUCKET_SECONDS // 60)) * 60


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The median of the slopes between every pair of points."""
    n = len(xs)
    if (
        len(ys) == n
        and all(map(lt, xs, xs[1:]))
        and max(map(abs, (*xs, *ys)), default=0) < EXACT_FLOAT
    ):
        # The usual case, strictly increasing times and whole seconds and bytes: no pair shares
        # a time, and as floats (converted exactly) the n²/2 differences and quotients are the
        # same numbers as in integers, at a fraction of the cost.
        fxs, fys = list(map(float, xs)), list(map(float, ys))
        slopes = [
            (y - yi) / (x - xi)
            # Lengths checked above; strict=True costs a sixth of the time here.
            for i, (xi, yi) in enumerate(zip(fxs, fys, strict=False))
            for x, y in zip(fxs[i + 1 :], fys[i + 1 :], strict=False)
        ]
    else:
        slopes = [
            (ys[j] - ys[i]) / (xs[j] - xs[i])
            for i in range(n)
            for j in range(i + 1, n)
            if xs[j] != xs[i]
        ]
    return median(slopes) if slopes else 0.0


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    if len(set(values)) == len(values):  # no ties: the rank is the position in order
        for position, index in enumerate(order):
            ranks[index] = float(position)
        return ranks
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rank correlation (ties share their average rank); 0 for a flat series."""
    n = len(xs)
    if n < 3:
        return 0.0
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return 0.0
    return float(sxy / (sxx * syy) ** 0.5)


def last_restart(times: Sequence[float], values: Sequence[float]) -> int | None:
    """The index of the first point after the last restart (a large drop of the bucket minimum,
    or a long gap), None without one."""
    if len(values) < 2:
        return None
    # Neither a drop larger than RESTART_MIN_BYTES nor a long gap is possible: no scan needed.
    may_drop = max(values) - min(values) > RESTART_MIN_BYTES
    if not may_drop and max(map(sub, times[1:], times[:-1])) <= RESTART_GAP_SECONDS:
        return None
    start = None
    for i in range(1, len(values)):
        t0, v0, t1, v1 = times[i - 1], values[i - 1], times[i], values[i]
        dropped = v1 < v0 * (1 - RESTART_DROP) and v0 - v1 > RESTART_MIN_BYTES
        if dropped or t1 - t0 > RESTART_GAP_SECONDS:
            start = i
    return start


def floor_of(values: Sequence[float]) -> list[float]:
    """Trailing rolling minimum over FLOOR_BUCKETS bucket minimums."""
    values = list(values)
    n = len(values)
    # The values k buckets earlier; before the series began, its first value stands in.
    lagged = [values[:1] * min(k, n) + values[: max(n - k, 0)] for k in range(1, FLOOR_BUCKETS)]
    return list(map(min, values, *lagged))


@dataclass(frozen=True)
class Assessment:
    verdict: str  # HIT, NEAR or CLEAR
    reason: str
    slope_per_hour: float = 0.0  # bytes per hour
    hours_left: float | None = None
    rho: float = 0.0
    fit: float = 0.0
    points: int = 0
    severity: str = ""


def assess(
    points: Sequence[Sequence[float]], *, headroom: float | None, params: dict[str, Any]
) -> Assessment:
    """Judge closed bucket minimums (time, bytes), oldest first, against the free memory."""
    window = float(params["window_hours"]) * 3600
    xs = [p[0] for p in points]
    values = [p[1] for p in points]
    if xs:
        cutoff = xs[-1] - window
        inside = [x > cutoff for x in xs]
        if not all(inside):
            xs, values = list(compress(xs, inside)), list(compress(values, inside))
    start = last_restart(xs, values)
    if start is not None:
        # Less the warm-up after it: caches filling after a start look like growth but are not.
        xs, values = xs[start + WARMUP_BUCKETS :], values[start + WARMUP_BUCKETS :]
    count = len(values)
    if count < MIN_POINTS:
        return Assessment(CLEAR, "insufficient", points=count)
    # The floor's lowest point is the lowest bucket minimum, and its median is at least that:
    # bucket minimums within the smallest band the floor could have need no floor at all.
    low = min(values)
    if max(values) - low < max(FIT_BAND * low, FIT_BAND_MIN_BYTES):
        return Assessment(CLEAR, "no_trend", points=count)
    ys = floor_of(values)
    level = median(ys)
    band = max(FIT_BAND * level, FIT_BAND_MIN_BYTES)
    # Cheap checks first: a floor that stays within the band, or does not rise with time,
    # needs no regression (a fleet that is well costs next to nothing here).
    if max(ys) - min(ys) < band:
        return Assessment(CLEAR, "no_trend", points=count)
    rho = spearman(xs, ys)
    if rho < float(params["min_rho"]):
        return Assessment(CLEAR, "no_trend", rho=rho, points=count)
    slope = theil_sen(xs, ys)  # bytes per second
    intercept = median(y - slope * x for x, y in zip(xs, ys, strict=True))
    fit = sum(
        1 for x, y in zip(xs, ys, strict=True) if abs(y - (intercept + slope * x)) <= band
    ) / len(xs)
    per_hour = slope * 3600
    base = {"slope_per_hour": per_hour, "rho": rho, "fit": fit, "points": count}
    rise = slope * (xs[-1] - xs[0])
    # A rise smaller than the band is noise (a rolling minimum of noise correlates with time).
    if slope <= 0 or rise < band or fit < MIN_FIT_FRACTION:
        return Assessment(CLEAR, "no_trend", **base)
    if headroom is None:
        return Assessment(CLEAR, "no_headroom", **base)
    hours_left = max(headroom, 0.0) / per_hour
    warning, critical = float(params["warning_hours"]), float(params["critical_hours"])
    if hours_left < warning:
        severity = "critical" if hours_left < critical else "warning"
        return Assessment(HIT, "projected", hours_left=hours_left, severity=severity, **base)
    if hours_left < warning * CLEAR_MARGIN:
        return Assessment(NEAR, "near", hours_left=hours_left, **base)
    return Assessment(CLEAR, "far", hours_left=hours_left, **base)


def leak_summary(labels: dict[str, str], assessment: Assessment) -> str:
    what = labels.get("process") or _("Host")
    return _("%(what)s memory grows %(rate).1f MB/h; memory runs out in about %(hours).1f h") % {
        "what": what,
        "rate": assessment.slope_per_hour / MB,
        "hours": assessment.hours_left or 0.0,
    }


def leak_judge(
    state: dict[str, Any],
    assessment: Assessment,
    *,
    labels: dict[str, str],
    at: float,
    params: dict[str, Any],
) -> Transition | None:
    """Count consecutive hits and clears in `state` ({"h", "k", "f", "v"}); report a change."""
    firing = bool(state.get("f"))
    if assessment.verdict == HIT:
        state["h"] = state.get("h", 0) + 1
        state["k"] = 0
    elif assessment.verdict == CLEAR:
        state["k"] = state.get("k", 0) + 1
        state["h"] = 0
    else:  # NEAR: neither builds towards firing nor towards resolving
        state["h"] = 0
    if assessment.verdict == HIT and (
        (not firing and state["h"] >= int(params["hits"]))
        or (firing and assessment.severity == "critical" and state.get("v") != "critical")
    ):
        state["f"] = True
        state["v"] = assessment.severity
        hours = assessment.hours_left or 0.0
        return Transition(
            MEMORY_LEAK,
            labels,
            FIRING,
            at,
            assessment.severity,
            leak_summary(labels, assessment),
            {
                "growth_mb_per_hour": round(assessment.slope_per_hour / MB, 2),
                "hours_left": round(hours, 2),
                "exhausted_at": when(at + hours * 3600),
                "rho": round(assessment.rho, 3),
                "fit": round(assessment.fit, 3),
                "points": assessment.points,
            },
        )
    if firing and state.get("k", 0) >= int(params["clear"]):
        state["f"] = False
        state["v"] = ""
        return Transition(MEMORY_LEAK, labels, RESOLVED, at, "warning")
    return None


def leak_feed(
    state: dict[str, Any], *, ts: float, value: float, offset: int
) -> tuple[float, float] | None:
    """Feed one sample (in time order) to the bucket in progress, state["c"] = [start, min].

    Returns the (start, minimum) of a bucket this sample closed; samples of a bucket already
    closed are ignored (it was judged)."""
    start = bucket_start(ts, offset)
    value = int(value)  # bytes; integers keep the stored state short
    current = state.get("c")
    if current is None:
        state["c"] = [start, value]
        return None
    if start == current[0]:
        if value < current[1]:
            current[1] = value
        return None
    if start < current[0]:
        return None
    state["c"] = [start, value]
    return (float(current[0]), float(current[1]))


def leak_close(
    state: dict[str, Any],
    history: list[list[float]],
    closed: tuple[float, float],
    *,
    headroom: float | None,
    labels: dict[str, str],
    params: dict[str, Any],
) -> tuple[Transition | None, Assessment]:
    """Append a closed bucket to `history` (trimmed to the window), assess and judge it."""
    # Whole bytes and seconds: the history is JSON read and written by every cycle that closes a
    # bucket, and integers are half the text of floats.
    history.append([int(closed[0]), int(closed[1])])
    keep = int(float(params["window_hours"]) * 3600 // BUCKET_SECONDS) + FLOOR_BUCKETS
    del history[:-keep]
    assessment = assess(history, headroom=headroom, params=params)
    at = closed[0] + BUCKET_SECONDS
    return leak_judge(state, assessment, labels=labels, at=at, params=params), assessment
