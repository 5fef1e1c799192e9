"""The page every PDF shares: header with the issuing body, footer "第 x 页 共 y 页", draft watermark.

The total page count is only known at the end, so the canvas keeps each finished
page's state and draws the footers when the document is saved (one pass).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, SimpleDocTemplate

HEADER_INK = HexColor("#123d6a")
FOOTER_INK = HexColor("#555555")
RULE = HexColor("#9a9a9a")
WATERMARK_INK = HexColor("#c0392b")


@dataclass(frozen=True)
class PageFurniture:
    """What is printed around the content of every page.

    font: registered font name; header_left/right: issuing body and unit (or document name);
    footer_left/right: e.g. report number and generation time; page_of: template with
    {page} and {pages}; watermark: diagonal text (drafts) or None;
    header_on_first_page: False for documents with a cover page;
    scale: size of header and footer type relative to A4 (the A3 board uses about 1.41).
    """

    font: str
    header_left: str
    header_right: str = ""
    footer_left: str = ""
    footer_right: str = ""
    page_of: str = "Page {page} of {pages}"
    watermark: str | None = None
    header_on_first_page: bool = True
    scale: float = 1.0


@dataclass(frozen=True)
class Margins:
    """Page margins in points."""

    left: float = 15 * mm
    right: float = 15 * mm
    top: float = 20 * mm
    bottom: float = 17 * mm


def _fit(text: str, font: str, size: float, max_width: float) -> str:
    if stringWidth(text, font, size) <= max_width:
        return text
    while text and stringWidth(text + "…", font, size) > max_width:
        text = text[:-1]
    return text + "…"


def _draw_header(canvas: Canvas, doc: SimpleDocTemplate, furniture: PageFurniture) -> None:
    width, height = doc.pagesize
    s = furniture.scale
    y = height - 12 * mm * s
    size = 9.5 * s
    canvas.saveState()
    canvas.setFillColor(HEADER_INK)
    text = canvas.beginText(doc.leftMargin, y)
    text.setFont(furniture.font, size)
    # No bold face in the CJK fonts: fill and stroke the glyphs for a bold look.
    text.setTextRenderMode(2)
    canvas.setStrokeColor(HEADER_INK)
    canvas.setLineWidth(0.25 * s)
    half = (width - doc.leftMargin - doc.rightMargin) / 2
    text.textOut(_fit(furniture.header_left, furniture.font, size, half * 1.2))
    canvas.drawText(text)
    if furniture.header_right:
        canvas.setFont(furniture.font, size - 0.5)
        canvas.setFillColor(FOOTER_INK)
        canvas.drawRightString(width - doc.rightMargin, y,
                               _fit(furniture.header_right, furniture.font, size - 0.5, half * 0.75))
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(doc.leftMargin, y - 2.2 * mm * s, width - doc.rightMargin, y - 2.2 * mm * s)
    canvas.restoreState()


class NumberedCanvas(Canvas):
    """A canvas that adds "page x of y" footers and the watermark when the document is saved."""

    def __init__(self, *args, furniture: PageFurniture, margins: Margins, **kwargs):
        super().__init__(*args, **kwargs)
        self._furniture = furniture
        self._margins = margins
        self._page_states: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._page_states)
        for number, state in enumerate(self._page_states, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            if self._furniture.watermark:
                self._draw_watermark(self._furniture.watermark)
            super().showPage()
        super().save()

    def _draw_footer(self, page: int, pages: int) -> None:
        f, m = self._furniture, self._margins
        width, _ = self._pagesize
        s = f.scale
        y = 9 * mm * s
        size = 8 * s
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(m.left, y + 4 * mm * s, width - m.right, y + 4 * mm * s)
        self.setFillColor(FOOTER_INK)
        self.setFont(f.font, size)
        self.drawCentredString(width / 2, y, f.page_of.format(page=page, pages=pages))
        third = (width - m.left - m.right) / 3 - 6
        if f.footer_left:
            self.drawString(m.left, y, _fit(f.footer_left, f.font, size, third))
        if f.footer_right:
            self.drawRightString(width - m.right, y, _fit(f.footer_right, f.font, size, third))
        self.restoreState()

    def _draw_watermark(self, text: str) -> None:
        width, height = self._pagesize
        font = self._furniture.font
        diagonal = math.hypot(width, height)
        size = min(72.0, 0.75 * diagonal / max(stringWidth(text, font, 1), 1))
        self.saveState()
        self.setFillColor(WATERMARK_INK)
        self.setFillAlpha(0.16)
        self.setFont(font, size)
        self.translate(width / 2, height / 2)
        self.rotate(math.degrees(math.atan2(height, width)))
        self.drawCentredString(0, -size / 3, text)
        self.restoreState()


def _no_decoration(canvas: Canvas, doc: BaseDocTemplate) -> None:
    return None


class ReportDocTemplate(SimpleDocTemplate):
    """SimpleDocTemplate whose frame has no inner padding, so content lines up with the header rule."""

    def build(self, flowables, onFirstPage=_no_decoration, onLaterPages=_no_decoration,  # noqa: N803
              canvasmaker=Canvas):
        self._calc()
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="normal",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([
            PageTemplate(id="First", frames=frame, onPage=onFirstPage, pagesize=self.pagesize),
            PageTemplate(id="Later", frames=frame, onPage=onLaterPages, pagesize=self.pagesize),
        ])
        BaseDocTemplate.build(self, flowables, canvasmaker=canvasmaker)


def content_width(pagesize: tuple[float, float], margins: Margins) -> float:
    """Width available to tables and paragraphs between the margins."""
    return pagesize[0] - margins.left - margins.right


def render_story(
    story: Sequence[Flowable],
    furniture: PageFurniture,
    *,
    pagesize: tuple[float, float] = A4,
    margins: Margins = Margins(),
    title: str = "",
    author: str = "",
    subject: str = "",
) -> bytes:
    """Lay out ``story`` on pages with the shared header, footer and watermark; return PDF bytes."""
    buffer = io.BytesIO()
    doc = ReportDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=margins.left,
        rightMargin=margins.right,
        topMargin=margins.top,
        bottomMargin=margins.bottom,
        title=title,
        author=author,
        subject=subject,
        creator="LIMS reports",
        initialFontName=furniture.font,
    )

    def first_page(canvas: Canvas, document: SimpleDocTemplate) -> None:
        if furniture.header_on_first_page:
            _draw_header(canvas, document, furniture)

    def later_pages(canvas: Canvas, document: SimpleDocTemplate) -> None:
        _draw_header(canvas, document, furniture)

    doc.build(
        list(story),
        onFirstPage=first_page,
        onLaterPages=later_pages,
        canvasmaker=partial(NumberedCanvas, furniture=furniture, margins=margins),
    )
    return buffer.getvalue()
