"""``pesticide-csv``: the multi-channel enzyme-inhibition tester (农药残留速测仪).

One row per channel per run. The reading is the inhibition % (抑制率, or 检测结果) → ``value``;
when a file has both, 抑制率 is the reading and 检测结果 the instrument's word (unless 结论 is
there too). 对照值/ΔA0 → ``control_delta`` and 样品值/ΔAt → ``sample_delta`` when the tester
prints them. 被检单位 is free text kept in ``tested_party`` (site and stall are left to the
importer). Files without an item column come from testers that measure only one thing: their
item is ``农药残留``; a missing unit is ``%``. Separate 检测日期 and clock-only 检测时间 cells
are joined.
"""

from __future__ import annotations

from decimal import Decimal

from instruments.base import ReadingDraft, RowProblem, SkippedRow
from instruments.cells import code_cell, number_cell, time_problem, word_cell
from instruments.columns import Column, ColumnSet, HeaderMatch
from instruments.formats import InstrumentFormat, RowReader, positions
from instruments.outcomes import VERDICT_WORDS, outcome_of
from instruments.times import TimeReader, join_date_and_time
from instruments.values import NO_DATA, NOT_A_NUMBER, classify_reading

NAME = "pesticide-csv"
DEFAULT_ITEM = "农药残留"
DEFAULT_UNIT = "%"

COLUMNS = ColumnSet(
    (
        Column("channel", ("通道号", "通道", "检测通道", "通道编号")),
        Column("sample_code", ("样品编号", "样品条码", "样品编码", "样品号")),
        Column("food", ("样品名称", "样品名")),
        Column("tested_party", ("被检单位", "受检单位", "被检测单位")),
        Column("item", ("检测项目",)),
        Column("control_delta", ("对照值", "ΔA0", "对照ΔA0")),
        Column("sample_delta", ("样品值", "ΔAt", "样品ΔAt")),
        Column("value", ("抑制率", "抑制率(%)", "检测结果")),
        Column("unit", ("单位",)),
        Column("method", ("检测依据", "检测标准")),
        Column("cutoff", ("标准值", "限值", "判定标准值")),
        Column("instrument_word", ("结论", "检测结论", "判定结果", "结果判定"), fallback=("检测结果",)),
        Column("tester", ("检测员", "检测人员", "检测人", "操作员")),
        Column("tested_at", ("检测时间",)),
        Column("test_date", ("检测日期", "日期")),
        Column("reagent_lot", ("试剂批号",)),
        Column("instrument", ("仪器编号", "仪器型号")),
        Column("station", ("检测点名称", "检测点")),
        Column("category", ("食品类别", "样品类别")),
    ),
    required=(("value",), ("tested_at", "test_date")),
)

_FIELDS = [column.field for column in COLUMNS.columns]


class PesticideCsv(InstrumentFormat):
    """Enzyme-inhibition tester export; see the module docstring for the field mapping."""

    name = NAME
    container = "csv"
    columns = COLUMNS

    def row_reader(self, header: HeaderMatch, times: TimeReader) -> RowReader:
        """Return the row reader for this file's header (column positions precomputed)."""
        at = positions(header, _FIELDS)
        label = header.column_name
        i_channel, i_code, i_food, i_party = (
            at["channel"], at["sample_code"], at["food"], at["tested_party"])
        i_item, i_control, i_sample, i_value = (
            at["item"], at["control_delta"], at["sample_delta"], at["value"])
        i_unit, i_method, i_cutoff, i_word = (
            at["unit"], at["method"], at["cutoff"], at["instrument_word"])
        i_tester, i_time, i_lot, i_instrument = (
            at["tester"], at["tested_at"], at["reagent_lot"], at["instrument"])
        i_station, i_category = at["station"], at["category"]
        has_item = "item" in header.index
        i_date = at["test_date"] if "test_date" in header.index else None
        value_column = label("value")
        time_column = label("tested_at") or label("test_date")
        cutoff_column, word_column = label("cutoff"), label("instrument_word")
        read_time = times.read
        verdict_of = VERDICT_WORDS.get
        cutoffs: dict[str, Decimal] = {}

        def read(row: int, cells: list[str]):
            kind, value, value_text, qualitative = classify_reading(cells[i_value])
            if kind is NO_DATA:
                return SkippedRow(row, "no_data")
            problems: list[RowProblem] = []
            if kind is NOT_A_NUMBER:
                problems.append(RowProblem(
                    row, value_column, "not_a_number", {"value": cells[i_value].strip()}))

            raw_time = cells[i_time]
            if i_date is not None:
                raw_time = join_date_and_time(cells[i_date], raw_time)
            tested_at = read_time(raw_time)
            if type(tested_at) is str:
                problems.append(time_problem(row, time_column, tested_at, raw_time))

            item = cells[i_item].strip()
            if not item:
                if has_item:
                    problems.append(RowProblem(row, label("item"), "missing_value", {}))
                item = DEFAULT_ITEM

            raw_cutoff = cells[i_cutoff]
            cutoff = cutoffs.get(raw_cutoff)  # a file holds few distinct cut-offs
            if cutoff is None and raw_cutoff:
                cutoff = number_cell(raw_cutoff, row, cutoff_column, problems)
                if cutoff is not None and len(cutoffs) < 64:
                    cutoffs[raw_cutoff] = cutoff
            word = cells[i_word].strip() or None
            outcome = None
            if word is not None:
                outcome = verdict_of(word) or outcome_of(word)
                if outcome is None:
                    word, outcome = word_cell(word, row, word_column, problems)
            control = cells[i_control]
            if control:
                control = number_cell(control, row, label("control_delta"), problems)
            else:
                control = None
            sample = cells[i_sample]
            if sample:
                sample = number_cell(sample, row, label("sample_delta"), problems)
            else:
                sample = None

            if problems:
                return problems
            reading = ReadingDraft()
            reading.row = row
            reading.format = NAME
            reading.channel = cells[i_channel].strip() or None
            reading.sample_code = code_cell(cells[i_code])
            reading.food = cells[i_food].strip() or None
            reading.tested_party = cells[i_party].strip() or None
            reading.item = item
            reading.control_delta = control
            reading.sample_delta = sample
            reading.value = value
            reading.value_text = value_text
            reading.qualitative = qualitative
            reading.unit = cells[i_unit].strip() or DEFAULT_UNIT
            reading.method = cells[i_method].strip() or None
            reading.cutoff = cutoff
            reading.instrument_word = word
            reading.instrument_outcome = outcome
            reading.tester = cells[i_tester].strip() or None
            reading.tested_at = tested_at
            reading.reagent_lot = cells[i_lot].strip() or None
            reading.instrument = cells[i_instrument].strip() or None
            reading.station = cells[i_station].strip() or None
            reading.category = cells[i_category].strip() or None
            return reading.seal()

        return read


FORMAT = PesticideCsv()
