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
from ..i18n import Labels, labels
from ..monthly_charts import daily_chart, item_positives_chart, site_positive_rate_chart
from .page import Margins, PageFurniture, render_story
from .styles import LABEL_FILL, NOTE_FILL, POSITIVE_INK, RATING_FILL, RULE, ReportStyles, report_styles
from .tables import data_table, para

MARGINS = Margins()
WIDTH = 210 * mm - MARGINS.left - MARGINS.right
SEVERITY = {"red": 0, "orange": 1, "yellow": 2, "blue": 3, "green": 4}


def render_monthly_report(report: MonthlyReport, lang: str = "zh_CN", *, font: FontInfo | None = None,
                          status_words: Mapping[str, str] | None = None) -> bytes:
    """Render the monthly report as PDF bytes (cover, figures, charts, tables, lists, appendix).
    ``status_words``: the words for status codes (the application's wording table, in ``lang``).

    Empty months render too: zero figures, "—" for rates that cannot be computed and
    "本月无阳性"-style notes instead of empty tables.
    """
    L = labels(lang).with_status_words(status_words)
    font_name = (font or registered_font()).name
    st = report_styles(font_name)
    period = L["month_title"].format(year=report.month.year, month=report.month.month)
    story: list[Flowable] = []
    story.extend(_cover(report, period, L, st))
    story.append(PageBreak())
    story.extend(_headline(report, L, st))
    story.extend(_trends(report, L, st, font_name))
    for key, rows, name_col in (
        ("by_site", report.by_site, "col.site"),
        ("by_category", report.by_category, "col.category"),
        ("by_item", report.by_item, "col.item"),
        ("by_station", report.by_station, "col.station"),
    ):
        story.append(CondPageBreak(60 * mm))
        story.append(Paragraph(L[f"monthly.s.{key}"], st.h1))
        story.append(_breakdown_table(rows, L[name_col], L, st, total=key != "by_item"))
        if key == "by_site" and report.coverage:
            story.append(Paragraph(L["monthly.coverage"], st.h2))
            story.append(_coverage_table(report, L, st))
    story.extend(_positives(report, L, st))
    story.extend(_ratings(report, L, st))
    story.extend(_lists(report, L, st))
    story.extend(_events(report, L, st))
    story.extend(_appendix(report, L, st))
    scope = L.with_note(report.scope_name, L.coded("monthly.scope", report.scope))
    furniture = PageFurniture(
        font=font_name,
        header_left=report.issuer.name,
        header_right=f"{period} {L['monthly.title']} · {report.scope_name}",
        footer_left=(f"{L['report_no']} {report.report_no}" + (
            f" · {L['monthly.version']} {report.issue.version}" if not is_draft(report) else f" · {L['monthly.draft']}")
            if report.report_no else scope),
        footer_right=f"{L['generated_at']} {datetime_text(report.generated_at)}" if report.generated_at else "",
        page_of=L["page_of"],
        header_on_first_page=False,
        watermark=L["monthly.draft_watermark"] if is_draft(report) else None,
    )
    return render_story(story, furniture, margins=MARGINS, title=f"{period} {L['monthly.title']} {report.scope_name}",
                        author=report.issuer.name, subject=L["monthly.subtitle"])


# --------------------------------------------------------------------------- cover


def _cover(report: MonthlyReport, period: str, L: Labels, st: ReportStyles) -> list[Flowable]:
    first, last = month_bounds(report.month)
    scope = L.coded("monthly.scope", report.scope)
    fields = [
        (L["monthly.period"], date_range_text(first, last)),
        (L["monthly.scope"], L.with_note(report.scope_name, scope)),
        (L["issuer"], report.issuer.name),
    ]
    if report.report_no:
        fields.append((L["report_no"], report.report_no))
    issue = report.issue
    if issue is not None and issue.current:
        fields.append((L["monthly.version"], str(issue.version)))
        fields.append((L["monthly.first_issued"], datetime_text(issue.first_issued_at)))
        if issue.version > 1:
            fields.append((L["monthly.version_issued"], datetime_text(issue.issued_at)))
    else:
        fields.append((L["monthly.version"], L["monthly.draft"]))
    if report.planned_batches is not None:
        fields.append((L["monthly.planned"], str(report.planned_batches)))
    if report.generated_at is not None:
        fields.append((L["generated_at"], datetime_text(report.generated_at)))
    if report.audit_head is not None:
        fields.append((L["monthly.audit_head"], audit_head_text(*report.audit_head)))
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
        (L["fig.batches"], str(f.batches)),
        (L["fig.tests"], str(f.tests)),
        (L["fig.positive_rate"], rate_text(f.positive_rate)),
        (L["fig.disposal_rate"], rate_text(f.disposal_rate)),
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
        para(L["monthly.title"], cover_title),
        para(L["monthly.subtitle"], st.subtitle),
        Spacer(1, 14 * mm),
        info,
        Spacer(1, 16 * mm),
        strip,
        Spacer(1, 10 * mm),
        *_draft_notes(report, L, st),
        _signature_block(report, L, st),
        Spacer(1, 8 * mm),
        para(L["disclaimer"], st.note.clone("cover_note", alignment=1)),
        para(L["not_supervisory"], st.note.clone("cover_note2", alignment=1)),
    ]


def is_draft(report: MonthlyReport) -> bool:
    """A report is final only as the current issued version; every other print is a draft."""
    return report.issue is None or not report.issue.current


def _draft_notes(report: MonthlyReport, L: Labels, st: ReportStyles) -> list[Flowable]:
    if report.issue is not None and not report.issue.current:
        text = L["monthly.stale_note"].format(version=report.issue.version)
    elif report.issue is None:
        text = L["monthly.draft_note"]
    else:
        return []
    return [para(text, st.note.clone("draft_note", alignment=1, textColor=POSITIVE_INK)), Spacer(1, 4 * mm)]


def _signature_block(report: MonthlyReport, L: Labels, st: ReportStyles) -> Flowable:
    """编制 / 审核 / 签发 with the names from configuration (a blank line to sign by hand),
    签发时间 (the first issue's) and the seal line."""
    sig = report.signatures
    blank = "＿＿＿＿＿＿"
    names = [(L["sign.compiled"], sig.compiled_by if sig else None), (L["sign.reviewed"], sig.reviewed_by if sig else None),
             (L["sign.signed"], sig.signed_by if sig else None)]
    issued = report.issue.first_issued_at if report.issue is not None and report.issue.current else None
    row = [para(f"{k}{L['colon']}{v or blank}", st.cell) for k, v in names]
    when = datetime_text(issued) if issued else blank
    rows = [row, [para(f"{L['monthly.first_issued']}{L['colon']}{when}", st.cell), "", ""]]
    style = [("SPAN", (0, 1), (-1, 1)), ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
             ("LINEABOVE", (0, 0), (-1, 0), 0.4, RULE)]
    if sig and sig.seal:
        rows.append([para(sig.seal, st.cell.clone("seal", alignment=2)), "", ""])
        style.append(("SPAN", (0, 2), (-1, 2)))
    table = Table(rows, colWidths=[WIDTH / 3] * 3, hAlign="CENTER")
    table.setStyle(TableStyle(style))
    return table


# --------------------------------------------------------------------------- figures


def _figure_rows(cur: MonthlyFigures, prev: MonthlyFigures | None, L: Labels) -> list[list[str]]:
    pp = L["percentage_points"]
    rows = []
    for key, attr in (("fig.batches", "batches"), ("fig.tests", "tests"), ("fig.negatives", "negatives"),
                      ("fig.positives", "positives"), ("fig.suspects", "suspects"), ("fig.invalids", "invalids")):
        value = getattr(cur, attr)
        before = getattr(prev, attr) if prev else None
        rows.append([L[key], str(value), "—" if before is None else str(before), count_change_text(value, before)])
    for key, attr in (("fig.pass_rate", "pass_rate"), ("fig.positive_rate", "positive_rate"),
                      ("fig.disposal_rate", "disposal_rate")):
        value = getattr(cur, attr)
        before = getattr(prev, attr) if prev else None
        change = rate_change_points(value, before)
        rows.append([L[key], rate_text(value), rate_text(before) if prev else "—",
                     change if change == "—" else f"{change} {pp}"])
    rows.append([L["fig.dispositions_closed"], str(cur.dispositions_closed),
                 str(prev.dispositions_closed) if prev else "—",
                 count_change_text(cur.dispositions_closed, prev.dispositions_closed if prev else None)])
    rows.append([L["fig.kg_disposed"], kg_text(cur.kg_disposed), kg_text(prev.kg_disposed) if prev else "—",
                 count_change_text(cur.kg_disposed, prev.kg_disposed if prev else None)])
    for key, attr in (("fig.overdue", "overdue_dispositions"), ("fig.closed_late", "closed_late"),
                      ("fig.objections", "objections"),
                      ("fig.objections_released", "objections_released"),
                      ("fig.objections_confirmed", "objections_confirmed"),
                      ("fig.objections_pending", "objections_pending")):
        value = getattr(cur, attr)
        before = getattr(prev, attr) if prev else None
        rows.append([L[key], str(value), "—" if before is None else str(before), count_change_text(value, before)])
    return rows


def _headline(report: MonthlyReport, L: Labels, st: ReportStyles) -> list[Flowable]:
    f = report.current
    summary = L["monthly.summary"].format(
        batches=f.batches, tests=f.tests, negatives=f.negatives, positives=f.positives, suspects=f.suspects,
        invalids=f.invalids, pass_rate=rate_text(f.pass_rate), positive_rate=rate_text(f.positive_rate),
        disposal_rate=rate_text(f.disposal_rate), kg=kg_text(f.kg_disposed))
    rows = _figure_rows(f, report.previous, L)
    inks = {}
    for r, row in enumerate(rows):
        if row[0] in (L["fig.positives"], L["fig.overdue"]) and row[1] not in ("0", "—"):
            inks[(1, r)] = POSITIVE_INK
    header = [L["monthly.col.figure"], L["monthly.col.current"], L["monthly.col.previous"], L["monthly.col.change"]]
    table = data_table(header, rows, [190, 100, 100, WIDTH - 390], st, align="lrrr", cell_inks=inks,
                       extra_style=[("BACKGROUND", (0, 7), (-1, 9), LABEL_FILL)])
    out = [Paragraph(L["monthly.s.headline"], st.h1), para(summary, st.body)]
    if report.counts_as_of is not None and report.generated_at is not None:
        out.append(para(L["monthly.as_of"].format(counts=datetime_text(report.counts_as_of),
                                                  printed=datetime_text(report.generated_at)), st.note))
    if f.batches_untested:
        out.append(para(L["monthly.untested_note"].format(count=f.batches_untested), st.note))
    if report.unreviewed:
        out.append(para(L["monthly.unreviewed_note"].format(count=report.unreviewed), st.note))
    return out + [Spacer(1, 4), table, para(L["monthly.rate_note"], st.note)]


def _trends(report: MonthlyReport, L: Labels, st: ReportStyles, font: str) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(90 * mm), Paragraph(L["monthly.s.trends"], st.h1)]
    sites = site_positive_rate_chart(report, L.lang)
    items = item_positives_chart(report, L.lang)
    if not report.daily and not sites.categories and not items.categories:
        out.append(para(L["monthly.no_data"], st.body))
        return out
    out.append(line_chart_drawing(daily_chart(report, L.lang), WIDTH, 176, font))
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


def _breakdown_table(rows: Sequence[BreakdownRow], name_header: str, L: Labels, st: ReportStyles,
                     total: bool = True) -> Flowable:
    if not rows:
        return para(L["monthly.no_data"], st.small)
    header = [name_header, L["col.batches"], L["col.tests"], L["col.negatives"], L["col.positives"],
              L["col.suspects"], L["col.invalids"], L["col.positive_rate"]]
    body, inks = [], {}
    for r, row in enumerate(rows):
        body.append([row.name, "—" if row.batches is None else str(row.batches), str(row.tests), str(row.negatives),
                     str(row.positives), str(row.suspects), str(row.invalids), rate_text(row.positive_rate)])
        if row.positives:
            inks[(4, r)] = POSITIVE_INK
            inks[(7, r)] = POSITIVE_INK
    if total:
        sums = BreakdownRow(name=L["total"], tests=sum(r.tests for r in rows),
                            negatives=sum(r.negatives for r in rows), positives=sum(r.positives for r in rows),
                            suspects=sum(r.suspects for r in rows), invalids=sum(r.invalids for r in rows))
        batches = [r.batches for r in rows]
        body.append([sums.name, "—" if None in batches else str(sum(batches)), str(sums.tests), str(sums.negatives),
                     str(sums.positives), str(sums.suspects), str(sums.invalids), rate_text(sums.positive_rate)])
    widths = [WIDTH - 7 * 52, 52, 52, 52, 52, 52, 52, 52]
    return data_table(header, body, widths, st, align="lRRRRRRR", cell_inks=inks, total_row=total)


def _coverage_table(report: MonthlyReport, L: Labels, st: ReportStyles) -> Flowable:
    header = [L["col.site"], L["col.stalls"], L["col.stalls_tested"], L["col.stalls_untested"], L["col.coverage"],
              L["col.foods"]]
    rows, inks = [], {}
    for r, c in enumerate(report.coverage):
        rows.append([c.site, str(c.stalls), str(c.stalls_tested), str(c.stalls_untested), rate_text(c.rate),
                     str(c.foods)])
        if c.stalls_untested:
            inks[(3, r)] = POSITIVE_INK
    return data_table(header, rows, [WIDTH - 5 * 62, 62, 62, 62, 62, 62], st, align="lRRRRR", cell_inks=inks)


def _positives(report: MonthlyReport, L: Labels, st: ReportStyles) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(50 * mm), Paragraph(L["monthly.s.positives"], st.h1)]
    if not report.positives:
        out.append(para(L["monthly.no_positives"], st.body))
        return out
    # A batch positive for two items is one lot of food: count its kilograms once.
    kg = sum({(p.batch_code or id(p)): p.kg_disposed for p in report.positives}.values(), Decimal(0))
    out.append(para(L["monthly.positives_count"].format(count=len(report.positives), kg=kg_text(kg)), st.small))
    out.append(Spacer(1, 3))
    header = [L["col.date"], L["col.site"], L["col.stall"], L["col.food"], L["col.supplier"], L["col.item"],
              L["col.reading"], L["col.disposition"], L["col.kg_disposed"]]
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


def _ratings(report: MonthlyReport, L: Labels, st: ReportStyles) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(50 * mm), Paragraph(L["monthly.s.ratings"], st.h1)]
    if not report.ratings:
        out.append(para(L["monthly.no_ratings"], st.body))
        return out
    counts = {c: sum(1 for r in report.ratings if r.colour == c) for c in SEVERITY}
    out.append(para(L["list_sep"].join(f"{L.coded('colour', c)} {n}" for c, n in counts.items()), st.small))
    out.append(Spacer(1, 3))
    ordered = sorted(report.ratings, key=lambda r: SEVERITY.get(r.colour or "", 9))
    rows = [[r.site, swatch(r.colour, L.coded("colour", r.colour or "none"), st.font), r.reason] for r in ordered]
    header = [L["col.site"], L["col.rating"], L["col.reason"]]
    out.append(data_table(header, rows, [150, 62, WIDTH - 212], st, align="lcl"))
    return out


def _stall_table(stalls: Sequence[ListedStall], L: Labels, st: ReportStyles) -> Flowable:
    if not stalls:
        return para(L["monthly.empty_list"], st.small)
    header = [L["col.site"], L["col.stall"], L["col.operator"], L["col.batches_90d"], L["col.positives_90d"],
              L["col.note"]]
    rows = [[s.site, s.stall, s.operator, str(s.batches_90d), str(s.positives_90d), s.note] for s in stalls]
    return data_table(header, rows, [130, 50, 70, 62, 62, WIDTH - 374], st, align="lllrrl")


def _lists(report: MonthlyReport, L: Labels, st: ReportStyles) -> list[Flowable]:
    return [
        CondPageBreak(50 * mm),
        Paragraph(L["monthly.s.lists"], st.h1),
        Paragraph(L["monthly.black_list"], st.h2),
        _stall_table(report.black_list, L, st),
        Paragraph(L["monthly.red_list"], st.h2),
        _stall_table(report.red_list, L, st),
    ]


def _events(report: MonthlyReport, L: Labels, st: ReportStyles) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(40 * mm), Paragraph(L["monthly.s.events"], st.h1)]
    if not report.events:
        out.append(para(L["monthly.no_events"], st.body))
        return out
    header = [L["col.event"], L["col.event_kind"], L["col.date"], L["col.venue"], L["col.batches"],
              L["col.positives"], L["col.people"]]
    rows, inks = [], {}
    for r, e in enumerate(report.events):
        rows.append([e.name, L.coded("event_kind", e.kind), date_range_text(e.starts_on, e.ends_on), e.venue,
                     str(e.batches), str(e.positives), "—" if e.people_served is None else str(e.people_served)])
        if e.positives:
            inks[(5, r)] = POSITIVE_INK
    out.append(data_table(header, rows, [128, 64, 70, WIDTH - 128 - 64 - 70 - 40 - 36 - 52, 40, 36, 52], st,
                          align="llllrrr", cell_inks=inks))
    return out


def _appendix(report: MonthlyReport, L: Labels, st: ReportStyles) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), Paragraph(L["monthly.s.appendix"], st.h1),
                           Paragraph(L["monthly.rules"], st.h2)]
    if report.rating_rules:
        rows = [[swatch(r.colour, L.coded("colour", r.colour), st.font), r.condition] for r in report.rating_rules]
        out.append(data_table([L["col.colour"], L["col.condition"]], rows, [62, WIDTH - 62], st, align="cl"))
    else:
        out.append(para(L["none"], st.small))
    if report.list_rules:
        out.append(Paragraph(L["monthly.list_rules"], st.h2))
        out.extend(para(f"• {text}", st.small) for text in report.list_rules)
    definitions = [L[k] for k in ("def.tests", "def.separate", "def.pass_rate", "def.positive_rate",
                                  "def.disposal_rate", "def.kg", "def.none", "def.screening")]
    box = Table([[[para(f"{i}. {t}", st.small) for i, t in enumerate(definitions, start=1)]]], colWidths=[WIDTH])
    box.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), NOTE_FILL), ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                             ("LEFTPADDING", (0, 0), (-1, -1), 8), ("TOPPADDING", (0, 0), (-1, -1), 5),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    out.append(KeepTogether([Paragraph(L["monthly.definitions"], st.h2), box]))
    return out


def audit_head_text(seq: int, digest: str) -> str:
    """``#seq`` and the hash in groups of eight (it wraps, and is read aloud more easily)."""
    return f"#{seq} " + " ".join(digest[i:i + 8] for i in range(0, len(digest), 8))
