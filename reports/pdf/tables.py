"""Tables of the PDFs: data grids with a repeated header row, and label/value field grids."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from .styles import HEAD_FILL, LABEL_FILL, RULE, ReportStyles

GRID = HexColor("#b5b5b5")


def para(text: str | None, style, dash: str = "—") -> Paragraph:
    """A Paragraph of plain text (escaped: domain data never becomes markup)."""
    if text is None or text == "":
        text = dash
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    col_widths: Sequence[float],
    styles: ReportStyles,
    *,
    align: str | None = None,
    row_fills: dict[int, Color] | None = None,
    cell_inks: dict[tuple[int, int], Color] | None = None,
    total_row: bool = False,
    extra_style: Sequence[tuple] = (),
) -> Table:
    """A grid with a header row repeated on every page.

    rows hold text or ready flowables; ``align`` is one letter per column: l, c, r for text
    wrapped in CJK-aware Paragraphs, L, C, R for short text drawn as is (numbers, codes:
    much faster, never wrapped; "\n" starts a new line); ``row_fills`` colours data rows by index (0 = first data
    row); ``cell_inks`` colours the text of single cells (column, data row).
    """
    align = align or "l" * len(header)
    by_align = {"l": styles.cell, "c": styles.cell_center, "r": styles.cell_right}
    inks = cell_inks or {}
    body: list[list[object]] = [[para(h, styles.cell_head) for h in header]]
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            if isinstance(value, Flowable):
                cells.append(value)
                continue
            if align[c].isupper():
                cells.append("—" if value is None or value == "" else str(value))
                continue
            style = by_align[align[c]]
            ink = inks.get((c, r))
            if ink is not None:
                style = _inked(style, ink)
            cells.append(para(None if value is None else str(value), style))
        body.append(cells)
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), styles.font),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5 * styles.scale),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5 * styles.scale),
        ("LEFTPADDING", (0, 0), (-1, -1), 3 * styles.scale),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3 * styles.scale),
    ]
    plain = [c for c, letter in enumerate(align) if letter.isupper()]
    if plain:
        size = styles.cell.fontSize
        commands.append(("FONTSIZE", (0, 1), (-1, -1), size))
        commands.append(("LEADING", (0, 1), (-1, -1), styles.cell.leading))
        commands.append(("TEXTCOLOR", (0, 1), (-1, -1), styles.cell.textColor))
        for c in plain:
            where = {"L": "LEFT", "C": "CENTER", "R": "RIGHT"}[align[c]]
            commands.append(("ALIGN", (c, 1), (c, -1), where))
        for (c, r), ink in inks.items():
            if c in plain:
                commands.append(("TEXTCOLOR", (c, r + 1), (c, r + 1), ink))
    for r, fill in (row_fills or {}).items():
        commands.append(("BACKGROUND", (0, r + 1), (-1, r + 1), fill))
    if total_row and rows:
        commands.append(("BACKGROUND", (0, -1), (-1, -1), LABEL_FILL))
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, RULE))
    commands.extend(extra_style)
    table = Table(body, colWidths=list(col_widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def field_table(
    pairs: Sequence[tuple[str, object]],
    total_width: float,
    styles: ReportStyles,
    *,
    columns: int = 2,
    label_width: float | None = None,
    value_inks: dict[int, Color] | None = None,
) -> Table:
    """Label/value pairs laid out ``columns`` pairs per row (e.g. 样品编号 | B-01 | 抽样时间 | …)."""
    label_width = label_width or 72 * styles.scale
    value_width = total_width / columns - label_width
    inks = value_inks or {}
    body: list[list[object]] = []
    for start in range(0, len(pairs), columns):
        row: list[object] = []
        for offset in range(columns):
            index = start + offset
            if index < len(pairs):
                label, value = pairs[index]
                style = styles.cell if index not in inks else _inked(styles.cell, inks[index])
                row.append(para(label, styles.cell_label))
                row.append(value if isinstance(value, Flowable) else para(
                    None if value is None else str(value), style))
            else:
                row.extend(["", ""])
        body.append(row)
    widths = [label_width, value_width] * columns
    table = Table(body, colWidths=widths, hAlign="LEFT")
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), styles.font),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3 * styles.scale),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * styles.scale),
    ]
    for c in range(0, 2 * columns, 2):
        commands.append(("BACKGROUND", (c, 0), (c, -1), LABEL_FILL))
    table.setStyle(TableStyle(commands))
    return table


_inked_cache: dict[tuple, ParagraphStyle] = {}


def _inked(style: ParagraphStyle, ink: Color) -> ParagraphStyle:
    """``style`` with another text colour (cached)."""
    key = (style.name, style.fontName, style.fontSize, style.alignment, ink.hexval())
    found = _inked_cache.get(key)
    if found is None:
        found = _inked_cache[key] = ParagraphStyle(style.name + "-ink", parent=style, textColor=ink)
    return found
