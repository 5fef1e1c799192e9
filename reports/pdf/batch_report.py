"""The test report of one batch (食品快速检测报告单), A4 portrait."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from xml.sax.saxutils import escape as _esc

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ..data import BatchReport, DispositionSummary, ResultLine
from ..fonts import FontInfo, registered_font
from ..formats import DASH, date_text, datetime_text, kg_text, reading_text
from ..text import Text
from .codes import QrCode
from .page import Margins, PageFurniture, render_story
from .styles import (
    NOTE_FILL,
    POSITIVE_FILL,
    POSITIVE_INK,
    RETEST_FILL,
    RETEST_INK,
    RULE,
    ReportStyles,
    report_styles,
)
from .tables import data_table, field_table, para

MARGINS = Margins()
WIDTH = 210 * mm - MARGINS.left - MARGINS.right


def render_batch_report(report: BatchReport, text: Text | None = None, *, draft: bool = False,
                        font: FontInfo | None = None, status_words: Mapping[str, str] | None = None,
                        conclusions: Mapping[str, str] | None = None) -> bytes:
    """Render the batch test report as PDF bytes.

    ``status_words`` maps status codes to the words printed for them (the application's
    wording table, in the language of ``text``); ``conclusions`` maps the status of a positive batch
    (stopped, disputed, released, confirmed, disposed) to the conclusion printed for it,
    so that the report tells where the batch stands now.

    ``draft=True`` prints a diagonal "未审核 / 草稿 DRAFT" watermark on every page (previews of
    unreviewed results). ``font`` defaults to the font registered by
    ``reports.fonts.register_cjk_font`` (registering the default one if needed).
    """
    L = (text or Text()).with_status_words(status_words)
    font_name = (font or registered_font()).name
    st = report_styles(font_name)
    story: list[Flowable] = []
    story.append(_title_block(report, L, st, draft))
    story.append(Paragraph(L.pgettext("batch report", "Sample"), st.h1))
    story.append(field_table(_sample_fields(report, L), WIDTH, st, label_width=80))
    story.append(Paragraph(L.pgettext("batch report", "Results"), st.h1))
    story.append(_results_table(report.results, L, st))
    story.append(KeepTogether([Paragraph(L._("Conclusion"), st.h1), *_conclusion(report, L, st, conclusions or {}),
                               para(L.disclaimer, st.note)]))
    story.append(KeepTogether([Paragraph(L._("Testing and review"), st.h1),
                               field_table(_signoff_fields(report.results, L), WIDTH, st, label_width=80)]))
    if report.disposition is not None:
        story.append(Paragraph(L._("Handling of the positive result"), st.h1))
        story.extend(_disposition(report.disposition, L, st))
    story.append(Spacer(1, 8))
    story.append(KeepTogether(_statements(report, L, st)))
    furniture = PageFurniture(
        font=font_name,
        header_left=report.issuer.name,
        header_right=report.issuer.unit or L._("Rapid Food Test Report"),
        footer_left=(L._("Report no.") + f" {report.report_no}"),
        footer_right=report.batch_code,
        page_of=L._("Page {page} of {pages}"),
        watermark=L._("DRAFT - NOT REVIEWED") if draft else None,
    )
    return render_story(story, furniture, margins=MARGINS, title=(L._("Rapid Food Test Report") + f" {report.report_no}"),
                        author=report.issuer.name, subject=report.batch_code)


def _title_block(report: BatchReport, L: Text, st: ReportStyles, draft: bool) -> Flowable:
    lines: list[Flowable] = [
        Paragraph(L._("Rapid Food Test Report"), st.title),
        para((L._("Report no.") + f"{L.colon}{report.report_no}"), st.subtitle),
    ]
    if report.issued_at is not None and not draft:  # a draft is not issued: it states no issue time
        lines.append(para((L._("Issued at") + f"{L.colon}{datetime_text(report.issued_at)}"), st.subtitle))
    if report.issuer.unit:
        lines.append(para((L._("Testing station") + f"{L.colon}{report.issuer.unit}"), st.subtitle))
    qr_size = 24 * mm
    if report.verify_url:
        qr: list[Flowable] = [QrCode(report.verify_url, qr_size), para(L._("Scan to verify"), st.note)]
    else:
        qr = [Spacer(qr_size, qr_size)]
    side = qr_size + 6
    table = Table([[Spacer(side, 1), lines, qr]], colWidths=[side, WIDTH - 2 * side, side])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (2, 0), (2, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def _sample_fields(report: BatchReport, L: Text) -> list[tuple[str, object]]:
    fields: list[tuple[str, object]] = [
        (L._("Sample code"), report.batch_code),
        (L.pgettext("batch report", "Food"), report.food),
        (L.pgettext("batch report", "Category"), report.category),
        (L.pgettext("batch report", "Quantity (kg)"), kg_text(report.quantity_kg)),
        (L.pgettext("batch report", "Site"), report.site),
        (L.pgettext("batch report", "Stall"), report.stall),
        (L._("Operator"), report.operator),
        (L._("Supplier"), report.supplier),
        (L._("Origin"), report.origin),
        (L._("Purchased on"), date_text(report.purchase_date)),
        (L._("Sampled at"), datetime_text(report.sampled_at)),
        (L._("Sampled by"), report.sampled_by),
    ]
    if report.certificate_no:
        fields.append((L._("Certificate no."), report.certificate_no))
    if report.event:
        fields.append((L.pgettext("batch report", "Event"), report.event))
    return fields


def _results_table(results: Sequence[ResultLine], L: Text, st: ReportStyles) -> Flowable:
    if not results:
        return para(L._("No results yet."), st.body)
    header = [L._("Test item"), L._("Method"), L._("Reagent lot"), L.pgettext("batch report", "Instrument"),
              L._("Reading"), L.pgettext("batch report", "Cut-off"), L.pgettext("batch report", "Result")]
    rows, fills, inks = [], {}, {}
    for r, line in enumerate(results):
        item: object = line.item
        if line.note:
            item = Paragraph(f"{_esc(line.item)}<br/><font size={st.note.fontSize}>{_esc(line.note)}</font>",
                             st.cell)
        rows.append([
            item,
            line.method,
            line.reagent_lot,
            line.instrument,
            reading_text(line.value, line.value_text, line.unit),
            line.cutoff,
            L.outcome(line.outcome),
        ])
        if line.outcome == "positive":
            fills[r] = POSITIVE_FILL
            inks[(6, r)] = POSITIVE_INK
        elif line.outcome in ("suspect", "invalid"):
            fills[r] = RETEST_FILL
            inks[(6, r)] = RETEST_INK
    widths = [110, 92, 56, 84, 56, 52, 60]
    widths[-1] = WIDTH - sum(widths[:-1])
    return data_table(header, rows, widths, st, align="lllllcc", row_fills=fills, cell_inks=inks)


def _conclusion(report: BatchReport, L: Text, st: ReportStyles,
                conclusions: Mapping[str, str]) -> list[Flowable]:
    results = report.results
    if not results:
        return [para(L._("No results yet."), st.body)]
    positives = _unique(line.item for line in results if line.outcome == "positive")
    retests = _unique(line.item for line in results if line.outcome in ("suspect", "invalid"))
    negatives = [line for line in results if line.outcome == "negative"]
    parts: list[Flowable] = []
    if positives:
        text = L._("Rapid test positive for: {items}. ").format(items=L.list_sep.join(positives))
        status = report.disposition.status if report.disposition is not None else None
        if status in conclusions:
            text += conclusions[status]
        colour = "#1b5e20" if status == "released" else "#b00020"
        parts.append(Paragraph(f'<font color="{colour}">{_esc(text)}</font>', st.body))
    if retests:
        text = L._("{items}: suspect or invalid, must be repeated; this report draws no conclusion on "
                   "them.").format(items=L.list_sep.join(retests))
        parts.append(Paragraph(f'<font color="#8a5a00">{_esc(text)}</font>', st.body))
    if not positives and not retests:
        parts.append(para(L._("All items tested negative. No problem found in this rapid test."), st.body))
    elif negatives:
        parts.append(para(L._("All other items tested negative."), st.body))
    return parts


def _unique(values) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def _people(names_times: list[tuple[str | None, datetime | None]], sep: str) -> tuple[str, str]:
    names = _unique(name for name, _ in names_times if name)
    times = sorted(t for _, t in names_times if t is not None)
    if not times:
        when = DASH
    elif times[0] == times[-1] or datetime_text(times[0]) == datetime_text(times[-1]):
        when = datetime_text(times[-1])
    else:
        when = f"{datetime_text(times[0])} ~ {datetime_text(times[-1])}"
    return (sep.join(names) or DASH, when)


def _signoff_fields(results: Sequence[ResultLine], L: Text) -> list[tuple[str, object]]:
    testers, tested = _people([(r.tested_by, r.tested_at) for r in results], L.list_sep)
    reviewers, reviewed = _people([(r.reviewed_by, r.reviewed_at) for r in results], L.list_sep)
    return [
        (L._("Tested by"), testers),
        (L._("Tested at"), tested),
        (L.pgettext("batch report", "Reviewed by"), reviewers),
        (L._("Reviewed at"), reviewed),
    ]


def _disposition(d: DispositionSummary, L: Text, st: ReportStyles) -> list[Flowable]:
    due = datetime_text(d.due_at)
    if d.overdue:
        due = L.with_note(due, L.pgettext("batch report", "Overdue")) if d.due_at else L.pgettext("batch report", "Overdue")
    fields: list[tuple[str, object]] = [
        (L.pgettext("batch report", "Status"), L.status(d.status)),
        (L._("Seller notified at"), datetime_text(d.notified_at)),
        (L._("Objection deadline"), datetime_text(d.objection_deadline)),
    ]
    inks = {}
    # A released batch has nothing to dispose of: no deadline, no quantity "still to dispose".
    if d.status != "released":
        fields += [
            (L._("Due"), due),
            (L._("To dispose (kg)"), kg_text(d.quantity_kg)),
            (L._("Disposed (kg)"), kg_text(d.disposed_kg)),
            (L._("Remaining (kg)"), kg_text(d.remaining_kg)),
        ]
        inks = {3: POSITIVE_INK} if d.overdue else {}
    out: list[Flowable] = [field_table(fields, WIDTH, st, label_width=90, value_inks=inks)]
    out.append(Paragraph(L._("Objection and lab retest"), st.h2))
    o = d.objection
    if o is None:
        out.append(para(L._("No objection raised"), st.small))
    else:
        lab_outcome = L.lab_outcome(o.lab_outcome) if o.lab_outcome else L.pgettext("lab result", "Pending")
        out.append(field_table([
            (L._("Retest requested at"), datetime_text(o.requested_at)),
            (L._("Laboratory"), o.lab),
            (L._("Lab method"), o.method),
            (L._("Lab report no."), o.report_no),
            (L._("Lab result"), L.with_note(lab_outcome, o.lab_value)),
            (L._("Fee (CNY)"), kg_text(o.fee) if o.fee is not None else None),
        ], WIDTH, st, label_width=90))
    out.append(Paragraph(L.pgettext("batch report", "Disposal actions"), st.h2))
    if not d.actions:
        out.append(para(L._("No disposal recorded yet"), st.small))
    else:
        header = [L.pgettext("batch report", "Action"), L.pgettext("batch report", "kg"),
                  L.pgettext("batch report", "Done at"), L._("Method / place"), L._("Done by"), L._("Supervised by")]
        rows = []
        for a in d.actions:
            how = " / ".join(x for x in (a.method, a.place) if x) or None
            rows.append([a.action, kg_text(a.quantity_kg), datetime_text(a.done_at), how, a.done_by, a.supervisor])
        widths = [70, 50, 86, 164, 70, 70]
        widths[3] = WIDTH - sum(widths) + widths[3]
        out.append(data_table(header, rows, widths, st, align="lrllll"))
    return out


def _statements(report: BatchReport, L: Text, st: ReportStyles) -> list[Flowable]:
    texts = [L.disclaimer, L.scope_rule, L.retest_rule]
    if any(r.outcome == "positive" for r in report.results):
        texts.append(L.objection_rule)
    body = [Paragraph(L._("Notes"), st.h2)]
    body.extend(para(f"{i}. {t}", st.small) for i, t in enumerate(texts, start=1))
    box = Table([[body]], colWidths=[WIDTH])
    box.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), NOTE_FILL),
        ("BOX", (0, 0), (-1, -1), 0.5, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return [box]
