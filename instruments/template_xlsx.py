"""``template-xlsx``: the system's own entry template, typed by hand or exported elsewhere.

Columns marked ``*`` in the template are required. 被检单位 is the site: it is kept both as
``tested_party`` (as written) and as ``site``; 档口编号 is the ``stall``. 检测值 is a number or
a word (阴性, 阳性, 未检出 …, kept in ``value_text``); 检测结论 is the tester's verdict, kept in
``instrument_word``.
"""

from __future__ import annotations

from instruments.base import RowProblem, SkippedRow, build_reading
from instruments.cells import code_cell, number_cell, required_text_cell, time_cell, word_cell
from instruments.columns import Column, ColumnSet, HeaderMatch
from instruments.formats import InstrumentFormat, RowReader, positions
from instruments.times import TimeReader
from instruments.values import NO_DATA, NOT_A_NUMBER, classify_reading

NAME = "template-xlsx"

COLUMNS = ColumnSet(
    (
        Column("station", ("检测点名称", "检测点")),
        Column("tested_party", ("被检单位", "被检单位名称")),
        Column("stall", ("档口编号", "档口号", "摊位编号", "摊位号")),
        Column("sample_code", ("样品编号",)),
        Column("food", ("样品名称",)),
        Column("category", ("食品类别", "样品类别")),
        Column("item", ("检测项目",)),
        Column("value", ("检测值", "检测结果")),
        Column("unit", ("单位",)),
        Column("instrument_word", ("检测结论", "结论", "判定结果"), fallback=("检测结果",)),
        Column("tester", ("检测人员", "检测员")),
        Column("tested_at", ("检测时间",)),
        Column("reagent_lot", ("试剂批号",)),
        Column("supplier", ("供货者", "供货商", "供应商")),
        Column("origin", ("产地",)),
        Column("quantity_kg", ("进货数量(kg)", "进货数量", "数量(kg)")),
        Column("note", ("备注",)),
    ),
    required=(
        ("tested_party",), ("food",), ("item",), ("value",),
        ("instrument_word",), ("tester",), ("tested_at",),
    ),
)

_FIELDS = [column.field for column in COLUMNS.columns]


class TemplateXlsx(InstrumentFormat):
    """The system's entry template; see the module docstring for the field mapping."""

    name = NAME
    container = "xlsx"
    columns = COLUMNS

    def row_reader(self, header: HeaderMatch, times: TimeReader) -> RowReader:
        """Return the row reader for this file's header (column positions precomputed)."""
        at = positions(header, _FIELDS)
        label = header.column_name

        def read(row: int, cells: list[str]):
            raw = cells[at["value"]]
            kind, value, value_text, qualitative = classify_reading(raw)
            if kind is NO_DATA:
                return SkippedRow(row, "no_data")
            problems: list[RowProblem] = []
            if kind is NOT_A_NUMBER:
                problems.append(
                    RowProblem(row, label("value"), "not_a_number", {"value": raw.strip()}))

            def required(field: str) -> str | None:
                """The trimmed text of a column marked * (a problem when blank)."""
                return required_text_cell(cells[at[field]], row, label(field), problems)

            party = required("tested_party")
            food = required("food")
            item = required("item")
            tester = required("tester")
            word, outcome = word_cell(
                cells[at["instrument_word"]], row, label("instrument_word"), problems)
            if word is None:
                required("instrument_word")  # reports the empty 检测结论
            tested_at = time_cell(cells[at["tested_at"]], times, row, label("tested_at"), problems)
            quantity = number_cell(cells[at["quantity_kg"]], row, label("quantity_kg"), problems)

            if problems:
                return problems
            return build_reading(
                row=row,
                format=NAME,
                station=cells[at["station"]].strip() or None,
                tested_party=party,
                site=party,
                stall=cells[at["stall"]].strip() or None,
                sample_code=code_cell(cells[at["sample_code"]]),
                food=food,
                category=cells[at["category"]].strip() or None,
                item=item,
                value=value,
                value_text=value_text,
                qualitative=qualitative,
                unit=cells[at["unit"]].strip() or None,
                instrument_word=word,
                instrument_outcome=outcome,
                tester=tester,
                tested_at=tested_at,
                reagent_lot=cells[at["reagent_lot"]].strip() or None,
                supplier=cells[at["supplier"]].strip() or None,
                origin=cells[at["origin"]].strip() or None,
                quantity_kg=quantity,
                note=cells[at["note"]].strip() or None,
            )

        return read


FORMAT = TemplateXlsx()
