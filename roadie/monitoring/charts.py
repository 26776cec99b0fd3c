"""Small inline SVG charts (sparklines) from roll-ups: pure functions, no JavaScript."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

WIDTH = 240
HEIGHT = 48
PAD = 2


@dataclass(frozen=True)
class Spark:
    """A chart ready for the template: polylines (one per stretch without gaps) and figures."""

    lines: list[str]
    low: float | None
    high: float | None
    last: float | None
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def empty(self) -> bool:
        return not self.lines


def downsample(points: Iterable[tuple[int, float, int]], step: int) -> list[tuple[int, float]]:
    """(bucket, sum, count) triples into means over buckets of `step` seconds."""
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    for bucket, total, count in points:
        slot = bucket - bucket % step
        sums[slot][0] += total
        sums[slot][1] += count
    return sorted((slot, s / n) for slot, (s, n) in sums.items() if n)


def sparkline(
    points: list[tuple[int, float]],
    *,
    start: int,
    end: int,
    step: int,
    low: float | None = None,
    high: float | None = None,
) -> Spark:
    """Scale (time, value) points into the chart box; a gap over two steps breaks the line."""
    if not points:
        return Spark([], None, None, None)
    values = [v for _t, v in points]
    lo = min(values) if low is None else low
    hi = max(values) if high is None else max(high, max(values))
    if hi - lo < 1e-9:
        hi = lo + 1
    span = max(end - start, 1)
    lines: list[str] = []
    current: list[str] = []
    previous = None
    for t, v in points:
        if previous is not None and t - previous > 2 * step:
            lines.append(" ".join(current))
            current = []
        x = PAD + (t - start) / span * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (v - lo) / (hi - lo) * (HEIGHT - 2 * PAD)
        current.append(f"{x:.1f},{y:.1f}")
        previous = t
    if current:
        lines.append(" ".join(current))
    # A single point is drawn as a short flat stroke so it shows.
    lines = [line if " " in line else f"{line} {line}" for line in lines]
    return Spark(lines, min(values), max(values), values[-1])
