"""The event guarantee summary (活动保障快检汇总): one event, its batches and outcomes, A4 portrait."""

from __future__ import annotations


from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ..data import EventSummary
from ..fonts import FontInfo, registered_font
from ..formats import date_range_text, datetime_text, kg_text, reading_text
from ..text import Text
from .page import Margins, PageFurniture, render_story
from .styles import NOTE_FILL, POSITIVE_FILL, POSITIVE_INK, RETEST_FILL, RETEST_INK, RULE, report_styles
from .tables import data_table, field_table, para

MARGINS = Margins()
WIDTH = 210 * mm - MARGINS.left - MARGINS.right


def render_event_summary(summary: EventSummary, text: Text | None = None, *, font: FontInfo | None = None) -> bytes:
    """Render the event summary as PDF bytes: event facts, one row per test, totals, conclusion, statements."""
    L = text or Text()
    font_name = (font or registered_font()).name
    st = report_styles(font_name)
    story: list[Flowable] = [Paragraph(L._("Event Food Safety Guarantee: Rapid Test Summary"), st.title)]
    if summary.report_no:
        story.append(para((L._("Report no.") + f"{L.colon}{summary.report_no}"), st.subtitle))
    story.append(Spacer(1, 4 * mm))
    facts = [
        (L.pgettext("event summary", "Event"), summary.name),
        (L.pgettext("event summary", "Kind"), L.event_kind(summary.kind)),
        (L.pgettext("event summary", "Dates"), date_range_text(summary.starts_on, summary.ends_on)),
        (L._("Venues"), L.list_sep.join(summary.venues) or None),
        (L._("Host"), summary.host),
        (L._("Organiser"), summary.organiser),
        (L.pgettext("event summary", "People served"), None if summary.people_served is None else str(summary.people_served)),
        (L._("Tables"), None if summary.tables is None else str(summary.tables)),
    ]
    story.append(field_table(facts, WIDTH, st, label_width=80))
    story.append(Paragraph(L.pgettext("event summary", "Tests"), st.h1))

    if not summary.batches:
        story.append(para(L._("No samples tested."), st.body))
    else:
        header = [L._("Sample code"), L.pgettext("event summary", "Food"), L._("Supplier / origin"),
                  L._("Sampled at"), L._("Test item"), L._("Reading"), L.pgettext("event summary", "Result"),
                  L.pgettext("event summary", "Handling")]
        rows, fills, inks, spans = [], {}, {}, []
        for batch in summary.batches:
            first = len(rows)
            source = " / ".join(x for x in (batch.supplier, batch.origin) if x) or None
            if batch.quantity_kg is not None:
                source = L.with_note(source or "", f"{kg_text(batch.quantity_kg)} kg")
            for i, result in enumerate(batch.results or [None]):
                r = len(rows)
                if result is None:
                    rows.append([batch.code, batch.food, source, datetime_text(batch.sampled_at),
                                 L.list_sep.join(batch.untested) or None, None, L._("Not tested"),
                                 batch.handling])
                    fills[r], inks[(6, r)] = RETEST_FILL, RETEST_INK
                    continue
                rows.append([
                    batch.code if i == 0 else "", batch.food if i == 0 else "", source if i == 0 else "",
                    datetime_text(batch.sampled_at) if i == 0 else "", result.item,
                    reading_text(result.value, result.value_text, result.unit), L.outcome(result.outcome),
                    batch.handling if i == 0 else "",
                ])
                if result.outcome == "positive":
                    fills[r], inks[(6, r)] = POSITIVE_FILL, POSITIVE_INK
                elif result.outcome in ("suspect", "invalid"):
                    fills[r], inks[(6, r)] = RETEST_FILL, RETEST_INK
            last = len(rows) - 1
            if last > first:
                for column in (0, 1, 2, 3, 7):
                    spans.append(("SPAN", (column, first + 1), (column, last + 1)))
        # the result column holds its longest word on one line ("Negative" broke in two in English)
        result_width = max(stringWidth(w, font_name, st.cell.fontSize) for w in
                           (L.outcome("negative"), L.outcome("positive"), L.outcome("suspect"), L.outcome("invalid"),
                            L._("Not tested"))) + 8
        widths = [78, 36, 86, 56, 88, 50, max(34, result_width), 62]
        widths[2] += WIDTH - sum(widths)
        story.append(data_table(header, rows, widths, st, align="llllllll", row_fills=fills,
                                cell_inks=inks, extra_style=spans))

    f = summary.figures
    totals = L._("{batches} sampled: {tested} tested ({negative_batches} negative, {positive_batches} "
                 "positive, {retest_batches} to repeat), {untested} not tested; {tests}: {negatives} negative, "
                 "{positives} positive, {suspects} suspect, {invalids} invalid.").format(
                     batches=L.ngettext("{n} batch", "{n} batches", f.batches).format(n=f.batches), tested=f.tested_batches,
                     untested=f.untested_batches,
                                      negative_batches=f.negative_batches, positive_batches=f.positive_batches,
                                      retest_batches=f.retest_batches, tests=L.ngettext("{n} test", "{n} tests", f.tests).format(n=f.tests),
                                      negatives=f.negatives,
                                      positives=f.positives, suspects=f.suspects, invalids=f.invalids)
    conclusion: list[Flowable] = [Paragraph(L._("Conclusion"), st.h1), para(totals, st.body)]
    if f.positive_batches:
        conclusion.append(Paragraph(('<font color="#b00020">' + L.ngettext("{count} positive batch: withdrawn from use and disposed of as required.",
                                                                           "{count} positive batches: withdrawn from use and"
                                                                           " disposed of as required.",
                                                                           f.positive_batches).format(count=f.positive_batches) + '</font>'), st.body))
    if f.retest_batches:
        conclusion.append(Paragraph(('<font color="#8a5a00">' + L.ngettext("{count} batch with suspect or invalid results "
                                                                           "must be repeated: no conclusion on it.",
                                                                           "{count} batches with suspect or invalid results "
                                                                           "must be repeated: no conclusion on them.",
                                                                           f.retest_batches).format(count=f.retest_batches) + '</font>'), st.body))
    if f.untested_batches:
        conclusion.append(Paragraph(('<font color="#8a5a00">' + L.ngettext("{count} batch was not (fully) tested: no "
                                                                           "conclusion on it.",
                                                                           "{count} batches were not (fully) tested: no "
                                                                           "conclusion on them.",
                                                                           f.untested_batches).format(count=f.untested_batches) + '</font>'), st.body))
    if f.all_negative:  # never "all negative" while a batch is untested or unsettled
        conclusion.append(para(L.pgettext("event summary", "Every batch sampled was tested and found negative: no "
                                                           "problem found in this rapid test."), st.body))
    story.append(KeepTogether(conclusion))

    notes = [Paragraph(L._("Notes"), st.h2)] + [para(f"{i}. {t}", st.small) for i, t in enumerate(
        (L.disclaimer, L.scope_rule, L.retest_rule), start=1)]
    box = Table([[notes]], colWidths=[WIDTH])
    box.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), NOTE_FILL), ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                             ("LEFTPADDING", (0, 0), (-1, -1), 8), ("TOPPADDING", (0, 0), (-1, -1), 2),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    story.append(Spacer(1, 8))
    story.append(KeepTogether([box]))

    furniture = PageFurniture(
        font=font_name,
        header_left=summary.issuer.name,
        header_right=summary.issuer.unit or L._("Event Food Safety Guarantee: Rapid Test Summary"),
        footer_left=(L._("Report no.") + f" {summary.report_no}") if summary.report_no else summary.name,
        footer_right=(L._("Generated") + f" {datetime_text(summary.generated_at)}") if summary.generated_at else "",
        page_of=L._("Page {page} of {pages}"),
    )
    return render_story(story, furniture, margins=MARGINS, title=(L._("Event Food Safety Guarantee: Rapid Test Summary") + f" {summary.name}"),
                        author=summary.issuer.name, subject=summary.name)
