"""一摊一码: a sheet of QR stickers for every stall of a market, printed once and stuck up.

A4 portrait, a grid of stickers (default 3 × 4 of 63 × 66 mm); each carries the stall's
public address as a QR code and, under it, the stall number and the market name."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ..fonts import FontInfo, registered_font
from ..text import Text
from .codes import QrCode

INK = HexColor("#111111")
MUTED = HexColor("#444444")
CUT = HexColor("#bbbbbb")


@dataclass(frozen=True)
class StallSticker:
    """One stall's sticker: the number painted on the stall and its public page's address."""

    stall_code: str
    url: str
    operator: str | None = None


@dataclass(frozen=True, kw_only=True)
class StickerGrid:
    """Geometry in millimetres: columns × rows stickers of width × height, centred on A4."""

    columns: int = 3
    rows: int = 4
    width: float = 63.0
    height: float = 66.0
    qr: float = 46.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


def render_stall_stickers(market: str, stickers: Sequence[StallSticker], text: Text | None = None, *,
                          caption: str = "", grid: StickerGrid = StickerGrid(), font: FontInfo | None = None) -> bytes:
    """PDF bytes: one sticker per stall in the given order, as many A4 sheets as needed.

    Under each QR code: the stall number (large), the market name and the optional
    ``caption`` (e.g. "scan for this stall's test results"). Faint dashed lines mark the cuts.
    ValueError when the grid does not fit on A4 or the QR code does not fit in a sticker."""
    font_name = (font or registered_font()).name
    page_w, page_h = A4
    used_w, used_h = grid.columns * grid.width, grid.rows * grid.height
    if grid.columns < 1 or grid.rows < 1 or used_w * mm > page_w or used_h * mm > page_h \
            or grid.qr > min(grid.width, grid.height - 16):
        raise ValueError("the sticker grid does not fit on an A4 sheet")
    left = (page_w - used_w * mm) / 2
    top = page_h - (page_h - used_h * mm) / 2

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=font_name)
    canvas.setTitle((text or Text())._("{market}: stall QR codes").format(market=market))
    canvas.setCreator("LIMS reports")
    for index, sticker in enumerate(stickers):
        slot = index % grid.per_page
        if index and slot == 0:
            canvas.showPage()
        row, column = divmod(slot, grid.columns)
        x = left + column * grid.width * mm
        y = top - (row + 1) * grid.height * mm
        _draw_sticker(canvas, sticker, market, caption, x, y, grid, font_name)
    if not stickers:
        canvas.setFont(font_name, 10)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _fit(text: str, font: str, size: float, width: float, smallest: float = 6) -> float:
    """The largest size ≤ ``size`` (and ≥ ``smallest``) at which ``text`` fits ``width``."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _draw_sticker(canvas: Canvas, s: StallSticker, market: str, caption: str, x: float, y: float,
                  grid: StickerGrid, font: str) -> None:
    w, h = grid.width * mm, grid.height * mm
    canvas.saveState()
    canvas.setStrokeColor(CUT)
    canvas.setLineWidth(0.3)
    canvas.setDash(2, 2)
    canvas.rect(x, y, w, h)
    canvas.restoreState()
    qr = grid.qr * mm
    QrCode(s.url, qr, level="M", border=2).draw_at(canvas, x + (w - qr) / 2, y + h - qr - 2 * mm)
    inner = w - 6 * mm
    lines = [(s.stall_code, 16.0, INK, True), (market, 11.0, INK, False)]
    if caption:
        lines.append((caption, 7.0, MUTED, False))
    cursor = y + h - qr - 2 * mm
    for text, size, colour, bold in lines:
        size = _fit(text, font, size, inner)
        cursor -= size * 1.15
        obj = canvas.beginText(x + (w - stringWidth(text, font, size)) / 2, cursor)
        obj.setFont(font, size)
        canvas.setFillColor(colour)
        if bold:  # fake bold: fill and stroke the glyphs
            canvas.setStrokeColor(colour)
            canvas.setLineWidth(0.4)
            obj.setTextRenderMode(2)
        obj.textOut(text)
        canvas.drawText(obj)
        cursor -= size * 0.2
