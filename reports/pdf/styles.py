"""Paragraph styles of the PDFs: one family, CJK word wrapping everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle

INK = HexColor("#1f1f1f")
MUTED = HexColor("#555555")
RULE = HexColor("#9a9a9a")
HEAD_FILL = HexColor("#e9eef4")
LABEL_FILL = HexColor("#f4f6f8")
POSITIVE_FILL = HexColor("#fde2e2")
POSITIVE_INK = HexColor("#b00020")
RETEST_FILL = HexColor("#fff4d6")
RETEST_INK = HexColor("#8a5a00")
NEGATIVE_INK = HexColor("#1b6e2d")
NOTE_FILL = HexColor("#f7f7f2")

RATING_FILL = {
    "red": HexColor("#e03131"),
    "orange": HexColor("#f76707"),
    "yellow": HexColor("#fcc419"),
    "blue": HexColor("#1c7ed6"),
    "green": HexColor("#2f9e44"),
}


@dataclass(frozen=True)
class ReportStyles:
    """The paragraph styles of one font at one scale (1.0 = A4 reports)."""

    font: str
    scale: float
    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    note: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    cell_right: ParagraphStyle
    cell_head: ParagraphStyle
    cell_label: ParagraphStyle


@lru_cache(maxsize=32)
def report_styles(font: str, scale: float = 1.0) -> ReportStyles:
    """Styles for ``font`` scaled by ``scale`` (cached: styles are immutable once built)."""

    def style(name: str, size: float, leading: float, **kw) -> ParagraphStyle:
        kw.setdefault("textColor", INK)
        return ParagraphStyle(
            name, fontName=font, fontSize=size * scale, leading=leading * scale, wordWrap="CJK", **kw
        )

    cell = style("cell", 8.5, 11)
    return ReportStyles(
        font=font,
        scale=scale,
        title=style("title", 18, 24, alignment=TA_CENTER, spaceAfter=4 * scale),
        subtitle=style("subtitle", 10.5, 14, alignment=TA_CENTER, textColor=MUTED),
        h1=style("h1", 12.5, 17, spaceBefore=9 * scale, spaceAfter=4 * scale, textColor=HexColor("#123d6a")),
        h2=style("h2", 10.5, 14, spaceBefore=6 * scale, spaceAfter=3 * scale),
        body=style("body", 10, 15),
        small=style("small", 8.5, 12),
        note=style("note", 8, 11, textColor=MUTED),
        cell=cell,
        cell_center=style("cell_center", 8.5, 11, alignment=TA_CENTER),
        cell_right=style("cell_right", 8.5, 11, alignment=TA_RIGHT),
        cell_head=style("cell_head", 8.5, 11, alignment=TA_CENTER),
        cell_label=style("cell_label", 8.5, 11, alignment=TA_LEFT, textColor=HexColor("#333333")),
    )
