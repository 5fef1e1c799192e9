"""Charts as ReportLab ``Drawing`` flowables for the PDFs (labels in the CJK font)."""

from __future__ import annotations

from reportlab.graphics.shapes import Circle, Drawing, Group, PolyLine, Rect, String
from reportlab.graphics.shapes import Line as RLLine
from reportlab.lib.colors import HexColor

from .chart_layout import Box, Dot, Label, Line, Polyline, Scene, layout_bar_chart, layout_line_chart
from .data import BarChart, LineChart
from .fonts import registered_font

_ANCHORS = {"start": "start", "middle": "middle", "end": "end"}


def line_chart_drawing(chart: LineChart, width: float = 480, height: float = 220,
                       font_name: str | None = None) -> Drawing:
    """A line chart (one or two series, optional right axis) as a ReportLab Drawing (points)."""
    return scene_drawing(layout_line_chart(chart, width, height), font_name)


def bar_chart_drawing(chart: BarChart, width: float = 480, height: float = 220,
                      font_name: str | None = None) -> Drawing:
    """A vertical or horizontal bar chart as a ReportLab Drawing (points)."""
    return scene_drawing(layout_bar_chart(chart, width, height), font_name)


def scene_drawing(scene: Scene, font_name: str | None = None) -> Drawing:
    """Translate a laid-out chart into ReportLab shapes (y flipped: ReportLab's origin is bottom-left)."""
    font = font_name or registered_font().name
    h = scene.height
    drawing = Drawing(scene.width, scene.height)
    for shape in scene.shapes:
        if isinstance(shape, Line):
            line = RLLine(shape.x1, h - shape.y1, shape.x2, h - shape.y2,
                          strokeColor=HexColor(shape.colour), strokeWidth=shape.width)
            if shape.dashed:
                line.strokeDashArray = [3, 2]
            drawing.add(line)
        elif isinstance(shape, Box):
            drawing.add(Rect(shape.x, h - shape.y - shape.h, shape.w, shape.h,
                             fillColor=HexColor(shape.fill), strokeColor=None, strokeWidth=0))
        elif isinstance(shape, Polyline):
            points = [c for x, y in shape.points for c in (x, h - y)]
            line = PolyLine(points, strokeColor=HexColor(shape.colour), strokeWidth=shape.width,
                            strokeLineJoin=1, strokeLineCap=1)
            if shape.dashed:
                line.strokeDashArray = [4, 2]
            drawing.add(line)
        elif isinstance(shape, Dot):
            drawing.add(Circle(shape.cx, h - shape.cy, shape.r, fillColor=HexColor(shape.fill),
                               strokeColor=None, strokeWidth=0))
        elif isinstance(shape, Label):
            text = String(0, 0, shape.text, fontName=font, fontSize=shape.size,
                          fillColor=HexColor(shape.colour), textAnchor=_ANCHORS[shape.anchor])
            group = Group(text)
            # SVG angles turn clockwise (y down); ReportLab's counter-clockwise (y up).
            group.translate(shape.x, h - shape.y)
            if shape.angle:
                group.rotate(-shape.angle)
            drawing.add(group)
    return drawing
