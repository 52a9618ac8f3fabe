"""Stacked bar charts by day, drawn by the server as SVG (no script, no build step).

A chart is one bar per day, each split into its series' counts (messages by kind, moderation
actions by type), with a y-axis at round numbers and a legend; the template
``_day_chart.html`` draws it and offers the same figures as a table. Sizes are drawing
units: the SVG scales to the page's width (the Content-Security-Policy refuses style
attributes, so everything that depends on data is an SVG attribute).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

BAR_WIDTH = 14
BAR_GAP = 6
PLOT_HEIGHT = 120
AXIS_WIDTH = 34
LABEL_HEIGHT = 18
TOP_MARGIN = 6
# Colours that stay apart for the colour-blind (Okabe and Ito's palette).
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#f0e442")


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class Segment:
    series: Series
    count: int
    y: int
    height: int


@dataclass(frozen=True)
class DayBar:
    day: date
    total: int
    x: int
    center: int
    segments: list[Segment]
    # The counts of every series that day, for the bar's tooltip and the table.
    counts: list[tuple[Series, int]]
    # The day number under the bar, on the 1st and every 5th day only (room on phones).
    label: str
    today: bool


@dataclass(frozen=True)
class Tick:
    value: int
    y: int


@dataclass(frozen=True)
class DayChart:
    series: list[Series]
    bars: list[DayBar]
    ticks: list[Tick]
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    axis_width: int
    bar_width: int
    peak: int
    total: int
    totals: list[tuple[Series, int]]


def series_of(choices: list[tuple[str, str]]) -> list[Series]:
    """Series for (key, label) pairs, each with its own colour."""
    return [Series(key, label, PALETTE[i % len(PALETTE)]) for i, (key, label) in enumerate(choices)]


def axis_step(peak: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` gridlines up to
    ``peak``."""
    if peak <= ticks:
        return 1
    raw = peak / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def day_chart(
    days: list[date], series: list[Series], counts: dict[tuple[date, str], int], today: date | None = None
) -> DayChart:
    """The chart of ``counts`` (by (day, series key)) over ``days``, in order."""
    totals = [sum(counts.get((day, s.key), 0) for s in series) for day in days]
    peak = max(totals, default=0)
    step = axis_step(peak)
    top = step * math.ceil(peak / step) if peak else step
    bottom = TOP_MARGIN + PLOT_HEIGHT

    def y_of(value: int) -> int:
        return bottom - round(value * PLOT_HEIGHT / top)

    bars = []
    for index, (day, total) in enumerate(zip(days, totals, strict=True)):
        x = AXIS_WIDTH + index * (BAR_WIDTH + BAR_GAP) + BAR_GAP // 2
        segments, below = [], 0
        day_counts = [(s, counts.get((day, s.key), 0)) for s in series]
        for s, count in day_counts:
            if not count:
                continue
            upper = y_of(below + count)
            lower = y_of(below)
            # A count of any size stays visible.
            height = max(lower - upper, 2)
            segments.append(Segment(s, count, lower - height, height))
            below += count
        bars.append(
            DayBar(
                day=day,
                total=total,
                x=x,
                center=x + BAR_WIDTH // 2,
                segments=segments,
                counts=day_counts,
                label=str(day.day) if day.day == 1 or day.day % 5 == 0 else "",
                today=day == today,
            )
        )
    return DayChart(
        series=series,
        bars=bars,
        ticks=[Tick(value, y_of(value)) for value in range(0, top + 1, step)],
        width=AXIS_WIDTH + len(days) * (BAR_WIDTH + BAR_GAP),
        height=bottom + LABEL_HEIGHT,
        plot_top=TOP_MARGIN,
        plot_bottom=bottom,
        axis_width=AXIS_WIDTH,
        bar_width=BAR_WIDTH,
        peak=peak,
        total=sum(totals),
        totals=[(s, sum(counts.get((day, s.key), 0) for day in days)) for s in series],
    )
