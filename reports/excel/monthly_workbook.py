"""The monthly figures as a workbook: one sheet per table of the monthly report."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..data import BreakdownRow, ListedStall, MonthlyReport
from ..formats import date_range_text, datetime_text, month_bounds
from ..text import Text
from .cells import DATE_FORMAT, DATETIME_FORMAT, KG_FORMAT, PERCENT_FORMAT, excel_datetime, safe_text

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E9EEF4")
TOTAL_FILL = PatternFill("solid", fgColor="F4F6F8")
RATING_FILLS = {"red": "E03131", "orange": "F76707", "yellow": "FCC419", "blue": "1C7ED6", "green": "2F9E44"}


def write_monthly(report: MonthlyReport, text: Text | None = None, *, status_words: Mapping[str, str] | None = None) -> bytes:
    """The monthly report's figures as XLSX bytes (``status_words``: the words for status codes).

    Sheets: overview (this month, previous month, change), by site, coverage (stalls tested ÷
    stalls registered and foods tested, per site, as in the PDF), by category, by item,
    by station, positives, five-colour ratings, red and black lists, events, daily counts.
    Rates are numbers formatted as percentages (empty when they cannot be computed),
    kilograms are numbers, times are Excel dates; every text cell is formula-safe.
    """
    L = (text or Text()).with_status_words(status_words)
    wb = Workbook()
    overview = wb.active
    overview.title = L._("Overview")
    _overview(overview, report, L)
    if report.by_unit:
        _units(wb.create_sheet(L._("Units compared")), report, L)
    for sheet, rows, name_col in (
        (L._("By site"), report.by_site, L.pgettext("report column", "Site")),
        (L._("By category"), report.by_category, L.pgettext("report column", "Category")),
        (L._("By item"), report.by_item, L._("Test item")),
        (L._("By station"), report.by_station, L._("Station")),
    ):
        _breakdown(wb.create_sheet(sheet), rows, name_col, L)
        if rows is report.by_site:
            _coverage(wb.create_sheet(L._("Coverage")), report, L)
    _positives(wb.create_sheet(L.pgettext("export", "Positives")), report, L)
    _ratings(wb.create_sheet(L._("Ratings")), report, L)
    _lists(wb.create_sheet(L._("Red and black lists")), report, L)
    _events(wb.create_sheet(L.pgettext("export", "Events")), report, L)
    _daily(wb.create_sheet(L._("Daily")), report, L)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_value(value: object) -> object:
    if isinstance(value, str):
        return safe_text(value)
    return value


def _table(ws: Worksheet, header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[int],
           formats: dict[int, str] | None = None, start_row: int = 1) -> int:
    """Write a header and rows from ``start_row``; returns the next free row."""
    for c, title in enumerate(header, start=1):
        cell = ws.cell(row=start_row, column=c, value=safe_text(title))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(rows, start=start_row + 1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=_cell_value(value))
            fmt = (formats or {}).get(c)
            if fmt and value is not None:
                cell.number_format = fmt
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    if start_row == 1:
        ws.freeze_panes = "A2"
    return start_row + 1 + len(rows)


def _overview(ws: Worksheet, report: MonthlyReport, L: Text) -> None:
    first, last = month_bounds(report.month)
    scope = L.scope(report.scope)
    ws.append([safe_text(L._("Monthly Rapid Test Report")), safe_text(report.scope_name)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([L._("Period"), date_range_text(first, last)])
    ws.append([L._("Scope"), safe_text(L.with_note(report.scope_name, scope))])
    ws.append([L._("Issued by"), safe_text(report.issuer.name)])
    if report.report_no:
        ws.append([L._("Report no."), safe_text(report.report_no)])
    issue = report.issue
    if issue is not None and issue.current:
        ws.append([L.pgettext("monthly report", "Version"), issue.version])
        ws.append([L._("Issued"), excel_datetime(issue.first_issued_at)])
        ws.cell(row=ws.max_row, column=2).number_format = DATETIME_FORMAT
        ws.append([L._("Signed off by"), safe_text(issue.issued_by)])
    else:
        ws.append([L.pgettext("monthly report", "Version"), L._("Draft (not issued)")])
        ws.append([safe_text(L._("The figures have changed since version {version} was issued: this print is a draft;"
                                 " a new version must be issued.").format(version=issue.version) if issue is not None
                             else L._("This report has not been issued: it is a draft and must not be published."))])
        ws.cell(row=ws.max_row, column=1).font = Font(color="B00020", bold=True)
    if report.generated_at is not None:
        ws.append([L._("Generated"), excel_datetime(report.generated_at)])
        ws.cell(row=ws.max_row, column=2).number_format = DATETIME_FORMAT
    if report.audit_head is not None:
        seq, digest = report.audit_head
        ws.append([L._("Audit trail head"), f"#{seq} {digest}"])
    if report.counts_as_of is not None and report.generated_at is not None:
        ws.append([safe_text(L._("Test counts as of {counts}; overdue dispositions, pending lab results and the "
                                 "status of each positive as of printing, {printed}.").format(counts=datetime_text(report.counts_as_of),
                                                      printed=datetime_text(report.generated_at)))])
    if L.replica_note(report):
        ws.append([safe_text(L.replica_note(report))])
    ws.append([safe_text(L.not_supervisory)])
    ws.cell(row=ws.max_row, column=1).font = Font(color="B00020", bold=True)
    if report.current.batches_untested:
        ws.append([safe_text(L.ngettext("{count} more batch was registered this month and not tested by its end; it is "
                                        "not counted as tested.",
                                        "{count} more batches were registered this month and not tested by its end; "
                                        "they are not counted as tested.",
                                        report.current.batches_untested).format(count=report.current.batches_untested))])
    if report.unreviewed:
        ws.append([safe_text(L.ngettext("{count} more result of the month is not yet reviewed and is left out of every "
                                        "figure.",
                                        "{count} more results of the month are not yet reviewed and are left out of every "
                                        "figure.", report.unreviewed).format(count=report.unreviewed))])
    start = ws.max_row + 2
    cur, prev = report.current, report.previous
    rows: list[list[object]] = []
    formats: dict[tuple[int, int], str] = {}

    def count_row(attr: str, fmt: str | None = None) -> None:
        value = getattr(cur, attr)
        before = getattr(prev, attr) if prev else None
        rows.append([L.figure(attr), value, before, None if before is None else value - before, None])
        if fmt:
            for c in (2, 3, 4):
                formats[(len(rows), c)] = fmt

    def rate_row(attr: str) -> None:
        value = getattr(cur, attr)
        before = getattr(prev, attr) if prev else None
        change = None if value is None or before is None else (value - before)
        rows.append([L.figure(attr), value, before, change, L._("pp") if change is not None else None])
        for c in (2, 3, 4):
            formats[(len(rows), c)] = PERCENT_FORMAT

    for attr in ("batches", "tests", "negatives", "positives", "suspects", "invalids"):
        count_row(attr)
    for attr in ("pass_rate", "positive_rate", "disposal_rate"):
        rate_row(attr)
    count_row("dispositions_closed")
    count_row("kg_disposed", KG_FORMAT)
    for attr in ("overdue_dispositions", "closed_late", "objections", "objections_released", "objections_confirmed",
                 "objections_pending"):
        count_row(attr)
    header = [L._("Figure"), L._("This month"), L._("Previous month"), L._("Change"),
              L._("Change unit")]
    _table(ws, header, rows, [26, 16, 16, 14, 12], start_row=start)
    for (r, c), fmt in formats.items():
        ws.cell(row=start + r, column=c).number_format = fmt
    ws.cell(row=start + len(rows) + 2, column=1, value=safe_text(L._("Rates exclude suspect and invalid results; "
                                                                     "changes of rates are in percentage points (pp).")))


def _units(ws: Worksheet, report: MonthlyReport, L: Text) -> None:
    """The node's units side by side with the overview's figures; the last row is the total."""
    header = [L._("Unit"), L._("Kind"), L._("Batches"), L.pgettext("report column", "Tests"), L._("Pos."),
              L._("Pos. rate"), L._("Disposal rate"), L._("Overdue"), L._("kg disposed")]
    body = [[u.name, L.unit_kind(u.kind), u.figures.batches, u.figures.tests, u.figures.positives,
             u.figures.positive_rate, u.figures.disposal_rate, u.figures.overdue_dispositions, u.figures.kg_disposed]
            for u in report.by_unit]
    cur = report.current
    body.append([L._("Total"), None, cur.batches, cur.tests, cur.positives, cur.positive_rate, cur.disposal_rate,
                 cur.overdue_dispositions, cur.kg_disposed])
    end = _table(ws, header, body, [24, 12, 10, 10, 10, 12, 12, 10, 12], {6: PERCENT_FORMAT, 7: PERCENT_FORMAT,
                                                                          9: KG_FORMAT})
    for c in range(1, len(header) + 1):
        ws.cell(row=end - 1, column=c).fill = TOTAL_FILL


def _breakdown(ws: Worksheet, rows: Sequence[BreakdownRow], name_header: str, L: Text) -> None:
    header = [name_header, L._("Batches"), L.pgettext("report column", "Tests"), L._("Neg."), L._("Pos."),
              L._("Susp."), L._("Inv."), L._("Pos. rate")]
    body = [[r.name, r.batches, r.tests, r.negatives, r.positives, r.suspects, r.invalids, r.positive_rate]
            for r in rows]
    _table(ws, header, body, [24, 10, 10, 10, 10, 10, 10, 12], {8: PERCENT_FORMAT})


def _coverage(ws: Worksheet, report: MonthlyReport, L: Text) -> None:
    """The PDF's coverage table: stalls never tested are counted (and shown in red)."""
    header = [L.pgettext("report column", "Site"), L.pgettext("report column", "Stalls"),
              L.pgettext("report column", "Tested"), L.pgettext("report column", "Never tested"), L._("Coverage"),
              L._("Foods tested")]
    body = [[c.site, c.stalls, c.stalls_tested, c.stalls_untested, c.rate, c.foods] for c in report.coverage]
    _table(ws, header, body, [24, 10, 10, 10, 12, 12], {5: PERCENT_FORMAT})
    for r, c in enumerate(report.coverage, start=2):
        if c.stalls_untested:
            ws.cell(row=r, column=4).font = Font(bold=True, color="C92A2A")


def _positives(ws: Worksheet, report: MonthlyReport, L: Text) -> None:
    header = [L.pgettext("report column", "Date"), L.pgettext("report column", "Site"), L.pgettext("report column", "Stall"), L.pgettext("report column", "Food"), L._("Supplier"), L._("Test item"),
              L._("Value"), L._("Qualitative reading"), L._("Unit"), L._("Disposition"),
              L._("kg disposed"), L._("Sample code")]
    body = [[excel_datetime(p.tested_at), p.site, p.stall, p.food, p.supplier, p.item, p.value, p.value_text,
             p.unit, L.status(p.disposition_status), p.kg_disposed, p.batch_code]
            for p in sorted(report.positives, key=lambda p: p.tested_at)]
    _table(ws, header, body, [17, 20, 8, 10, 22, 24, 10, 10, 8, 18, 12, 18], {1: DATETIME_FORMAT, 11: KG_FORMAT})


def _ratings(ws: Worksheet, report: MonthlyReport, L: Text) -> None:
    header = [L.pgettext("report column", "Site"), L._("Rating"), L._("Reason")]
    body = [[r.site, L.colour(r.colour or "none"), r.reason] for r in report.ratings]
    _table(ws, header, body, [24, 10, 60])
    for r, rating in enumerate(report.ratings, start=2):
        colour = RATING_FILLS.get(rating.colour or "")
        if colour:
            ws.cell(row=r, column=2).fill = PatternFill("solid", fgColor=colour)
    start = len(body) + 3
    rules = [[L.colour(rule.colour), rule.condition] for rule in report.rating_rules]
    _table(ws, [L._("Colour"), L._("Condition")], rules, [24, 10, 60], start_row=start)
    for offset, text in enumerate(report.list_rules):
        ws.cell(row=start + len(rules) + 2 + offset, column=1, value=safe_text(text))


def _stall_rows(stalls: Sequence[ListedStall], list_name: str) -> list[list[object]]:
    return [[list_name, s.site, s.stall, s.operator, s.batches_90d, s.positives_90d, s.note] for s in stalls]


def _lists(ws: Worksheet, report: MonthlyReport, L: Text) -> None:
    header = [L._("List"), L.pgettext("report column", "Site"), L.pgettext("report column", "Stall"), L._("Operator"), L._("Batches (90 d)"),
              L._("Positives (90 d)"), L._("Note")]
    body = _stall_rows(report.black_list, L._("Black list")) + _stall_rows(report.red_list, L._("Red list (honour roll)"))
    _table(ws, header, body, [18, 24, 10, 12, 12, 12, 30])


def _events(ws: Worksheet, report: MonthlyReport, L: Text) -> None:
    header = [L.pgettext("report column", "Event"), L.pgettext("report column", "Kind"), L._("Starts on"), L._("Ends on"), L._("Venue"),
              L._("Batches"), L._("Pos."), L.pgettext("report column", "People served")]
    body = [[e.name, L.event_kind(e.kind), e.starts_on, e.ends_on, e.venue, e.batches, e.positives,
             e.people_served] for e in report.events]
    _table(ws, header, body, [30, 14, 12, 12, 28, 10, 10, 12], {3: DATE_FORMAT, 4: DATE_FORMAT})


def _daily(ws: Worksheet, report: MonthlyReport, L: Text) -> None:
    header = [L.pgettext("report column", "Date"), L.pgettext("chart", "Tests"), L.pgettext("chart", "Positives")]
    body = [[d.day, d.tests, d.positives] for d in sorted(report.daily, key=lambda d: d.day)]
    _table(ws, header, body, [12, 12, 12], {1: DATE_FORMAT})
