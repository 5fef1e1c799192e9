"""``gold-xlsx``: the colloidal-gold card reader (胶体金读卡仪).

One row per card. All three signals are kept when present: C值 → ``c_line``, T值 → ``t_line``,
T/C → ``tc_ratio``. 检测方法 gives the reading mode: 定性消线法 → ``line`` (the reading is T),
定性比色法 → ``ratio`` (the reading is T/C); without a mode the reading is T/C when the file
has it, else T, and a mode whose column the file lacks reads the other one. ``value`` is
T/C when present, else the reading. The reader's words 检测结果 (阴性/阳性/可疑/无效) and
判定结果 (合格/不合格/…) go to ``instrument_word``: 检测结果 first; when both are given they
must agree. Separate 检测日期 and clock-only 检测时间 cells are joined.
"""

from __future__ import annotations

from instruments.base import RowProblem, SkippedRow, build_reading
from instruments.cells import code_cell, number_cell, time_cell, word_cell
from instruments.columns import Column, ColumnSet, HeaderMatch
from instruments.formats import InstrumentFormat, RowReader, positions
from instruments.outcomes import word_key
from instruments.times import TimeReader, join_date_and_time
from instruments.values import NO_DATA, NOT_A_NUMBER, NUMBER, classify_reading

NAME = "gold-xlsx"

LINE_MODE = "line"
RATIO_MODE = "ratio"

#: 检测方法 wording → reading mode.
READING_MODES: dict[str, str] = {
    "定性消线法": LINE_MODE,
    "消线法": LINE_MODE,
    "消线": LINE_MODE,
    "line": LINE_MODE,
    "定性比色法": RATIO_MODE,
    "比色法": RATIO_MODE,
    "比色": RATIO_MODE,
    "ratio": RATIO_MODE,
}

COLUMNS = ColumnSet(
    (
        Column("serial", ("序号",)),
        Column("channel", ("通道", "通道号")),
        Column("sample_code", ("样品编号", "样品条码", "样品编码")),
        Column("food", ("样品名称",)),
        Column("tested_party", ("被检单位", "受检单位")),
        Column("item", ("检测项目",)),
        Column("reading_mode", ("检测方法", "判读方法")),
        Column("reagent_lot", ("卡批号", "试剂批号", "试纸批号")),
        Column("c_line", ("C值", "C线", "C线值", "C")),
        Column("t_line", ("T值", "T线", "T线值", "T")),
        Column("tc_ratio", ("T/C", "T/C值", "T/C比值", "TC值")),
        Column("result_word", ("检测结果",)),
        Column("verdict_word", ("判定结果", "结论", "检测结论")),
        Column("tested_at", ("检测时间",)),
        Column("test_date", ("检测日期", "日期")),
        Column("tester", ("检测人员", "检测员")),
        Column("unit", ("单位",)),
        Column("instrument", ("仪器编号", "仪器型号")),
        Column("station", ("检测点名称", "检测点")),
        Column("category", ("食品类别", "样品类别")),
    ),
    required=(("item",), ("tested_at", "test_date"), ("tc_ratio", "t_line")),
)

_FIELDS = [column.field for column in COLUMNS.columns]


class GoldXlsx(InstrumentFormat):
    """Colloidal-gold card reader export; see the module docstring for the field mapping."""

    name = NAME
    container = "xlsx"
    columns = COLUMNS
    reading_fields = ("tc_ratio", "t_line")

    def row_reader(self, header: HeaderMatch, times: TimeReader) -> RowReader:
        """Return the row reader for this file's header (column positions precomputed)."""
        at = positions(header, _FIELDS)
        label = header.column_name
        has_ratio = "tc_ratio" in header.index
        has_t = "t_line" in header.index
        signal_index = {"c_line": at["c_line"], "t_line": at["t_line"], "tc_ratio": at["tc_ratio"]}

        def read(row: int, cells: list[str]):
            problems: list[RowProblem] = []
            mode_text = cells[at["reading_mode"]].strip()
            mode = READING_MODES.get(word_key(mode_text)) if mode_text else None
            if mode_text and mode is None:
                problems.append(RowProblem(
                    row, label("reading_mode"), "unknown_word", {"value": mode_text}))
            main = "tc_ratio" if has_ratio and (mode != LINE_MODE or not has_t) else "t_line"
            raw = cells[signal_index[main]]
            kind, number, value_text, qualitative = classify_reading(raw)
            if kind is NO_DATA:
                return SkippedRow(row, "no_data")
            if kind is NOT_A_NUMBER:
                problems.append(
                    RowProblem(row, label(main), "not_a_number", {"value": raw.strip()}))

            signals = {}
            for field, position in signal_index.items():
                if field == main:
                    signals[field] = number if kind is NUMBER else None
                else:
                    signals[field] = number_cell(cells[position], row, label(field), problems)

            word, outcome = word_cell(cells[at["result_word"]], row, label("result_word"), problems)
            verdict, verdict_outcome = word_cell(
                cells[at["verdict_word"]], row, label("verdict_word"), problems)
            if word is None:
                word, outcome = verdict, verdict_outcome
            elif verdict is not None and verdict_outcome and outcome and verdict_outcome != outcome:
                problems.append(RowProblem(
                    row, label("verdict_word"), "conflicting_words",
                    {"value": word, "other": verdict}))

            item = cells[at["item"]].strip()
            if not item:
                problems.append(RowProblem(row, label("item"), "missing_value", {}))
            raw_time = join_date_and_time(cells[at["test_date"]], cells[at["tested_at"]])
            tested_at = time_cell(
                raw_time, times, row, label("tested_at") or label("test_date"), problems)

            if problems:
                return problems
            ratio = signals["tc_ratio"]
            return build_reading(
                row=row,
                format=NAME,
                channel=cells[at["channel"]].strip() or None,
                sample_code=code_cell(cells[at["sample_code"]]),
                food=cells[at["food"]].strip() or None,
                tested_party=cells[at["tested_party"]].strip() or None,
                item=item,
                reading_mode=mode,
                reagent_lot=cells[at["reagent_lot"]].strip() or None,
                c_line=signals["c_line"],
                t_line=signals["t_line"],
                tc_ratio=ratio,
                value=ratio if ratio is not None else number,
                value_text=value_text,
                qualitative=qualitative,
                unit=cells[at["unit"]].strip() or None,
                instrument_word=word,
                instrument_outcome=outcome,
                tested_at=tested_at,
                tester=cells[at["tester"]].strip() or None,
                instrument=cells[at["instrument"]].strip() or None,
                station=cells[at["station"]].strip() or None,
                category=cells[at["category"]].strip() or None,
            )

        return read


FORMAT = GoldXlsx()
