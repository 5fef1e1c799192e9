"""Chart geometry shared by the PDF (ReportLab) and SVG back ends.

A chart spec (``LineChart``/``BarChart``) becomes a ``Scene``: plain shapes in a
top-left coordinate system (y grows downwards, as in SVG). ``charts.py`` and
``svg.py`` only translate shapes, so both outputs have the same ticks and layout.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from .data import BarChart, LineChart
from .scales import nice_ticks

SERIES_COLOURS = ("#2f6fb0", "#d9480f", "#2b8a3e", "#7048e8")
GRID = "#dddddd"
AXIS = "#666666"
INK = "#222222"
MUTED = "#555555"

TITLE_SIZE = 11.0
TEXT_SIZE = 8.0
PAD = 6.0


@dataclass(frozen=True)
class Line:
    """A straight line."""

    x1: float
    y1: float
    x2: float
    y2: float
    colour: str = AXIS
    width: float = 0.6
    dashed: bool = False


@dataclass(frozen=True)
class Box:
    """A filled rectangle (x, y is the top-left corner)."""

    x: float
    y: float
    w: float
    h: float
    fill: str


@dataclass(frozen=True)
class Polyline:
    """A data line through points."""

    points: tuple[tuple[float, float], ...]
    colour: str
    width: float = 1.6
    dashed: bool = False


@dataclass(frozen=True)
class Dot:
    """A data point marker."""

    cx: float
    cy: float
    r: float
    fill: str


@dataclass(frozen=True)
class Label:
    """Text with its baseline at y; anchor start/middle/end; angle in degrees, clockwise (SVG)."""

    x: float
    y: float
    text: str
    size: float = TEXT_SIZE
    anchor: str = "start"
    colour: str = INK
    angle: float = 0.0


Shape = Line | Box | Polyline | Dot | Label


@dataclass(frozen=True)
class Scene:
    """A laid-out chart: size, accessible title and description, shapes in drawing order."""

    width: float
    height: float
    title: str
    description: str
    shapes: tuple[Shape, ...]


def text_width(text: str, size: float) -> float:
    """Estimated width of ``text`` at ``size``: CJK characters one em, others about half."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 1.0
        elif ch == " ":
            width += 0.3
        else:
            width += 0.56
    return width * size


def fit_text(text: str, size: float, max_width: float) -> str:
    """``text`` shortened with an ellipsis so that it fits ``max_width``."""
    if text_width(text, size) <= max_width:
        return text
    while text and text_width(text + "…", size) > max_width:
        text = text[:-1]
    return text + "…"


def number_text(value: float, percent: bool = False) -> str:
    """A value as printed on a chart: "12", "3.5", or "2.35%" for fractions."""
    if percent:
        return f"{_trim(value * 100, 2)}%"
    return _trim(value, 2)


def _trim(value: float, places: int) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _floats(values) -> list[float]:
    return [float(v) if isinstance(v, Decimal) else float(v or 0) for v in values]


def _is_integer(values: list[float]) -> bool:
    return all(v == int(v) for v in values)


def _title(title: str, width: float) -> list[Shape]:
    return [Label(width / 2, PAD + TITLE_SIZE, fit_text(title, TITLE_SIZE, width - 2 * PAD), TITLE_SIZE, "middle")]


def _empty(title: str, text: str, width: float, height: float) -> Scene:
    shapes = _title(title, width)
    shapes.append(Label(width / 2, height / 2 + TEXT_SIZE, text, TEXT_SIZE + 2, "middle", MUTED))
    return Scene(width, height, title, text, tuple(shapes))


# --------------------------------------------------------------------------- line chart


def layout_line_chart(chart: LineChart, width: float, height: float) -> Scene:
    """Lay out a line chart with one or two series (a second series may use a right axis)."""
    categories = list(chart.categories)
    if not categories or not chart.series:
        return _empty(chart.title, chart.empty_text, width, height)
    shapes: list[Shape] = _title(chart.title, width)

    # legend under the title
    legend_y = PAD + TITLE_SIZE + 6 + TEXT_SIZE
    colours = [s.colour or SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, s in enumerate(chart.series)]
    legend_width = sum(18 + text_width(s.name, TEXT_SIZE) + 12 for s in chart.series) - 12
    x = max(PAD, (width - legend_width) / 2)
    for series, colour in zip(chart.series, colours):
        if series.bars:
            shapes.append(Box(x + 3, legend_y - 8, 8, 8, colour))
        else:
            shapes.append(Line(x, legend_y - 3, x + 14, legend_y - 3, colour, 1.6))
        shapes.append(Label(x + 18, legend_y, series.name, TEXT_SIZE, "start", INK))
        x += 18 + text_width(series.name, TEXT_SIZE) + 12

    left_series = [s for s in chart.series if not s.right_axis]
    right_series = [s for s in chart.series if s.right_axis]
    left_values = [v for s in left_series for v in _floats(s.values)]
    right_values = [v for s in right_series for v in _floats(s.values)]
    left_ticks = nice_ticks(max(left_values, default=0), integer=_is_integer(left_values))
    right_ticks = nice_ticks(max(right_values, default=0), integer=_is_integer(right_values)) if right_series else []

    left_labels = [number_text(t) for t in left_ticks]
    right_labels = [number_text(t) for t in right_ticks]
    top = legend_y + 10
    bottom = height - PAD - TEXT_SIZE - 4
    plot_left = PAD + max(text_width(t, TEXT_SIZE) for t in left_labels) + 5
    if chart.y_label:
        plot_left += TEXT_SIZE + 4
    plot_right = width - PAD
    if right_series:
        plot_right -= max(text_width(t, TEXT_SIZE) for t in right_labels) + 5
        if chart.y2_label:
            plot_right -= TEXT_SIZE + 4
    plot_width = max(plot_right - plot_left, 10.0)
    plot_height = max(bottom - top, 10.0)

    def y_of(value: float, ticks: list[float]) -> float:
        return bottom - plot_height * (value / ticks[-1] if ticks[-1] else 0)

    for tick, text in zip(left_ticks, left_labels):
        y = y_of(tick, left_ticks)
        shapes.append(Line(plot_left, y, plot_right, y, GRID, 0.5))
        shapes.append(Label(plot_left - 4, y + TEXT_SIZE * 0.35, text, TEXT_SIZE, "end", MUTED))
    for tick, text in zip(right_ticks, right_labels):
        y = y_of(tick, right_ticks)
        shapes.append(Label(plot_right + 4, y + TEXT_SIZE * 0.35, text, TEXT_SIZE, "start", MUTED))
    if chart.y_label:
        shapes.append(Label(PAD + TEXT_SIZE, top + plot_height / 2, chart.y_label, TEXT_SIZE, "middle", MUTED, -90))
    if chart.y2_label and right_series:
        shapes.append(Label(width - PAD, top + plot_height / 2, chart.y2_label, TEXT_SIZE, "middle", MUTED, 90))
    shapes.append(Line(plot_left, bottom, plot_right, bottom, AXIS, 0.8))
    if right_series:
        shapes.append(Line(plot_right, top, plot_right, bottom, AXIS, 0.6))

    n = len(categories)
    step = plot_width / n
    xs = [plot_left + step * (i + 0.5) for i in range(n)]
    every = chart.label_every
    if every <= 0:
        widest = max(text_width(c, TEXT_SIZE) for c in categories) + 6
        every = max(1, math.ceil(widest / step))
    for i, (x, name) in enumerate(zip(xs, categories)):
        if i % every == 0:
            shapes.append(Line(x, bottom, x, bottom + 3, AXIS, 0.6))
            shapes.append(Label(x, bottom + 4 + TEXT_SIZE, name, TEXT_SIZE, "middle", MUTED))

    description = []
    bar_series = [s for s in chart.series if s.bars]
    bar_width = min(step * 0.5 / max(len(bar_series), 1), 10.0)
    # bars first, so that lines stay visible on top of them
    order = sorted(range(len(chart.series)), key=lambda i: not chart.series[i].bars)
    for i in order:
        series, colour = chart.series[i], colours[i]
        ticks = right_ticks if series.right_axis else left_ticks
        values = _floats(series.values)[:n]
        if series.bars:
            slot = bar_series.index(series)
            offset = (slot - (len(bar_series) - 1) / 2) * bar_width
            for j, v in enumerate(values):
                top_y = y_of(v, ticks)
                if bottom - top_y > 0:
                    shapes.append(Box(xs[j] + offset - bar_width / 2, top_y, bar_width, bottom - top_y, colour))
        else:
            points = tuple((xs[j], y_of(v, ticks)) for j, v in enumerate(values))
            if len(points) > 1:
                shapes.append(Polyline(points, colour, 1.6))
            if n <= 40 or len(points) == 1:
                shapes.extend(Dot(px, py, 1.8, colour) for px, py in points)
        description.append(f"{series.name}: " + ", ".join(
            f"{c} {number_text(v)}" for c, v in zip(categories, values)))
    return Scene(width, height, chart.title, "; ".join(description), tuple(shapes))


# --------------------------------------------------------------------------- bar chart


def layout_bar_chart(chart: BarChart, width: float, height: float) -> Scene:
    """Lay out a bar chart, vertical or horizontal (for long category names)."""
    categories = list(chart.categories)
    values = _floats(chart.values)[: len(categories)]
    if not categories:
        return _empty(chart.title, chart.empty_text, width, height)
    colours = [chart.colours[i] if i < len(chart.colours) else chart.colour for i in range(len(categories))]
    description = ", ".join(f"{c} {number_text(v, chart.percent)}" for c, v in zip(categories, values))
    integer = not chart.percent and _is_integer(values)
    ticks = nice_ticks(max(values, default=0), integer=integer)
    tick_labels = [number_text(t, chart.percent) for t in ticks]
    if chart.horizontal:
        shapes = _horizontal_bars(chart, categories, values, colours, ticks, tick_labels, width, height)
    else:
        shapes = _vertical_bars(chart, categories, values, colours, ticks, tick_labels, width, height)
    return Scene(width, height, chart.title, description, tuple(shapes))


def _horizontal_bars(chart, categories, values, colours, ticks, tick_labels, width, height) -> list[Shape]:
    shapes: list[Shape] = _title(chart.title, width)
    top = PAD + TITLE_SIZE + 8
    bottom = height - PAD - TEXT_SIZE - 4 - (TEXT_SIZE + 4 if chart.value_label else 0)
    label_room = min(max(text_width(c, TEXT_SIZE) for c in categories), width * 0.42)
    plot_left = PAD + label_room + 6
    value_room = max(text_width(number_text(v, chart.percent), TEXT_SIZE) for v in values) + 6
    plot_right = width - PAD - max(value_room, text_width(tick_labels[-1], TEXT_SIZE) / 2)
    plot_width = max(plot_right - plot_left, 10.0)
    band = (bottom - top) / len(categories)
    thickness = min(band * 0.7, 18.0)

    def x_of(value: float) -> float:
        return plot_left + plot_width * (value / ticks[-1] if ticks[-1] else 0)

    for tick, text in zip(ticks, tick_labels):
        x = x_of(tick)
        shapes.append(Line(x, top, x, bottom, GRID, 0.5))
        shapes.append(Label(x, bottom + 4 + TEXT_SIZE, text, TEXT_SIZE, "middle", MUTED))
    if chart.value_label:
        shapes.append(Label(plot_left + plot_width / 2, height - PAD, chart.value_label, TEXT_SIZE, "middle", MUTED))
    for i, (name, value, colour) in enumerate(zip(categories, values, colours)):
        centre = top + band * (i + 0.5)
        length = x_of(value) - plot_left
        if length > 0:
            shapes.append(Box(plot_left, centre - thickness / 2, length, thickness, colour))
        shapes.append(Label(plot_left - 5, centre + TEXT_SIZE * 0.35, fit_text(name, TEXT_SIZE, label_room),
                            TEXT_SIZE, "end", INK))
        shapes.append(Label(plot_left + length + 3, centre + TEXT_SIZE * 0.35, number_text(value, chart.percent),
                            TEXT_SIZE - 0.5, "start", INK))
    shapes.append(Line(plot_left, top, plot_left, bottom, AXIS, 0.8))
    return shapes


def _vertical_bars(chart, categories, values, colours, ticks, tick_labels, width, height) -> list[Shape]:
    shapes: list[Shape] = _title(chart.title, width)
    n = len(categories)
    top = PAD + TITLE_SIZE + 8 + TEXT_SIZE
    plot_left = PAD + max(text_width(t, TEXT_SIZE) for t in tick_labels) + 5
    if chart.value_label:
        plot_left += TEXT_SIZE + 4
    plot_right = width - PAD
    plot_width = max(plot_right - plot_left, 10.0)
    band = plot_width / n
    widest = max(text_width(c, TEXT_SIZE) for c in categories)
    rotate = widest > band - 4
    label_room = min(widest, height * 0.3) if rotate else TEXT_SIZE
    bottom = height - PAD - 4 - (label_room * 0.72 + TEXT_SIZE if rotate else TEXT_SIZE)
    plot_height = max(bottom - top, 10.0)
    thickness = min(band * 0.65, 40.0)

    def y_of(value: float) -> float:
        return bottom - plot_height * (value / ticks[-1] if ticks[-1] else 0)

    for tick, text in zip(ticks, tick_labels):
        y = y_of(tick)
        shapes.append(Line(plot_left, y, plot_right, y, GRID, 0.5))
        shapes.append(Label(plot_left - 4, y + TEXT_SIZE * 0.35, text, TEXT_SIZE, "end", MUTED))
    if chart.value_label:
        shapes.append(Label(PAD + TEXT_SIZE, top + plot_height / 2, chart.value_label, TEXT_SIZE, "middle", MUTED, -90))
    for i, (name, value, colour) in enumerate(zip(categories, values, colours)):
        centre = plot_left + band * (i + 0.5)
        y = y_of(value)
        if bottom - y > 0:
            shapes.append(Box(centre - thickness / 2, y, thickness, bottom - y, colour))
        if band >= text_width(number_text(value, chart.percent), TEXT_SIZE - 1):
            shapes.append(Label(centre, y - 2, number_text(value, chart.percent), TEXT_SIZE - 1, "middle", INK))
        if rotate:
            shapes.append(Label(centre + TEXT_SIZE * 0.3, bottom + 6, fit_text(name, TEXT_SIZE, label_room),
                                TEXT_SIZE, "end", MUTED, -45))
        else:
            shapes.append(Label(centre, bottom + 4 + TEXT_SIZE, name, TEXT_SIZE, "middle", MUTED))
    shapes.append(Line(plot_left, bottom, plot_right, bottom, AXIS, 0.8))
    return shapes
