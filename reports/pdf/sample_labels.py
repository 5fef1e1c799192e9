"""Sample-bag labels for a sampling round on A4 label paper (default 3 × 8 labels of 70 × 37 mm)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ..data import LabelGrid, SampleLabel
from ..fonts import FontInfo, registered_font
from ..formats import datetime_text
from ..text import Text
from .codes import QrCode, code128

INK = HexColor("#111111")
MUTED = HexColor("#444444")
CUT = HexColor("#bbbbbb")


def render_sample_labels(items: Sequence[SampleLabel], text: Text | None = None, *, grid: LabelGrid = LabelGrid(),
                         outline: bool = False, font: FontInfo | None = None) -> bytes:
    """Render labels as PDF bytes: one per sample, filling the grid row by row, as many sheets as needed.

    Each label carries the batch code as a QR code, as a Code128 barcode and in text,
    the food, the stall and site, and the sampling time. ``outline`` draws faint cut lines
    (for plain paper). ValueError when the grid does not fit on A4.
    """
    L = text or Text()
    font_name = (font or registered_font()).name
    page_w, page_h = A4
    used_w = grid.columns * grid.label_width + (grid.columns - 1) * grid.gap_x
    used_h = grid.rows * grid.label_height + (grid.rows - 1) * grid.gap_y
    left = grid.margin_left if grid.margin_left is not None else (page_w / mm - used_w) / 2
    top = grid.margin_top if grid.margin_top is not None else (page_h / mm - used_h) / 2
    if grid.columns < 1 or grid.rows < 1 or left < 0 or top < 0 or \
            (left + used_w) * mm > page_w + 0.01 or (top + used_h) * mm > page_h + 0.01:
        raise ValueError("the label grid does not fit on an A4 sheet")

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=font_name)
    canvas.setTitle((L.pgettext("sample label", "Food") + f" {len(items)}"))
    canvas.setCreator("LIMS reports")
    per_page = grid.per_page
    for index, item in enumerate(items):
        slot = index % per_page
        if index and slot == 0:
            canvas.showPage()
        row, column = divmod(slot, grid.columns)
        x = (left + column * (grid.label_width + grid.gap_x)) * mm
        y = page_h - (top + row * (grid.label_height + grid.gap_y) + grid.label_height) * mm
        _draw_label(canvas, item, x, y, grid, font_name, L, outline)
    if not items:
        canvas.setFont(font_name, 10)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _fit(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_label(canvas: Canvas, item: SampleLabel, x: float, y: float, grid: LabelGrid, font: str, L,
                outline: bool) -> None:
    w, h = grid.label_width * mm, grid.label_height * mm
    pad = grid.padding * mm
    if outline:
        canvas.saveState()
        canvas.setStrokeColor(CUT)
        canvas.setLineWidth(0.3)
        canvas.setDash(2, 2)
        canvas.roundRect(x + 0.5, y + 0.5, w - 1, h - 1, 2 * mm)
        canvas.restoreState()
    inner_w, inner_h = w - 2 * pad, h - 2 * pad
    bar_h = min(7 * mm, inner_h * 0.22)
    upper_h = inner_h - bar_h - 1.5 * mm
    qr_size = min(upper_h, inner_w * 0.4)
    top = y + h - pad
    QrCode(item.batch_code, qr_size).draw_at(canvas, x + pad, top - qr_size)

    text_x = x + pad + qr_size + 2 * mm
    text_w = x + w - pad - text_x
    code_size = 10.0
    while code_size > 6 and stringWidth(item.batch_code, font, code_size) > text_w:
        code_size -= 0.5
    lines = [
        (item.batch_code, code_size, INK, True),
        ((L.pgettext("sample label", "Food") + f" {item.food}"), 8.5, INK, False),
        (f"{item.stall + ' ' if item.stall else ''}{item.event or item.site}", 7, MUTED, False),
        ((L._("Sampled") + f" {datetime_text(item.sampled_at)}"), 7, MUTED, False),
    ]
    if item.sampled_by:
        lines.append(((L._("By") + f" {item.sampled_by}"), 7, MUTED, False))
    cursor = top - 1
    for text, size, colour, bold in lines:
        cursor -= size * 1.05
        if cursor < top - upper_h - 0.5:
            break
        canvas.setFillColor(colour)
        text_object = canvas.beginText(text_x, cursor)
        text_object.setFont(font, size)
        if bold:
            # fake bold for the code: fill and stroke the glyphs
            canvas.setStrokeColor(colour)
            canvas.setLineWidth(0.3)
            text_object.setTextRenderMode(2)
        text_object.textOut(_fit(text, font, size, text_w))
        canvas.drawText(text_object)
        cursor -= size * 0.25
    barcode = code128(item.batch_code, inner_w, bar_h)
    barcode.drawOn(canvas, x + pad + (inner_w - barcode.width) / 2, y + pad)
