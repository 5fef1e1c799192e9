"""The results export for a period: one row per result, streamed (constant memory)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..data import ResultExportRow
from ..formats import datetime_text
from ..text import Text
from .cells import DATETIME_FORMAT, KG_FORMAT, excel_datetime, safe_text

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E9EEF4")

# (field, header key (see export_headers), kind, column width); kinds decide how a value is written.
COLUMNS: tuple[tuple[str, str, str, int], ...] = (
    ("batch_code", "batch_code", "text", 18),
    ("sampled_at", "sampled_at", "datetime", 17),
    ("sampled_by", "sampled_by", "text", 10),
    ("site", "site", "text", 18),
    ("site_kind", "site_kind", "site_kind", 10),
    ("district", "district", "text", 10),
    ("stall", "stall", "text", 9),
    ("operator", "operator", "text", 10),
    ("event", "event", "text", 16),
    ("food", "food", "text", 10),
    ("category_l1", "category_l1", "text", 14),
    ("category_l2", "category_l2", "text", 12),
    ("supplier", "supplier", "text", 22),
    ("origin", "origin", "text", 12),
    ("quantity_kg", "quantity_kg", "kg", 12),
    ("item_code", "item_code", "text", 10),
    ("item_name", "item_name", "text", 24),
    ("method", "method", "text", 20),
    ("principle", "principle", "text", 16),
    ("reagent_lot", "reagent_lot", "text", 12),
    ("reagent_maker", "reagent_maker", "text", 14),
    ("instrument", "instrument", "text", 18),
    ("station", "station", "text", 18),
    ("channel", "channel", "text", 6),
    ("value", "value", "number", 10),
    ("value_text", "value_text", "text", 10),
    ("unit", "unit", "text", 8),
    ("cutoff", "cutoff", "text", 10),
    ("outcome", "outcome", "outcome", 8),
    ("instrument_outcome", "instrument_outcome", "outcome", 10),
    ("disagrees", "disagrees", "bool", 8),
    ("tested_at", "tested_at", "datetime", 17),
    ("tester", "tester", "text", 10),
    ("reviewed_at", "reviewed_at", "datetime", 17),
    ("reviewer", "reviewer", "text", 10),
    ("version", "version", "int", 8),
    ("correction_reason", "correction_reason", "text", 20),
    ("disposition_status", "disposition_status", "status", 16),
)


def export_headers(text: Text | None = None) -> list[str]:
    """The header row of the results export, in column order (in the language of ``text``)."""
    L = text or Text()
    headers = {
        "batch_code": L._("Sample code"),
        "sampled_at": L._("Sampled at"),
        "sampled_by": L._("Sampled by"),
        "site": L.pgettext("export", "Site"),
        "site_kind": L._("Site kind"),
        "district": L.pgettext("export", "District"),
        "stall": L.pgettext("export", "Stall"),
        "operator": L._("Operator"),
        "event": L.pgettext("export", "Event"),
        "food": L.pgettext("export", "Food"),
        "category_l1": L.pgettext("export", "Category"),
        "category_l2": L._("Sub-category"),
        "supplier": L._("Supplier"),
        "origin": L._("Origin"),
        "quantity_kg": L.pgettext("export", "Quantity (kg)"),
        "item_code": L._("Item code"),
        "item_name": L._("Test item"),
        "method": L._("Method"),
        "principle": L._("Principle"),
        "reagent_lot": L._("Reagent lot"),
        "reagent_maker": L._("Reagent maker"),
        "instrument": L.pgettext("export", "Instrument"),
        "station": L._("Station"),
        "channel": L._("Channel"),
        "value": L._("Value"),
        "value_text": L._("Qualitative reading"),
        "unit": L._("Unit"),
        "cutoff": L.pgettext("export", "Cut-off"),
        "outcome": L._("Outcome"),
        "instrument_outcome": L._("Instrument outcome"),
        "disagrees": L._("Disagrees"),
        "tested_at": L._("Tested at"),
        "tester": L._("Tester"),
        "reviewed_at": L._("Reviewed at"),
        "reviewer": L.pgettext("export", "Reviewer"),
        "version": L.pgettext("export", "Version"),
        "correction_reason": L._("Correction reason"),
        "disposition_status": L._("Disposition"),
    }
    return [headers[key] for _, key, _, _ in COLUMNS]


def _converters(ws, L: Text) -> list[Callable[[object], object]]:
    def text(value):
        return None if value is None or value == "" else safe_text(str(value))

    def when(value):
        if value is None:
            return None
        cell = WriteOnlyCell(ws, excel_datetime(value))
        cell.number_format = DATETIME_FORMAT
        return cell

    def kg(value):
        if value is None:
            return None
        cell = WriteOnlyCell(ws, Decimal(value))
        cell.number_format = KG_FORMAT
        return cell

    def number(value):
        return None if value is None else Decimal(value)

    def integer(value):
        return None if value is None else int(value)

    def outcome(value):
        return None if value is None else safe_text(L.outcome(value))

    def status(value):
        return None if value is None else safe_text(L.status(value))

    def site_kind(value):
        return None if value is None else safe_text(L.site_kind(value))

    def yes_no(value):
        return L._("Yes") if value else L._("No")

    kinds = {"text": text, "datetime": when, "kg": kg, "number": number, "int": integer, "outcome": outcome,
             "status": status, "site_kind": site_kind, "bool": yes_no}
    return [kinds[kind] for _, _, kind, _ in COLUMNS]


def write_results(rows: Iterable[ResultExportRow], fp: str | IO[bytes], text: Text | None = None, *,
                  exported_at: datetime | None = None, period: str | None = None,
                  status_words: Mapping[str, str] | None = None) -> int:
    """Write the results export to ``fp`` (a path or a binary file) and return the number of rows.
    ``status_words``: the words for status codes (the application's wording table, in the language of ``text``).

    Rows are streamed into a write-only workbook, so memory stays flat however many there
    are. Text cells are formula-safe, Decimals are numbers with number formats, times are
    real Excel dates (local wall time). A second sheet states that these are rapid
    screening results and not supervisory sampling data.
    """
    L = (text or Text()).with_status_words(status_words)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(L._("Rapid test results"))
    for index, (_, _, _, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}1"
    header = []
    for title in export_headers(L):
        cell = WriteOnlyCell(ws, title)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    ws.append(header)
    convert = _converters(ws, L)
    fields = [name for name, _, _, _ in COLUMNS]
    count = 0
    for row in rows:
        ws.append([fn(getattr(row, name)) for fn, name in zip(convert, fields)])
        count += 1
    _notes_sheet(wb, L, count, exported_at, period)
    wb.save(fp)
    return count


def _notes_sheet(wb: Workbook, L: Text, count: int, exported_at: datetime | None, period: str | None) -> None:
    notes = wb.create_sheet(L._("Notes"))
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 100
    title = WriteOnlyCell(notes, L._("Rapid food test results: export notes"))
    title.font = Font(bold=True, size=13)
    notes.append([title])
    warning = WriteOnlyCell(notes, L.not_supervisory)
    warning.font = Font(bold=True, color="B00020")
    notes.append([warning])
    notes.append([L.disclaimer])
    notes.append([])
    if period:
        notes.append([L._("Period"), safe_text(period)])
    if exported_at is not None:
        notes.append([L._("Exported at"), datetime_text(exported_at)])
    notes.append([L.pgettext("export", "Results"), count])
    notes.append([])
    notes.append([L._("'Outcome' is our verdict recomputed from the raw signals and the rule; 'Instrument outcome' is"
                      " the instrument's own word; 'Disagrees' is Yes when they differ.")])
    notes.append([L.retest_rule])
    notes.append([L._("Cells starting with an apostrophe (') were prefixed to neutralise spreadsheet formulas; the "
                      "original text has no apostrophe.")])
