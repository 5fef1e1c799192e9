"""Charts as standalone SVG strings for the web dashboard (server-side, no JavaScript).

Same layout as the PDF charts. Every text is escaped; the chart title becomes the
SVG ``<title>`` and the values its ``<desc>`` for screen readers.
"""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape, quoteattr

from .chart_layout import Box, Dot, Label, Line, Polyline, Scene, layout_bar_chart, layout_line_chart
from .data import BarChart, LineChart

FONT_FAMILY = ("'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',"
               "'WenQuanYi Zen Hei',sans-serif")


def line_chart_svg(chart: LineChart, width: int = 640, height: int = 280) -> str:
    """A line chart (one or two series, optional right axis) as an SVG document string."""
    return scene_svg(layout_line_chart(chart, width, height))


def bar_chart_svg(chart: BarChart, width: int = 640, height: int = 280) -> str:
    """A vertical or horizontal bar chart as an SVG document string."""
    return scene_svg(layout_bar_chart(chart, width, height))


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def scene_svg(scene: Scene) -> str:
    """Serialise a laid-out chart as SVG (role="img", labelled by its <title>)."""
    ident = "chart-" + hashlib.sha1(
        f"{scene.title}|{scene.description}|{scene.width}x{scene.height}".encode()).hexdigest()[:10]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(scene.width)}" height="{_num(scene.height)}" '
        f'viewBox="0 0 {_num(scene.width)} {_num(scene.height)}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" font-family={quoteattr(FONT_FAMILY)}>',
        f'<title id="{ident}-t">{escape(scene.title)}</title>',
        f'<desc id="{ident}-d">{escape(scene.description)}</desc>',
        f'<rect width="{_num(scene.width)}" height="{_num(scene.height)}" fill="#ffffff"/>',
    ]
    for shape in scene.shapes:
        out.append(_shape_svg(shape))
    out.append("</svg>")
    return "\n".join(out)


def _shape_svg(shape) -> str:
    if isinstance(shape, Line):
        dash = ' stroke-dasharray="3 2"' if shape.dashed else ""
        return (f'<line x1="{_num(shape.x1)}" y1="{_num(shape.y1)}" x2="{_num(shape.x2)}" y2="{_num(shape.y2)}" '
                f'stroke="{shape.colour}" stroke-width="{_num(shape.width)}"{dash}/>')
    if isinstance(shape, Box):
        return (f'<rect x="{_num(shape.x)}" y="{_num(shape.y)}" width="{_num(shape.w)}" height="{_num(shape.h)}" '
                f'fill="{shape.fill}"/>')
    if isinstance(shape, Polyline):
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in shape.points)
        dash = ' stroke-dasharray="4 2"' if shape.dashed else ""
        return (f'<polyline points="{points}" fill="none" stroke="{shape.colour}" '
                f'stroke-width="{_num(shape.width)}" stroke-linejoin="round"{dash}/>')
    if isinstance(shape, Dot):
        return f'<circle cx="{_num(shape.cx)}" cy="{_num(shape.cy)}" r="{_num(shape.r)}" fill="{shape.fill}"/>'
    if isinstance(shape, Label):
        rotate = (f' transform="rotate({_num(shape.angle)} {_num(shape.x)} {_num(shape.y)})"'
                  if shape.angle else "")
        return (f'<text x="{_num(shape.x)}" y="{_num(shape.y)}" font-size="{_num(shape.size)}" '
                f'text-anchor="{shape.anchor}" fill="{shape.colour}"{rotate}>{escape(shape.text)}</text>')
    raise TypeError(f"unknown shape {shape!r}")


def qr_code_svg(value: str, module: int = 4, border: int = 2, title: str | None = None) -> str:
    """``value`` as a QR code in SVG (dark runs as rectangles), for pages and printing."""
    from .pdf.codes import qr_runs

    count, runs = qr_runs(value)
    side = (count + 2 * border) * module
    rects = "".join(f'<rect x="{(c + border) * module}" y="{(r + border) * module}" width="{n * module}" '
                    f'height="{module}"/>' for r, c, n in runs)
    caption = f"<title>{_xml_escape(title)}</title>" if title else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" width="{side}" height="{side}" '
            f'role="img" shape-rendering="crispEdges">{caption}<rect width="{side}" height="{side}" fill="#fff"/>'
            f'<g fill="#000">{rects}</g></svg>')


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
