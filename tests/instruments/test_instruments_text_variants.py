"""CSV and text exports in every shape the format document allows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from instruments import ParseError, RowProblem, SkippedRow, iter_file
from instruments.analyzer_csv import COLUMNS as ANALYZER_COLUMNS
from instruments.pesticide_csv import COLUMNS as PESTICIDE_COLUMNS

HEADER = ["通道号", "样品编号", "样品名称", "被检单位", "检测项目", "检测结果", "单位",
          "检测依据", "标准值", "结论", "检测员", "检测时间"]
ROWS = [
    ["1", "S-001", "青菜", "城东综合市场 A-01", "农药残留", "12.4", "%", "GB/T 5009.199-2003",
     "50", "合格", "王丽", "2026-11-20 09:11:05"],
    ["2", "S-002", "芹菜", "城东综合市场 A-02", "农药残留", "62.3", "%", "GB/T 5009.199-2003",
     "50", "不合格", "王丽", "2026-11-20 09:12:05"],
    ["3", "S-003", "菠菜", "城东综合市场 A-03", "农药残留", "NA", "%", "GB/T 5009.199-2003",
     "50", "", "王丽", "2026-11-20 09:13:05"],
]


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


def summary(result):
    """What a file produced, independent of how it was encoded or laid out."""
    return (
        result.format,
        [(r.sample_code, r.value, r.instrument_outcome, r.tested_at, r.tested_party)
         for r in result.readings],
        len(result.skipped),
        [(p.column, p.code) for p in result.problems],
    )


EXPECTED = (
    "pesticide-csv",
    [("S-001", Decimal("12.4"), "negative", utc(2026, 11, 20, 1, 11, 5), "城东综合市场 A-01"),
     ("S-002", Decimal("62.3"), "positive", utc(2026, 11, 20, 1, 12, 5), "城东综合市场 A-02")],
    1,
    [],
)


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", False), ("utf-8", True), ("gb18030", False), ("gbk", False), ("utf-16", False),
])
def test_every_encoding_reads_the_same(parse, make_csv, encoding, bom):
    data = make_csv(["检测数据导出", HEADER, *ROWS], encoding=encoding, bom=bom)
    result = parse(data)
    assert summary(result) == EXPECTED
    assert result.header_row == 2


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_line_endings_and_delimiters(parse, make_csv, newline, delimiter):
    data = make_csv(["检测数据导出", HEADER, *ROWS], newline=newline, delimiter=delimiter,
                    encoding="gb18030")
    result = parse(data)
    assert summary(result) == EXPECTED
    assert [r.row for r in result.readings] == [3, 4]
    assert result.skipped == [SkippedRow(5, "no_data")]


def test_stream_reports_encoding_and_delimiter(make_csv, now):
    data = make_csv([HEADER, *ROWS], delimiter="\t", encoding="gb18030")
    name, stream = iter_file(data, now=now)
    with stream:
        assert (name, stream.encoding, stream.delimiter, stream.header_row) == (
            "pesticide-csv", "gb18030", "\t", 1)


def test_title_summary_and_blank_lines_are_ignored_and_rows_keep_their_line_numbers(
    parse, make_csv
):
    data = make_csv([
        "",
        "农药残留速测仪 检测数据",
        "导出时间：2026-11-20 10:05,,,,",
        "",
        HEADER,
        ROWS[0],
        "",
        ",,,,,,,,,,,",
        "   ",
        ROWS[1],
        ROWS[2],
        "合计：12 条",
        "共 12 条记录",
        "总计,2",
        "检测单位：城东快检室",
        "",
    ], encoding="gb18030")
    result = parse(data)
    assert summary(result) == EXPECTED
    assert result.header_row == 5
    assert [r.row for r in result.readings] == [6, 10]
    assert result.skipped == [SkippedRow(11, "no_data")]
    assert result.rows_seen == 3


def test_the_sample_file_with_lf_and_utf8_reads_the_same_as_the_original(parse, sample):
    original = sample("pesticide_tester.csv")
    converted = original.decode("gb18030").replace("\r\n", "\n").encode("utf-8")
    assert summary(parse(converted)) == summary(parse(original))
    assert [r.row for r in parse(converted).readings] == list(range(4, 15))


def test_a_quoted_cell_spanning_lines_keeps_later_row_numbers_right(parse, make_csv):
    first = list(ROWS[0])
    first[3] = '"城东综合市场\nA-01"'
    result = parse(make_csv([HEADER, first, ROWS[1]], newline="\n"))
    assert [r.row for r in result.readings] == [2, 4]
    assert result.readings[0].tested_party == "城东综合市场\nA-01"


def test_a_repeated_header_is_ignored(parse, make_csv):
    result = parse(make_csv([HEADER, ROWS[0], HEADER, ROWS[1]]))
    assert [r.row for r in result.readings] == [2, 4]
    assert result.problems == []


def test_reordered_and_unknown_columns_with_aliases(parse, sample):
    result = parse(sample("pesticide_utf8_reordered.csv"))
    assert result.format == "pesticide-csv"
    assert result.problems == []
    first, second = result.readings
    assert (first.sample_code, first.channel, first.food, first.tested_party) == (
        "s-101", "1", "生菜", "城南市场 D-01")
    assert (first.value, first.instrument_word, first.tester) == (Decimal("8.0"), "合格", "赵六")
    assert first.tested_at == utc(2026, 11, 20, 1, 31, 5)
    assert (second.instrument_word, second.instrument_outcome) == ("超标", "positive")
    assert first.note is None  # 备注 is not a pesticide-csv column


def test_utf8_bom_tab_file_with_titles_and_record_count(parse, sample):
    result = parse(sample("pesticide_utf8_bom_tab.txt"), filename="export.txt")
    assert result.format == "pesticide-csv"
    assert result.header_row == 4
    assert [(r.row, r.sample_code, r.value, r.cutoff, r.method, r.instrument_outcome)
            for r in result.readings] == [
        (5, "S-001", Decimal("12.5"), Decimal("50"), "GB/T 5009.199-2003", "negative"),
        (7, "S-002", Decimal("71.0"), Decimal("70"), "NY/T 448-2001", "positive"),
    ]
    assert result.readings[0].reagent_lot == "NC-2611"
    assert result.readings[0].tested_at == utc(2026, 11, 20, 1, 31)
    assert result.skipped == [SkippedRow(8, "no_data")]  # channel 3 reads --


def test_full_width_numbers_signs_percent_and_spaces(parse, sample):
    result = parse(sample("pesticide_fullwidth.csv"))
    assert result.problems == []
    first, second, third = result.readings
    assert first.channel == "１"  # text is kept as written (trimmed)
    assert first.sample_code == "S-20261120-301"
    assert first.food == "白菜"
    assert first.tester == "王丽"  # full-width spaces trimmed
    assert (first.value, first.control_delta, first.sample_delta, first.cutoff) == (
        Decimal("24.5"), Decimal("0.412"), Decimal("0.311"), Decimal("50"))
    assert first.tested_at == utc(2026, 11, 20, 1, 31, 5)
    assert second.value == Decimal("69.8")
    assert second.control_delta == Decimal("0.398")
    assert third.value == Decimal("-1.2")


def test_every_time_format(parse, sample):
    result = parse(sample("pesticide_times.csv"))
    times = {r.sample_code: r.tested_at for r in result.readings}
    assert times == {
        "T-001": utc(2026, 11, 20, 1, 31, 5),   # 2026-11-20 09:31:05
        "T-002": utc(2026, 11, 20, 1, 31),      # 2026/11/20 9:31
        "T-003": utc(2026, 11, 20, 1, 31, 5),   # 2026-11-20T09:31:05
        "T-004": utc(2026, 11, 20, 1, 31, 5),   # 20261120093105
        "T-005": utc(2026, 11, 20, 1, 31, 5),   # ...Z
        "T-006": utc(2026, 11, 20, 1, 31, 5),   # +08:00
        "T-007": utc(2026, 11, 19, 17, 31, 5),  # 02:31:05 +0900
        "T-008": utc(2026, 11, 20, 1, 31),      # 2026年11月20日 9时31分
        "T-009": utc(2026, 11, 20, 1, 31),      # 2026.11.20 09:31
        "T-010": utc(2026, 11, 20, 7, 31),      # 下午 3:31
    }
    assert [(p.row, p.column, p.code, p.params) for p in result.problems] == [
        (12, "检测时间", "future_time", {"value": "2099-01-01 00:00:00"}),
        (13, "检测时间", "bad_time", {"value": "2026-02-30 10:00:00"}),
        (14, "检测时间", "bad_time", {"value": "昨天上午"}),
    ]
    assert result.problems[0].message == "Row 12: the test time 2099-01-01 00:00:00 is in the future."


def test_times_are_local_to_the_given_zone(parse, make_csv):
    data = make_csv([HEADER, ROWS[0]])
    assert parse(data, tz="UTC").readings[0].tested_at == utc(2026, 11, 20, 9, 11, 5)
    assert parse(data, tz="Asia/Urumqi").readings[0].tested_at == utc(2026, 11, 20, 3, 11, 5)


def test_future_time_allows_five_minutes_of_clock_drift(parse, make_csv, now):
    def row(when: dt.datetime) -> list[str]:
        local = when.astimezone(dt.timezone(dt.timedelta(hours=8)))
        cells = list(ROWS[0])
        cells[-1] = local.strftime("%Y-%m-%d %H:%M:%S")
        return cells

    data = make_csv([HEADER, row(now + dt.timedelta(minutes=5)),
                     row(now + dt.timedelta(minutes=5, seconds=1))])
    result = parse(data)
    assert [r.row for r in result.readings] == [2]
    assert [(p.row, p.code) for p in result.problems] == [(3, "future_time")]


def test_empty_channels_words_and_values_that_are_not_numbers(parse, sample):
    result = parse(sample("pesticide_empty_channels.csv"))
    # rows: NA, --, blank, 32766, N/A → no data; "-" too.
    assert result.skipped == [SkippedRow(n, "no_data") for n in (2, 3, 4, 5, 6, 14)]
    values = {r.row: (r.value, r.value_text, r.qualitative) for r in result.readings}
    assert values == {
        7: (Decimal("12.0"), None, None),
        9: (None, "未检出", "negative"),
        10: (None, "ND", "negative"),
        12: (Decimal("12"), None, None),         # full-width digits
        13: (Decimal("1234.5"), None, None),     # thousands separator
    }
    assert [(p.row, p.column, p.code, p.params) for p in result.problems] == [
        (8, "检测结果", "not_a_number", {"value": "abc"}),
        (11, "检测结果", "not_a_number", {"value": "#DIV/0!"}),
    ]


def test_a_row_with_several_problems_reports_each_and_yields_no_reading(parse, make_csv):
    cells = list(ROWS[0])
    cells[5], cells[8], cells[9], cells[11] = "abc", "五十", "很好", ""
    result = parse(make_csv([HEADER, cells, ROWS[1]]))
    assert [r.row for r in result.readings] == [3]
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (2, "检测结果", "not_a_number"),
        (2, "检测时间", "missing_value"),
        (2, "标准值", "not_a_number"),
        (2, "结论", "unknown_word"),
    ]
    assert all(isinstance(p, RowProblem) for p in result.problems)


def test_an_item_cell_left_empty_is_a_problem(parse, make_csv):
    cells = list(ROWS[0])
    cells[4] = " "
    result = parse(make_csv([HEADER, cells]))
    assert [(p.column, p.code) for p in result.problems] == [("检测项目", "missing_value")]


def test_a_tester_without_item_column_measures_pesticides(parse, make_csv):
    header = [h for h in HEADER if h != "检测项目"]
    rows = [[c for i, c in enumerate(row) if i != 4] for row in ROWS[:2]]
    result = parse(make_csv([header, *rows]))
    assert result.format == "pesticide-csv"
    assert [r.item for r in result.readings] == ["农药残留", "农药残留"]


def test_percent_in_the_reading_and_missing_unit_column(parse, make_csv):
    header = ["通道", "样品编号", "抑制率(%)", "检测时间"]
    result = parse(make_csv([header, ["1", "A", "45.0%", "2026-11-20 09:00"],
                             ["2", "B", " 50 % ", "2026-11-20 09:00"]]))
    assert [(r.value, r.unit) for r in result.readings] == [
        (Decimal("45.0"), "%"), (Decimal("50"), "%")]


def test_decimal_digits_are_kept_as_written(parse, make_csv):
    cells = list(ROWS[0])
    cells[5] = "12.40"
    assert str(parse(make_csv([HEADER, cells])).readings[0].value) == "12.40"


PESTICIDE_VALUES = {
    "channel": ("3", "3"),
    "sample_code": ("S-9", "S-9"),
    "food": ("青菜", "青菜"),
    "tested_party": ("城东 A-1", "城东 A-1"),
    "item": ("农药残留", "农药残留"),
    "control_delta": ("0.41", Decimal("0.41")),
    "sample_delta": ("0.30", Decimal("0.30")),
    "value": ("26.8", Decimal("26.8")),
    "unit": ("%", "%"),
    "method": ("NY/T 448-2001", "NY/T 448-2001"),
    "cutoff": ("70", Decimal("70")),
    "instrument_word": ("阴性", "阴性"),
    "tester": ("王丽", "王丽"),
    "tested_at": ("2026-11-20 09:00:00", utc(2026, 11, 20, 1)),
    "test_date": ("2026-11-19", None),  # the time cell carries its own date: it wins
    "reagent_lot": ("NC-1", "NC-1"),
    "instrument": ("GDYN-1002S", "GDYN-1002S"),
    "station": ("1号快检室", "1号快检室"),
    "category": ("蔬菜", "蔬菜"),
}


@pytest.mark.parametrize(
    "field,alias",
    [(c.field, name) for c in PESTICIDE_COLUMNS.columns for name in c.names],
)
def test_every_pesticide_header_alias(parse, make_csv, field, alias):
    fields = list(PESTICIDE_VALUES)
    header = [alias if f == field else PESTICIDE_COLUMNS.label(f) for f in fields]
    row = [PESTICIDE_VALUES[f][0] for f in fields]
    result = parse(make_csv([header, row]), format="pesticide-csv")
    assert result.problems == []
    if field == "test_date":
        assert result.readings[0].tested_at == utc(2026, 11, 20, 1)
    else:
        assert getattr(result.readings[0], field) == PESTICIDE_VALUES[field][1]


def test_the_reading_column_wins_over_a_word_column_called_检测结果(parse, make_csv):
    header = ["通道", "样品编号", "检测结果", "抑制率(%)", "检测时间"]
    result = parse(make_csv([header, ["1", "A", "阴性", "12.5", "2026-11-20 09:00"],
                             ["2", "B", "阳性", "66.0", "2026-11-20 09:00"]]))
    assert [(r.value, r.instrument_word, r.instrument_outcome) for r in result.readings] == [
        (Decimal("12.5"), "阴性", "negative"), (Decimal("66.0"), "阳性", "positive")]


def test_separate_date_and_time_columns(parse, make_csv):
    header = ["通道号", "样品编号", "检测结果", "检测日期", "检测时间"]
    rows = [["1", "A", "10.0", "2026-11-20", "09:31:05"],
            ["2", "B", "10.0", "2026/11/20", "9:31"],
            ["3", "C", "10.0", "2026-11-20", ""],
            ["4", "D", "10.0", "2026-11-19", "2026-11-20 09:31:05"],
            ["5", "E", "10.0", "", "09:31"]]
    result = parse(make_csv([header, *rows]))
    assert [(r.sample_code, r.tested_at) for r in result.readings] == [
        ("A", utc(2026, 11, 20, 1, 31, 5)),
        ("B", utc(2026, 11, 20, 1, 31)),
        ("C", utc(2026, 11, 19, 16, 0)),
        ("D", utc(2026, 11, 20, 1, 31, 5)),
    ]
    assert [(p.row, p.column, p.code) for p in result.problems] == [(6, "检测时间", "bad_time")]


def test_a_date_column_alone_is_enough(parse, make_csv):
    result = parse(make_csv([["通道号", "样品编号", "抑制率", "日期"], ["1", "A", "10", "2026-11-20"]]))
    assert result.readings[0].tested_at == utc(2026, 11, 19, 16, 0)


ANALYZER_VALUES = {
    "serial": ("1", None),
    "channel": ("2", "2"),
    "item": ("克伦特罗", "克伦特罗"),
    "food": ("猪肉", "猪肉"),
    "sample_code": ("S-7", "S-7"),
    "category": ("畜禽肉及副产品", "畜禽肉及副产品"),
    "tested_party": ("城北 C-1", "城北 C-1"),
    "abs_1": ("0.7", None),
    "abs_2": ("0.9", None),
    "value": ("0.78", Decimal("0.78")),
    "result_code": ("1", None),
    "result_word": ("合格", None),
    "unit": ("T/C", "T/C"),
    "tested_at": ("2026-11-20 11:00:00", utc(2026, 11, 20, 3)),
    "tester": ("陈敏", "陈敏"),
    "reagent": ("克伦特罗检测卡", "克伦特罗检测卡"),
    "reagent_lot": ("R5", "R5"),
    "instrument": ("DY-3500", "DY-3500"),
}


@pytest.mark.parametrize(
    "field,alias",
    [(c.field, name) for c in ANALYZER_COLUMNS.columns for name in c.names],
)
def test_every_analyzer_header_alias(parse, make_csv, field, alias):
    fields = list(ANALYZER_VALUES)
    header = [alias if f == field else ANALYZER_COLUMNS.label(f) for f in fields]
    result = parse(make_csv([header, [ANALYZER_VALUES[f][0] for f in fields]]))
    assert result.format == "analyzer-csv"
    reading = result.readings[0]
    expected = ANALYZER_VALUES[field][1]
    if field == "abs_1":
        assert reading.t_line == Decimal("0.7")
    elif field == "abs_2":
        assert reading.c_line == Decimal("0.9")
    elif field in ("result_code", "result_word"):
        assert (reading.instrument_word, reading.instrument_outcome) == ("合格", "negative")
    elif expected is not None:
        assert getattr(reading, field) == expected


@pytest.mark.parametrize("written", [
    "抑制率（%）", "抑制率(％)", " 抑制率 ( % ) ", "抑制率\u3000(%)", "检测结果：", "检测结果*",
])
def test_header_spelling_variants(parse, make_csv, written):
    header = ["通道号", "样品编号", written, "检测时间"]
    result = parse(make_csv([header, ["1", "A", "30.5", "2026-11-20 09:00"]]))
    assert result.readings[0].value == Decimal("30.5")


@pytest.mark.parametrize("control,sample_", [("ΔA0", "ΔAt"), ("△A0", "△At"), ("ΔA₀", "ΔAₜ"),
                                              ("对照值", "样品值"), ("δa0", "δat")])
def test_delta_headers(parse, make_csv, control, sample_):
    header = ["通道号", "样品编号", control, sample_, "抑制率", "检测时间"]
    reading = parse(make_csv([header, ["1", "A", "0.5", "0.3", "40.0", "2026-11-20 09:00"]])).readings[0]
    assert (reading.control_delta, reading.sample_delta) == (Decimal("0.5"), Decimal("0.3"))


def test_analyzer_older_firmware_without_sample_code(parse, sample):
    result = parse(sample("analyzer_old_firmware.csv"))
    assert result.format == "analyzer-csv"
    assert result.problems == []
    assert result.skipped == [SkippedRow(6, "no_data")]  # 32766 is an empty channel
    by_row = {r.row: r for r in result.readings}
    assert all(r.sample_code is None for r in by_row.values())

    assert (by_row[2].value, by_row[2].value_text, by_row[2].qualitative) == (None, "ND", "negative")
    assert (by_row[2].instrument_word, by_row[2].instrument_outcome) == ("合格", "negative")
    assert by_row[2].tested_at == utc(2026, 11, 20, 3, 3)  # 20261120110300

    malachite = by_row[3]  # a gold item without unit: T/C, ABS_1 = T, ABS_2 = C
    assert (malachite.tc_ratio, malachite.t_line, malachite.c_line) == (
        Decimal("0.30"), Decimal("0.31"), Decimal("1.02"))
    assert (malachite.instrument_word, malachite.instrument_outcome) == ("不合格", "positive")

    salbutamol = by_row[4]
    assert (salbutamol.instrument_word, salbutamol.instrument_outcome) == ("可疑", "suspect")
    assert salbutamol.tc_ratio == Decimal("0.80")

    aflatoxin = by_row[5]  # a gold item measured as a concentration: no T/C
    assert (aflatoxin.value, aflatoxin.unit, aflatoxin.tc_ratio, aflatoxin.t_line) == (
        Decimal("4.2"), "μg/kg", None, None)


ANALYZER_HEADER = ["NO", "CHANNEL", "ITEM", "SAMPLE", "RESULT_DL", "RESULT_DX",
                   "RESULT_DX_DESC", "RESULT_UNIT", "DETECT_TIME"]


@pytest.mark.parametrize("code,desc,expected", [
    ("1", "", ("合格", "negative", None)),
    ("0", "", ("不合格", "positive", None)),
    ("2", "", ("可疑", "suspect", None)),
    ("1.0", "合格", ("合格", "negative", None)),
    ("", "不合格", ("不合格", "positive", None)),
    ("1", "正常", ("正常", "negative", None)),        # the code is trusted
    ("", "正常", (None, None, "unknown_word")),
    ("7", "", (None, None, "unknown_word")),
    ("1", "不合格", (None, None, "conflicting_words")),
    ("", "", (None, None, None)),
])
def test_analyzer_verdict_codes_and_words(parse, make_csv, code, desc, expected):
    row = ["1", "1", "亚硝酸盐", "酱鸭", "12.0", code, desc, "mg/kg", "2026-11-20 11:00"]
    result = parse(make_csv([ANALYZER_HEADER, row]))
    word, outcome, problem = expected
    if problem:
        assert [p.code for p in result.problems] == [problem]
        assert result.readings == []
    else:
        assert result.problems == []
        assert (result.readings[0].instrument_word, result.readings[0].instrument_outcome) == (
            word, outcome)


def test_a_truncated_file_still_reads_its_complete_rows(parse, sample):
    data = sample("pesticide_tester.csv")
    cut = data[: data.index("S-20261120-005".encode()) + 5]
    result = parse(cut)
    assert [r.row for r in result.readings] == [4, 5, 6, 7]
    assert [(p.row, p.column, p.code, p.params) for p in result.problems] == [
        (8, "检测结果", "short_row", {"count": 2, "width": 12})]
    assert "may be cut off" in result.problems[0].message


def test_an_unclosed_quote_is_a_file_error(now, make_csv):
    cells = list(ROWS[0])
    cells[3] = '"' + "x" * 200_000
    name, stream = iter_file(make_csv([HEADER, ROWS[1], cells]), now=now)
    with pytest.raises(ParseError) as caught:
        list(stream)
    assert caught.value.code == "corrupt_file"
