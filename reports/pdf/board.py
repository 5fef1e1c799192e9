"""The market notice board (公示栏) as a printable PDF: A4 or A3, portrait or landscape, large type."""

from __future__ import annotations

import math

from reportlab.lib.pagesizes import A3, A4, landscape as to_landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from ..data import Board
from ..fonts import FontInfo, registered_font
from ..formats import date_text, datetime_text
from ..text import Text
from ..wording import public_operator_name
from .page import Margins, PageFurniture, render_story
from .styles import NEGATIVE_INK, NOTE_FILL, POSITIVE_FILL, POSITIVE_INK, RETEST_FILL, RETEST_INK, RULE, report_styles
from .tables import data_table, para

PAPER = {"A4": A4, "A3": A3}
_A4_AREA = A4[0] * A4[1]


def render_board(board: Board, text: Text | None = None, *, paper: str = "A4", landscape: bool = False,
                 font: FontInfo | None = None) -> bytes:
    """Render the day's board as PDF bytes for printing (``paper`` "A4" or "A3").

    Shows every reviewed result by stall and food with the public wording each entry carries
    ("本次快检未发现问题", "阳性，已按规定处置", "阳性，处置中", "复测中"), the positives and
    how they were handled, the complaint phone and the screening statement. Type grows
    with the paper size.
    """
    if paper not in PAPER:
        raise ValueError(f"paper must be one of {sorted(PAPER)}, not {paper!r}")
    L = text or Text()
    pagesize = to_landscape(PAPER[paper]) if landscape else PAPER[paper]
    size_scale = math.sqrt(pagesize[0] * pagesize[1] / _A4_AREA)
    font_name = (font or registered_font()).name
    st = report_styles(font_name, round(1.45 * size_scale, 3))
    margin = 14 * mm * size_scale
    margins = Margins(left=margin, right=margin, top=margin + 8 * mm * size_scale, bottom=margin + 6 * mm * size_scale)
    width = pagesize[0] - margins.left - margins.right

    entries = sorted(board.entries, key=lambda e: (e.stall, e.tested_at.isoformat() if e.tested_at else "", e.item))
    negatives = sum(1 for e in entries if e.outcome == "negative")
    positives = [e for e in entries if e.outcome == "positive"]
    retests = len(entries) - negatives - len(positives)

    story: list[Flowable] = [
        Paragraph(L._("Rapid Food Test Results"), st.title.clone("board_title", fontSize=st.title.fontSize * 1.25,
                                                                 leading=st.title.leading * 1.25)),
        para(L._("{market} · Tested on {day}").format(market=board.market, day=date_text(board.day)), st.subtitle),
        Spacer(1, 3 * mm * size_scale),
    ]
    phone = st.h1.clone("board_phone", textColor=POSITIVE_INK, alignment=1, spaceBefore=0)
    box = Table([[[para(L._("Complaints: {phone}").format(phone=board.complaint_phone), phone),
                   para(L.disclaimer, st.small.clone("board_note", alignment=1)),
                   para(L.scope_rule, st.note.clone("board_note2", alignment=1))]]], colWidths=[width])
    box.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), NOTE_FILL),
        ("BOX", (0, 0), (-1, -1), 0.8, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2 * mm * size_scale),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm * size_scale),
    ]))
    story.append(box)
    story.append(Spacer(1, 4 * mm * size_scale))

    today = board.printed_on == board.day
    day = date_text(board.day)
    if not entries:
        story.append(para(L._("No reviewed results today yet.") if today
                          else L._("No reviewed results on {day}.").format(day=day), st.body))
    else:
        if today:
            count = L.ngettext("{total} result today", "{total} results today", len(entries))
        else:
            count = L.ngettext("{total} result on {day}", "{total} results on {day}", len(entries))
        story.append(para(L._("{count}: {negatives} no problem found, {positives} positive, {retests} "
                              "being retested.").format(count=count.format(total=len(entries), day=day),
                                                        negatives=negatives, positives=len(positives),
                                                        retests=retests), st.small))
        story.append(Spacer(1, 2 * mm * size_scale))
        rows, fills, inks = [], {}, {}
        for r, e in enumerate(entries):
            rows.append([e.stall, public_operator_name(e.operator), e.food, e.item, e.wording])
            if e.outcome == "positive":
                fills[r], inks[(4, r)] = POSITIVE_FILL, POSITIVE_INK
            elif e.outcome == "negative":
                inks[(4, r)] = NEGATIVE_INK
            else:
                fills[r], inks[(4, r)] = RETEST_FILL, RETEST_INK
        fractions = (0.10, 0.11, 0.13, 0.36, 0.30)
        header = [L.pgettext("market board", "Stall"), L._("Operator"), L.pgettext("market board", "Food"),
                  L._("Test item"), L.pgettext("market board", "Result")]
        story.append(data_table(header, rows, [width * f for f in fractions], st, align="lllll",
                                row_fills=fills, cell_inks=inks))

    story.append(Paragraph(L._("Positive samples and their handling"), st.h1))
    if not positives:
        story.append(para(L._("No positive samples today.") if today
                          else L._("No positive samples on {day}.").format(day=day), st.body))
    else:
        rows = [[e.stall, e.food, e.item, e.wording,
                 e.handling or L._("Sale stopped, being handled")] for e in positives]
        header = [L.pgettext("market board", "Stall"), L.pgettext("market board", "Food"), L._("Test item"),
                  L.pgettext("market board", "Result"), L.pgettext("market board", "Handling")]
        story.append(data_table(header, rows, [width * f for f in (0.09, 0.10, 0.27, 0.25, 0.29)], st,
                                align="lllll", cell_inks={(3, r): POSITIVE_INK for r in range(len(rows))}))

    furniture = PageFurniture(
        font=font_name,
        header_left=board.market,
        header_right=board.operator_org or "",
        footer_left=(L._("Testing station") + f" {board.station}") if board.station else "",
        footer_right=(L._("Updated") + f" {datetime_text(board.updated_at)}") if board.updated_at else "",
        page_of=L._("Page {page} of {pages}"),
        scale=size_scale,
    )
    return render_story(story, furniture, pagesize=pagesize, margins=margins,
                        title=(f"{board.market} " + L._("Rapid Food Test Results") + f" {date_text(board.day)}"), author=board.market)
