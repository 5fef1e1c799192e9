"""The monthly report (月度快检报告) of a district or one site, A4 portrait."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from ..charts import bar_chart_drawing, line_chart_drawing
from ..data import BreakdownRow, ListedStall, MonthlyFigures, MonthlyReport
from ..fonts import FontInfo, registered_font
from ..formats import (
    count_change_text,
    date_range_text,
    datetime_text,
    kg_text,
    month_bounds,
    rate_change_points,
    rate_text,
    reading_text,
)
from ..text import Text
from ..monthly_charts import daily_chart, item_positives_chart, site_positive_rate_chart
from .page import Margins, PageFurniture, render_story
from .styles import LABEL_FILL, NOTE_FILL, POSITIVE_INK, RATING_FILL, RULE, ReportStyles, report_styles
from .tables import data_table, para

MARGINS = Margins()
WIDTH = 210 * mm - MARGINS.left - MARGINS.right
SEVERITY = {"red": 0, "orange": 1, "yellow": 2, "blue": 3, "green": 4}


def render_monthly_report(report: MonthlyReport, text: Text | None = None, *, font: FontInfo | None = None,
                          status_words: Mapping[str, str] | None = None) -> bytes:
    """Render the monthly report as PDF bytes (cover, figures, charts, tables, lists, appendix).
    ``status_words``: the words for status codes (the application's wording table, in the language of ``text``).

    Empty months render too: zero figures, "—" for rates that cannot be computed and
    "本月无阳性"-style notes instead of empty tables.
    """
    L = (text or Text()).with_status_words(status_words)
    font_name = (font or registered_font()).name
    st = report_styles(font_name)
    period = L._("{year}-{month:02d}").format(year=report.month.year, month=report.month.month)
    story: list[Flowable] = []
    story.extend(_cover(report, period, L, st))
    story.append(PageBreak())
    story.extend(_headline(report, L, st))
    story.extend(_units(report, L, st))
    story.extend(_trends(report, L, st, font_name))
    for key, title, rows, name_col in (
        ("by_site", L._("3. By site"), report.by_site, L.pgettext("report column", "Site")),
        ("by_category", L._("4. By food category"), report.by_category, L.pgettext("report column", "Category")),
        ("by_item", L._("5. By test item"), report.by_item, L._("Test item")),
        ("by_station", L._("6. By station"), report.by_station, L._("Station")),
    ):
        story.append(CondPageBreak(60 * mm))
        story.append(Paragraph(title, st.h1))
        story.append(_breakdown_table(rows, name_col, L, st, total=key != "by_item"))
        if key == "by_site" and report.coverage:
            story.append(Paragraph(L._("Coverage (stalls tested ÷ stalls registered)"), st.h2))
            story.append(_coverage_table(report, L, st))
    story.extend(_positives(report, L, st))
    story.extend(_ratings(report, L, st))
    story.extend(_lists(report, L, st))
    story.extend(_events(report, L, st))
    story.extend(_appendix(report, L, st))
    scope = L.with_note(report.scope_name, L.scope(report.scope))
    furniture = PageFurniture(
        font=font_name,
        header_left=report.issuer.name,
        header_right=(f"{period} " + L._("Monthly Rapid Test Report") + f" · {report.scope_name}"),
        footer_left=((L._("Report no.") + f" {report.report_no}") + (
            (" · " + L.pgettext("monthly report", "Version") + f" {report.issue.version}") if not is_draft(report) else (" · " + L._("Draft (not issued)")))
            if report.report_no else scope),
        footer_right=(L._("Generated") + f" {datetime_text(report.generated_at)}") if report.generated_at else "",
        page_of=L._("Page {page} of {pages}"),
        header_on_first_page=False,
        watermark=L._("DRAFT") if is_draft(report) else None,
    )
    return render_story(story, furniture, margins=MARGINS, title=(f"{period} " + L._("Monthly Rapid Test Report") + f" {report.scope_name}"),
                        author=report.issuer.name, subject=L._("Rapid food testing: monthly statistics"))


# --------------------------------------------------------------------------- cover


def _cover(report: MonthlyReport, period: str, L: Text, st: ReportStyles) -> list[Flowable]:
    first, last = month_bounds(report.month)
    scope = L.scope(report.scope)
    fields = [
        (L._("Period"), date_range_text(first, last)),
        (L._("Scope"), L.with_note(report.scope_name, scope)),
        (L._("Issued by"), report.issuer.name),
    ]
    if report.report_no:
        fields.append((L._("Report no."), report.report_no))
    issue = report.issue
    if issue is not None and issue.current:
        fields.append((L.pgettext("monthly report", "Version"), str(issue.version)))
        fields.append((L._("Issued"), datetime_text(issue.first_issued_at)))
        if issue.version > 1:
            fields.append((L._("This version issued"), datetime_text(issue.issued_at)))
    else:
        fields.append((L.pgettext("monthly report", "Version"), L._("Draft (not issued)")))
    if report.planned_batches is not None:
        fields.append((L._("Planned batches"), str(report.planned_batches)))
    if report.generated_at is not None:
        fields.append((L._("Generated"), datetime_text(report.generated_at)))
    if report.audit_head is not None:
        fields.append((L._("Audit trail head"), audit_head_text(*report.audit_head)))
    cover_title = st.title.clone("cover_title", fontSize=28 * st.scale, leading=36 * st.scale)
    cover_sub = st.subtitle.clone("cover_sub", fontSize=14 * st.scale, leading=20 * st.scale)
    info = Table([[para(k, st.cell_label), para(v, st.cell)] for k, v in fields], colWidths=[90, 250], hAlign="CENTER")
    info.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    f = report.current
    key_figures = [
        (L.pgettext("monthly report", "Batches tested"), str(f.batches)),
        (L.pgettext("monthly report", "Tests"), str(f.tests)),
        (L._("Positive rate"), rate_text(f.positive_rate)),
        (L._("Disposal rate"), rate_text(f.disposal_rate)),
    ]
    big = st.title.clone("big_number", fontSize=20 * st.scale, leading=24 * st.scale, textColor=HexColor("#123d6a"))
    strip = Table([[para(v, big) for _, v in key_figures], [para(k, st.cell_head) for k, _ in key_figures]],
                  colWidths=[WIDTH / 4] * 4)
    strip.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), LABEL_FILL),
        ("LINEBEFORE", (1, 0), (-1, -1), 0.6, HexColor("#ffffff")),
        ("TOPPADDING", (0, 0), (-1, 0), 10),
        ("BOTTOMPADDING", (0, 1), (-1, 1), 10),
    ]))
    return [
        Spacer(1, 38 * mm),
        para(report.issuer.name, cover_sub),
        Spacer(1, 10 * mm),
        para(period, cover_sub),
        para(L._("Monthly Rapid Test Report"), cover_title),
        para(L._("Rapid food testing: monthly statistics"), st.subtitle),
        Spacer(1, 14 * mm),
        info,
        Spacer(1, 16 * mm),
        strip,
        Spacer(1, 10 * mm),
        *_draft_notes(report, L, st),
        _signature_block(report, L, st),
        Spacer(1, 8 * mm),
        para(L.disclaimer, st.note.clone("cover_note", alignment=1)),
        para(L.not_supervisory, st.note.clone("cover_note2", alignment=1)),
    ]


def is_draft(report: MonthlyReport) -> bool:
    """A report is final only as the current issued version; every other print is a draft."""
    return report.issue is None or not report.issue.current


def _draft_notes(report: MonthlyReport, L: Text, st: ReportStyles) -> list[Flowable]:
    if report.issue is not None and not report.issue.current:
        text = L._("The figures have changed since version {version} was issued: this print is a draft; a new version"
                   " must be issued.").format(version=report.issue.version)
    elif report.issue is None:
        text = L._("This report has not been issued: it is a draft and must not be published.")
    else:
        return []
    return [para(text, st.note.clone("draft_note", alignment=1, textColor=POSITIVE_INK)), Spacer(1, 4 * mm)]


def _signature_block(report: MonthlyReport, L: Text, st: ReportStyles) -> Flowable:
    """编制 / 审核 / 签发 with the names from configuration (a blank line to sign by hand),
    签发时间 (the first issue's) and the seal line."""
    sig = report.signatures
    blank = "＿＿＿＿＿＿"
    names = [(L._("Compiled by"), sig.compiled_by if sig else None), (L.pgettext("signature", "Reviewed by"), sig.reviewed_by if sig else None),
             (L._("Signed off by"), sig.signed_by if sig else None)]
    issued = report.issue.first_issued_at if report.issue is not None and report.issue.current else None
    row = [para(f"{k}{L.colon}{v or blank}", st.cell) for k, v in names]
    when = datetime_text(issued) if issued else blank
    rows = [row, [para((L._("Issued") + f"{L.colon}{when}"), st.cell), "", ""]]
    style = [("SPAN", (0, 1), (-1, 1)), ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
             ("LINEABOVE", (0, 0), (-1, 0), 0.4, RULE)]
    if sig and sig.seal:
        rows.append([para(sig.seal, st.cell.clone("seal", alignment=2)), "", ""])
        style.append(("SPAN", (0, 2), (-1, 2)))
    table = Table(rows, colWidths=[WIDTH / 3] * 3, hAlign="CENTER")
    table.setStyle(TableStyle(style))
    return table


# --------------------------------------------------------------------------- figures


def _figure_rows(cur: MonthlyFigures, prev: MonthlyFigures | None, L: Text) -> list[list[str]]:
    pp = L._("pp")
    rows = []
    for attr in ("batches", "tests", "negatives", "positives", "suspects", "invalids"):
        value = getattr(cur, attr)
        before = getattr(prev, attr) if prev else None
        rows.append([L.figure(attr), str(value), "—" if before is None else str(before), count_change_text(value, before)])
    for attr in ("pass_rate", "positive_rate", "disposal_rate"):
        value = getattr(cur, attr)
        before = getattr(prev, attr) if prev else None
        change = rate_change_points(value, before)
        rows.append([L.figure(attr), rate_text(value), rate_text(before) if prev else "—",
                     change if change == "—" else f"{change} {pp}"])
    rows.append([L.figure("dispositions_closed"), str(cur.dispositions_closed),
                 str(prev.dispositions_closed) if prev else "—",
                 count_change_text(cur.dispositions_closed, prev.dispositions_closed if prev else None)])
    rows.append([L.figure("kg_disposed"), kg_text(cur.kg_disposed), kg_text(prev.kg_disposed) if prev else "—",
                 count_change_text(cur.kg_disposed, prev.kg_disposed if prev else None)])
    for attr in ("overdue_dispositions", "closed_late", "objections", "objections_released", "objections_confirmed",
                 "objections_pending"):
        value = getattr(cur, attr)
        before = getattr(prev, attr) if prev else None
        rows.append([L.figure(attr), str(value), "—" if before is None else str(before), count_change_text(value, before)])
    return rows


def _headline(report: MonthlyReport, L: Text, st: ReportStyles) -> list[Flowable]:
    f = report.current
    summary = L.ngettext("This month {batches} was tested in {tests}: {negatives} negative, {positives} "
                         "positive, {suspects} suspect and {invalids} invalid. Pass rate {pass_rate}, positive rate "
                         "{positive_rate}, disposal rate {disposal_rate}; {kg} kg disposed of.",
                         "This month {batches} were tested in {tests}: {negatives} negative, {positives} "
                         "positive, {suspects} suspect and {invalids} invalid. Pass rate {pass_rate}, positive rate "
                         "{positive_rate}, disposal rate {disposal_rate}; {kg} kg disposed of.", f.batches).format(
        batches=L.ngettext("{n} batch", "{n} batches", f.batches).format(n=f.batches), tests=L.ngettext("{n} test", "{n} tests", f.tests).format(n=f.tests),
        negatives=f.negatives, positives=f.positives, suspects=f.suspects,
        invalids=f.invalids, pass_rate=rate_text(f.pass_rate), positive_rate=rate_text(f.positive_rate),
        disposal_rate=rate_text(f.disposal_rate), kg=kg_text(f.kg_disposed))
    rows = _figure_rows(f, report.previous, L)
    inks = {}
    for r, row in enumerate(rows):
        if row[0] in (L.pgettext("monthly report", "Positive"), L._("Overdue, still open (when printed)")) and row[1] not in ("0", "—"):
            inks[(1, r)] = POSITIVE_INK
    header = [L._("Figure"), L._("This month"), L._("Previous month"), L._("Change")]
    table = data_table(header, rows, [190, 100, 100, WIDTH - 390], st, align="lrrr", cell_inks=inks,
                       extra_style=[("BACKGROUND", (0, 7), (-1, 9), LABEL_FILL)])
    out = [Paragraph(L._("1. Overview"), st.h1), para(summary, st.body)]
    if report.counts_as_of is not None and report.generated_at is not None:
        out.append(para(L._("Test counts as of {counts}; overdue dispositions, pending lab results and the status of "
                            "each positive as of printing, {printed}.").format(counts=datetime_text(report.counts_as_of),
                                                  printed=datetime_text(report.generated_at)), st.note))
    if L.replica_note(report):
        out.append(para(L.replica_note(report), st.note))
    if f.batches_untested:
        out.append(para(L.ngettext("{count} more batch was registered this month and not tested by its end; it is not "
                                   "counted as tested.",
                                   "{count} more batches were registered this month and not tested by its end; they are "
                                   "not counted as tested.", f.batches_untested).format(count=f.batches_untested), st.note))
    if report.unreviewed:
        out.append(para(L.ngettext("{count} more result of the month is not yet reviewed and is left out of every figure.",
                                   "{count} more results of the month are not yet reviewed and are left out of every "
                                   "figure.", report.unreviewed).format(count=report.unreviewed), st.note))
    return out + [Spacer(1, 4), table, para(L._("Rates exclude suspect and invalid results; changes of rates are in "
                                                "percentage points (pp)."), st.note)]


def _units(report: MonthlyReport, L: Text, st: ReportStyles) -> list[Flowable]:
    """The node's units side by side (a city's districts, a district's offices and markets),
    each with the overview's figures; the total row is the overview's own figures."""
    if not report.by_unit:
        return []
    header = [L._("Unit"), L._("Batches"), L.pgettext("report column", "Tests"), L._("Pos."), L._("Pos. rate"),
              L._("Disposal rate"), L._("Overdue"), L._("kg disposed")]
    body, inks = [], {}
    for r, unit in enumerate(report.by_unit):
        f = unit.figures
        body.append([L.with_note(unit.name, L.unit_kind(unit.kind)), str(f.batches), str(f.tests), str(f.positives),
                     rate_text(f.positive_rate), rate_text(f.disposal_rate), str(f.overdue_dispositions),
                     kg_text(f.kg_disposed)])
        if f.positives:
            inks[(3, r)] = POSITIVE_INK
        if f.overdue_dispositions:
            inks[(6, r)] = POSITIVE_INK
    cur = report.current
    body.append([L._("Total"), str(cur.batches), str(cur.tests), str(cur.positives), rate_text(cur.positive_rate),
                 rate_text(cur.disposal_rate), str(cur.overdue_dispositions), kg_text(cur.kg_disposed)])
    widths = [WIDTH - 7 * 54, 54, 54, 54, 54, 54, 54, 54]
    return [CondPageBreak(50 * mm), Paragraph(L._("Units compared"), st.h2),
            data_table(header, body, widths, st, align="lRRRRRRR", cell_inks=inks, total_row=True)]


def _trends(report: MonthlyReport, L: Text, st: ReportStyles, font: str) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(90 * mm), Paragraph(L._("2. Trends"), st.h1)]
    sites = site_positive_rate_chart(report, L)
    items = item_positives_chart(report, L)
    if not report.daily and not sites.categories and not items.categories:
        out.append(para(L._("No data this month"), st.body))
        return out
    out.append(line_chart_drawing(daily_chart(report, L), WIDTH, 176, font))
    bars = max(len(sites.categories), len(items.categories), 4)
    height = 40 + 13 * bars
    half = WIDTH / 2 - 4
    pair = Table([[bar_chart_drawing(sites, half, height, font), bar_chart_drawing(items, half, height, font)]],
                 colWidths=[WIDTH / 2, WIDTH / 2])
    pair.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                              ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out.append(Spacer(1, 4))
    out.append(pair)
    return out


# --------------------------------------------------------------------------- tables


def _breakdown_table(rows: Sequence[BreakdownRow], name_header: str, L: Text, st: ReportStyles,
                     total: bool = True) -> Flowable:
    if not rows:
        return para(L._("No data this month"), st.small)
    header = [name_header, L._("Batches"), L.pgettext("report column", "Tests"), L._("Neg."), L._("Pos."),
              L._("Susp."), L._("Inv."), L._("Pos. rate")]
    body, inks = [], {}
    for r, row in enumerate(rows):
        body.append([row.name, "—" if row.batches is None else str(row.batches), str(row.tests), str(row.negatives),
                     str(row.positives), str(row.suspects), str(row.invalids), rate_text(row.positive_rate)])
        if row.positives:
            inks[(4, r)] = POSITIVE_INK
            inks[(7, r)] = POSITIVE_INK
    if total:
        sums = BreakdownRow(name=L._("Total"), tests=sum(r.tests for r in rows),
                            negatives=sum(r.negatives for r in rows), positives=sum(r.positives for r in rows),
                            suspects=sum(r.suspects for r in rows), invalids=sum(r.invalids for r in rows))
        batches = [r.batches for r in rows]
        body.append([sums.name, "—" if None in batches else str(sum(batches)), str(sums.tests), str(sums.negatives),
                     str(sums.positives), str(sums.suspects), str(sums.invalids), rate_text(sums.positive_rate)])
    widths = [WIDTH - 7 * 52, 52, 52, 52, 52, 52, 52, 52]
    return data_table(header, body, widths, st, align="lRRRRRRR", cell_inks=inks, total_row=total)


def _coverage_table(report: MonthlyReport, L: Text, st: ReportStyles) -> Flowable:
    header = [L.pgettext("report column", "Site"), L.pgettext("report column", "Stalls"), L.pgettext("report column", "Tested"), L.pgettext("report column", "Never tested"), L._("Coverage"),
              L._("Foods tested")]
    rows, inks = [], {}
    for r, c in enumerate(report.coverage):
        rows.append([c.site, str(c.stalls), str(c.stalls_tested), str(c.stalls_untested), rate_text(c.rate),
                     str(c.foods)])
        if c.stalls_untested:
            inks[(3, r)] = POSITIVE_INK
    return data_table(header, rows, [WIDTH - 5 * 62, 62, 62, 62, 62, 62], st, align="lRRRRR", cell_inks=inks)


def _positives(report: MonthlyReport, L: Text, st: ReportStyles) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(50 * mm), Paragraph(L._("7. Positive samples and their handling"), st.h1)]
    if not report.positives:
        out.append(para(L._("No positives this month"), st.body))
        return out
    # A batch positive for two items is one lot of food: count its kilograms once.
    kg = sum({(p.batch_code or id(p)): p.kg_disposed for p in report.positives}.values(), Decimal(0))
    out.append(para(L.ngettext("{count} positive result this month; {kg} kg disposed.",
                               "{count} positive results this month; {kg} kg disposed.",
                               len(report.positives)).format(count=len(report.positives), kg=kg_text(kg)), st.small))
    out.append(Spacer(1, 3))
    header = [L.pgettext("report column", "Date"), L.pgettext("report column", "Site"), L.pgettext("report column", "Stall"), L.pgettext("report column", "Food"), L._("Supplier"), L._("Test item"),
              L._("Reading"), L._("Disposition"), L._("kg disposed")]
    rows = []
    for p in sorted(report.positives, key=lambda p: p.tested_at):
        rows.append([datetime_text(p.tested_at).replace(" ", "\n"), p.site, p.stall, p.food, p.supplier, p.item,
                     reading_text(p.value, p.value_text, p.unit), L.status(p.disposition_status),
                     kg_text(p.kg_disposed)])
    widths = [56, 62, 32, 38, 64, 76, 60, 78, 44]
    widths[4] += WIDTH - sum(widths)
    out.append(data_table(header, rows, widths, st, align="LlLllllcR"))
    return out


def swatch(colour: str | None, text: str, font: str, size: float = 8.5) -> Drawing:
    """A coloured square followed by the colour's word (五色预警 cells)."""
    drawing = Drawing(52, size + 3)
    fill = RATING_FILL.get(colour or "")
    if fill is not None:
        drawing.add(Rect(0, 0.5, size + 2, size + 2, fillColor=fill, strokeColor=HexColor("#444444"),
                         strokeWidth=0.3))
    else:
        drawing.add(Rect(0, 0.5, size + 2, size + 2, fillColor=None, strokeColor=HexColor("#888888"),
                         strokeWidth=0.5, strokeDashArray=[1.5, 1]))
    drawing.add(String(size + 6, 2, text, fontName=font, fontSize=size))
    return drawing


def _ratings(report: MonthlyReport, L: Text, st: ReportStyles) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(50 * mm), Paragraph(L._("8. Five-colour risk rating"), st.h1)]
    if not report.ratings:
        out.append(para(L._("No ratings this month"), st.body))
        return out
    counts = {c: sum(1 for r in report.ratings if r.colour == c) for c in SEVERITY}
    out.append(para(L.list_sep.join(f"{L.colour(c)} {n}" for c, n in counts.items()), st.small))
    out.append(Spacer(1, 3))
    ordered = sorted(report.ratings, key=lambda r: SEVERITY.get(r.colour or "", 9))
    rows = [[r.site, swatch(r.colour, L.colour(r.colour or "none"), st.font), r.reason] for r in ordered]
    header = [L.pgettext("report column", "Site"), L._("Rating"), L._("Reason")]
    out.append(data_table(header, rows, [150, 62, WIDTH - 212], st, align="lcl"))
    return out


def _stall_table(stalls: Sequence[ListedStall], L: Text, st: ReportStyles) -> Flowable:
    if not stalls:
        return para(L.pgettext("monthly report", "None"), st.small)
    header = [L.pgettext("report column", "Site"), L.pgettext("report column", "Stall"), L._("Operator"), L._("Batches (90 d)"), L._("Positives (90 d)"),
              L._("Note")]
    rows = [[s.site, s.stall, s.operator, str(s.batches_90d), str(s.positives_90d), s.note] for s in stalls]
    return data_table(header, rows, [130, 50, 70, 62, 62, WIDTH - 374], st, align="lllrrl")


def _lists(report: MonthlyReport, L: Text, st: ReportStyles) -> list[Flowable]:
    return [
        CondPageBreak(50 * mm),
        Paragraph(L._("9. Red and black lists"), st.h1),
        Paragraph(L._("Black list"), st.h2),
        _stall_table(report.black_list, L, st),
        Paragraph(L._("Red list (honour roll)"), st.h2),
        _stall_table(report.red_list, L, st),
    ]


def _events(report: MonthlyReport, L: Text, st: ReportStyles) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(40 * mm), Paragraph(L._("10. Events covered"), st.h1)]
    if not report.events:
        out.append(para(L._("No events this month"), st.body))
        return out
    header = [L.pgettext("report column", "Event"), L.pgettext("report column", "Kind"), L.pgettext("report column", "Date"), L._("Venue"), L._("Batches"),
              L._("Pos."), L.pgettext("report column", "People served")]
    rows, inks = [], {}
    for r, e in enumerate(report.events):
        rows.append([e.name, L.event_kind(e.kind), date_range_text(e.starts_on, e.ends_on), e.venue,
                     str(e.batches), str(e.positives), "—" if e.people_served is None else str(e.people_served)])
        if e.positives:
            inks[(5, r)] = POSITIVE_INK
    out.append(data_table(header, rows, [128, 64, 70, WIDTH - 128 - 64 - 70 - 40 - 36 - 52, 40, 36, 52], st,
                          align="llllrrr", cell_inks=inks))
    return out


def _appendix(report: MonthlyReport, L: Text, st: ReportStyles) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), Paragraph(L._("Appendix: rating rules and definitions"), st.h1),
                           Paragraph(L._("Five-colour rating rules (checked in order; the first match wins)"), st.h2)]
    if report.rating_rules:
        rows = [[swatch(r.colour, L.colour(r.colour), st.font), r.condition] for r in report.rating_rules]
        out.append(data_table([L._("Colour"), L._("Condition")], rows, [62, WIDTH - 62], st, align="cl"))
    else:
        out.append(para(L.pgettext("report", "None"), st.small))
    if report.list_rules:
        out.append(Paragraph(L._("Red and black list rules"), st.h2))
        out.extend(para(f"• {text}", st.small) for text in report.list_rules)
    definitions = [
        L._("Tests: the month's reviewed results (current versions, empty channels excluded); results not yet "
            "reviewed are left out."),
        L._("Suspect and invalid results are reported separately and must be repeated; they are never counted as "
            "passes and are left out of both sides of the pass and positive rates."),
        L._("Pass rate = negative tests ÷ (negative + positive tests)."),
        L._("Positive rate = positive tests ÷ (negative + positive tests)."),
        L._("Disposal rate = closed dispositions ÷ positives."),
        L._("Disposed of: kilograms of the month's positive batches destroyed, made harmless, returned or recalled "
            "(the sum of the positives table's column); stopping a sale does not count."),
        L._("A dash means the rate cannot be computed (nothing to divide by)."),
        L._("Rapid tests are screening tests; these figures are not supervisory sampling data."),
    ]
    box = Table([[[para(f"{i}. {t}", st.small) for i, t in enumerate(definitions, start=1)]]], colWidths=[WIDTH])
    box.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), NOTE_FILL), ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                             ("LEFTPADDING", (0, 0), (-1, -1), 8), ("TOPPADDING", (0, 0), (-1, -1), 5),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    out.append(KeepTogether([Paragraph(L._("Definitions"), st.h2), box]))
    return out


def audit_head_text(seq: int, digest: str) -> str:
    """``#seq`` and the hash in groups of eight (it wraps, and is read aloud more easily)."""
    return f"#{seq} " + " ".join(digest[i:i + 8] for i in range(0, len(digest), 8))
