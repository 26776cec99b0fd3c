"""Bar charts as plain geometry for inline SVG (templates draw the rectangles; no JS)."""

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 200
LEFT = 36  # room for the axis labels
BOTTOM = 24  # room for the group labels
TOP = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float | None
    series: int


@dataclass(frozen=True)
class Group:
    label: str
    x: float  # centre, for the label
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_top: float
    plot_bottom: float
    left: float
    groups: list[Group]
    ticks: list[tuple[float, str]]  # (y, label)


def grouped_bars(
    groups: Sequence[tuple[str, Sequence[float | None]]],
    *,
    maximum: float = 100.0,
    tick_suffix: str = "%",
) -> Chart:
    """Groups of bars (e.g. response and resolution % met per period) scaled to ``maximum``.

    A value of None (nothing measured) draws no bar.
    """
    plot_bottom = HEIGHT - BOTTOM
    plot_height = plot_bottom - TOP
    series = max((len(values) for _label, values in groups), default=1) or 1
    slot = (WIDTH - LEFT) / max(len(groups), 1)
    bar_width = min(slot * 0.8 / series, 40.0)
    drawn = []
    for index, (label, values) in enumerate(groups):
        centre = LEFT + slot * (index + 0.5)
        first = centre - bar_width * len(values) / 2
        bars = []
        for position, value in enumerate(values):
            if value is None:
                continue
            height = plot_height * max(0.0, min(value, maximum)) / maximum if maximum else 0
            bars.append(
                Bar(
                    x=round(first + position * bar_width, 1),
                    y=round(plot_bottom - height, 1),
                    width=round(bar_width - 2, 1),
                    height=round(height, 1),
                    value=value,
                    series=position,
                )
            )
        drawn.append(Group(label=label, x=round(centre, 1), bars=bars))
    ticks = [
        (round(plot_bottom - plot_height * fraction, 1), f"{maximum * fraction:g}{tick_suffix}")
        for fraction in (0.0, 0.5, 1.0)
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_top=TOP,
        plot_bottom=plot_bottom,
        left=LEFT,
        groups=drawn,
        ticks=ticks,
    )
