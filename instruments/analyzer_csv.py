"""``analyzer-csv``: the multi-function food-safety analyser (多功能食品安全检测仪).

A record dump with English column names and several items in one file. ``RESULT_DL`` is the
reading: the inhibition % for 农药残留, a concentration in ``RESULT_UNIT`` for colorimetric
items, or T/C for colloidal-gold items — recognised by the unit ``T/C`` or, when the unit is
not a concentration, by a gold item name (克伦特罗, 孔雀石绿 …); then ``ABS_1`` is T →
``t_line`` and ``ABS_2`` is C → ``c_line``. For other items the absorbances are not kept (their
meaning is not documented). ``RESULT_DX`` is the verdict code (1 pass, 0 fail, 2 suspect) and
``RESULT_DX_DESC`` the same in words; ``SOURCE`` is the tested party.
"""

from __future__ import annotations

from instruments.base import RowProblem, SkippedRow, build_reading
from instruments.cells import code_cell, number_cell, time_cell
from instruments.columns import Column, ColumnSet, HeaderMatch
from instruments.formats import InstrumentFormat, RowReader, positions
from instruments.outcomes import NEGATIVE, POSITIVE, SUSPECT, outcome_of, word_key
from instruments.times import TimeReader
from instruments.values import NO_DATA, NOT_A_NUMBER, classify_reading, parse_decimal

NAME = "analyzer-csv"

#: RESULT_DX code → (outcome, the word used when RESULT_DX_DESC is empty).
RESULT_CODES: dict[int, tuple[str, str]] = {
    1: (NEGATIVE, "合格"),
    0: (POSITIVE, "不合格"),
    2: (SUSPECT, "可疑"),
}

#: Items the analyser reads with colloidal-gold cards (domain.md §4), matched inside ITEM.
GOLD_ITEMS: tuple[str, ...] = (
    "克百威", "氧乐果", "毒死蜱", "腐霉利", "克伦特罗", "莱克多巴胺", "沙丁胺醇", "瘦肉精",
    "孔雀石绿", "氯霉素", "硝基呋喃", "恩诺沙星", "镉", "黄曲霉毒素", "罗丹明",
)
_CONCENTRATION_MARKS = ("/kg", "/g", "/l", "/ml", "ppm", "ppb")

COLUMNS = ColumnSet(
    (
        Column("serial", ("NO",)),
        Column("channel", ("CHANNEL",)),
        Column("item", ("ITEM",)),
        Column("food", ("SAMPLE", "SAMPLE_NAME")),
        Column("sample_code", ("SAMPLE_CODE",)),
        Column("category", ("SAMPLE_CLASS",)),
        Column("tested_party", ("SOURCE",)),
        Column("abs_1", ("ABS_1",)),
        Column("abs_2", ("ABS_2",)),
        Column("value", ("RESULT_DL",)),
        Column("result_code", ("RESULT_DX",)),
        Column("result_word", ("RESULT_DX_DESC",)),
        Column("unit", ("RESULT_UNIT", "UNIT")),
        Column("tested_at", ("DETECT_TIME", "TEST_TIME")),
        Column("tester", ("OPERATOR",)),
        Column("reagent", ("REAGENT",)),
        Column("reagent_lot", ("REAGENT_LOT",)),
        Column("instrument", ("INSTRUMENT",)),
    ),
    required=(("item",), ("value",), ("tested_at",)),
)

_FIELDS = [column.field for column in COLUMNS.columns]


def is_gold_reading(item: str, unit: str | None) -> bool:
    """True when RESULT_DL is a T/C ratio: unit ``T/C``, or a gold item without a
    concentration unit."""
    unit_key = word_key(unit) if unit else ""
    if unit_key in ("t/c", "tc"):
        return True
    if any(mark in unit_key for mark in _CONCENTRATION_MARKS):
        return False
    return any(name in item for name in GOLD_ITEMS)


class AnalyzerCsv(InstrumentFormat):
    """Multi-function analyser record dump; see the module docstring for the field mapping."""

    name = NAME
    container = "csv"
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
            item = cells[at["item"]].strip()
            if not item:
                problems.append(RowProblem(row, label("item"), "missing_value", {}))
            unit = cells[at["unit"]].strip() or None
            tested_at = time_cell(cells[at["tested_at"]], times, row, label("tested_at"), problems)
            word, outcome = _verdict(cells[at["result_code"]], cells[at["result_word"]],
                                     row, label, problems)

            t_line = c_line = tc_ratio = None
            if item and is_gold_reading(item, unit):
                tc_ratio = value
                t_line = number_cell(cells[at["abs_1"]], row, label("abs_1"), problems)
                c_line = number_cell(cells[at["abs_2"]], row, label("abs_2"), problems)

            if problems:
                return problems
            return build_reading(
                row=row,
                format=NAME,
                channel=cells[at["channel"]].strip() or None,
                item=item,
                food=cells[at["food"]].strip() or None,
                sample_code=code_cell(cells[at["sample_code"]]),
                category=cells[at["category"]].strip() or None,
                tested_party=cells[at["tested_party"]].strip() or None,
                value=value,
                value_text=value_text,
                qualitative=qualitative,
                unit=unit,
                t_line=t_line,
                c_line=c_line,
                tc_ratio=tc_ratio,
                instrument_word=word,
                instrument_outcome=outcome,
                tested_at=tested_at,
                tester=cells[at["tester"]].strip() or None,
                reagent=cells[at["reagent"]].strip() or None,
                reagent_lot=cells[at["reagent_lot"]].strip() or None,
                instrument=cells[at["instrument"]].strip() or None,
            )

        return read


def _verdict(raw_code: str, raw_word: str, row: int, label, problems: list[RowProblem]):
    """The instrument's verdict from RESULT_DX (trusted first) and RESULT_DX_DESC."""
    code_text = raw_code.strip()
    word = raw_word.strip() or None
    word_outcome = outcome_of(word) if word else None
    if code_text:
        number = parse_decimal(code_text)
        known = (
            RESULT_CODES.get(int(number))
            if number is not None and number == number.to_integral_value()
            else None
        )
        if known is None:
            problems.append(
                RowProblem(row, label("result_code"), "unknown_word", {"value": code_text}))
            return word, None
        outcome, code_word = known
        if word_outcome is not None and word_outcome != outcome:
            problems.append(RowProblem(
                row, label("result_word"), "conflicting_words",
                {"value": code_text, "other": word}))
        return word or code_word, outcome
    if word is not None and word_outcome is None:
        problems.append(RowProblem(row, label("result_word"), "unknown_word", {"value": word}))
    return word, word_outcome


FORMAT = AnalyzerCsv()
