"""Spreadsheets: sheets, merged titles, footers, Excel dates, and hostile workbooks."""

from __future__ import annotations

import datetime as dt
import io
import re
import tracemalloc
import zipfile
from decimal import Decimal

import pytest

from instruments import Limits, ParseError, SkippedRow, detect_format, iter_file
from instruments import excel
from instruments.gold_xlsx import COLUMNS as GOLD_COLUMNS
from instruments.template_xlsx import COLUMNS as TEMPLATE_COLUMNS

GOLD_HEADER = ["序号", "通道", "样品编号", "样品名称", "被检单位", "检测项目", "检测方法", "卡批号",
               "C值", "T值", "T/C", "检测结果", "检测时间", "检测人员"]
TEMPLATE_HEADER = ["检测点名称", "被检单位*", "档口编号", "样品编号", "样品名称*", "食品类别",
                   "检测项目*", "检测值*", "单位", "检测结论*", "检测人员*", "检测时间*", "试剂批号",
                   "供货者", "产地", "进货数量(kg)", "备注"]


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


def gold_row(n, *, t="0.9", c="1.2", tc="0.75", word="阴性", when=None, mode="定性比色法"):
    when = when if when is not None else dt.datetime(2026, 11, 20, 10, n % 60)
    return [n, n, f"S-{n:04d}", "猪肉", "城东 B-01", "克伦特罗", mode, "KJ-1", c, t, tc, word,
            when, "李强"]


def rewrite_member(data: bytes, name: str, change) -> bytes:
    """Return the workbook with one zip member's text changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == name:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(info.filename, content)
    return out.getvalue()


def test_gold_line_mode_file(parse, sample):
    result = parse(sample("gold_line_mode.xlsx"))
    assert result.format == "gold-xlsx"
    assert result.header_row == 3  # a title merged over rows 1-2
    assert result.rows_seen == 5  # blank row, 合计 row and the printed-at footer ignored
    by_row = {r.row: r for r in result.readings}
    assert sorted(by_row) == [4, 5, 7]

    line = by_row[4]
    assert line.reading_mode == "line"
    assert (line.c_line, line.t_line, line.tc_ratio, line.value) == (
        Decimal("1.2"), Decimal("0.95"), Decimal("0.792"), Decimal("0.792"))
    assert (line.instrument_word, line.instrument_outcome) == ("阴性", "negative")
    assert line.tester == "李强" and line.reagent_lot == "KJ-2611-02"
    assert line.tested_at == utc(2026, 11, 20, 6, 1, 30)  # a date cell, 14:01:30 Shanghai

    assert by_row[5].tested_at == utc(2026, 11, 20, 4, 0)  # serial 46346.5 = 12:00 local
    assert (by_row[5].instrument_word, by_row[5].instrument_outcome) == ("阳性", "positive")

    ratio = by_row[7]
    assert ratio.reading_mode == "ratio"
    assert ratio.c_line == Decimal("1") and ratio.tc_ratio == Decimal("0.6")

    assert result.skipped == [SkippedRow(6, "no_data")]  # line mode, T reads NA
    assert [(p.row, p.column, p.code, p.params) for p in result.problems] == [
        (8, "判定结果", "conflicting_words", {"value": "阴性", "other": "不合格"}),
    ]


def test_template_on_the_second_sheet_after_instructions(parse, sample):
    data = sample("template_two_sheets.xlsx")
    result = parse(data)
    assert result.format == "template-xlsx"
    assert result.header_row == 1
    first, second = result.readings
    assert first.sample_code == "S-20261120-501"  # typed full-width in the IME
    assert (first.site, first.stall, first.station, first.tested_party) == (
        "城南菜场", "B-07", "2号快检车", "城南菜场")
    assert (first.value, first.quantity_kg) == (Decimal("22.3"), Decimal("12.5"))
    assert first.tested_at == utc(2026, 11, 20, 0, 15)
    assert (second.value, second.value_text, second.qualitative) == (None, "未检出", "negative")
    assert result.skipped == [SkippedRow(5, "no_data")]  # 检测值 left empty
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (4, "被检单位*", "missing_value"),
        (4, "检测人员*", "missing_value"),
        (4, "进货数量(kg)", "not_a_number"),
        (6, "检测结论*", "unknown_word"),
    ]
    assert result.problems[0].message == "Row 4: 被检单位* is empty but is required."

    assert parse(data, sheet="检测结果").readings == result.readings
    with pytest.raises(ParseError) as caught:
        parse(data, sheet="汇总")
    assert (caught.value.code, caught.value.params) == ("missing_sheet", {"sheet": "汇总"})
    with pytest.raises(ParseError) as caught:
        parse(data, sheet="填写说明")
    assert caught.value.code == "unknown_format"


def test_stream_names_the_sheet_it_read(sample, now):
    name, stream = iter_file(sample("template_two_sheets.xlsx"), now=now)
    with stream:
        assert (name, stream.sheet, stream.header_row) == ("template-xlsx", "检测结果", 1)


def test_required_template_columns(parse, make_xlsx):
    header = [h for h in TEMPLATE_HEADER if h != "检测人员*"]
    with pytest.raises(ParseError) as caught:
        parse(make_xlsx([header, ["x"] * len(header)]), format="template-xlsx")
    error = caught.value
    assert error.code == "missing_column"
    assert error.params["column"] == "检测人员"
    assert error.message == (
        "Row 1: the header has no column 检测人员, which the format template-xlsx requires.")


def test_merged_title_and_footer_rows(parse, make_xlsx):
    rows = [GOLD_HEADER, gold_row(1), gold_row(2), [], ["共 2 条记录"], ["合计", 2],
            ["审核人：", None, "检测人：", "李强"]]
    result = parse(make_xlsx(rows, title="胶体金检测记录"))
    assert result.header_row == 2
    assert [r.row for r in result.readings] == [3, 4]
    assert result.problems == [] and result.skipped == []


def test_excel_dates_serials_and_text_times(parse, make_xlsx):
    rows = [GOLD_HEADER,
            gold_row(1, when=dt.datetime(2026, 11, 20, 10, 31, 5)),
            gold_row(2, when=46346.4375),  # serial number, no date format: 10:30 local
            gold_row(3, when=dt.date(2026, 11, 20)),
            gold_row(4, when="2026/11/20 10:31"),
            gold_row(5, when=20261120103105),
            gold_row(6, when=dt.time(10, 31)),
            gold_row(7, when=1.5)]
    result = parse(make_xlsx(rows, number_formats={"M4": "yyyy-mm-dd"}))
    times = {r.row: r.tested_at for r in result.readings}
    assert times == {
        2: utc(2026, 11, 20, 2, 31, 5),
        3: utc(2026, 11, 20, 2, 30),
        4: utc(2026, 11, 19, 16, 0),
        5: utc(2026, 11, 20, 2, 31),
        6: utc(2026, 11, 20, 2, 31, 5),
    }
    assert [(p.row, p.code) for p in result.problems] == [(7, "bad_time"), (8, "bad_time")]


def test_gold_reader_with_date_and_clock_in_separate_cells(parse, make_xlsx):
    header = ["通道", "样品编号", "检测项目", "T/C值", "检测日期", "检测时间"]
    rows = [header, [1, "S-1", "克伦特罗", 0.8, dt.datetime(2026, 11, 20), dt.time(10, 31, 5)],
            [2, "S-2", "克伦特罗", 0.8, dt.date(2026, 11, 20), "10:32"]]
    result = parse(make_xlsx(rows))
    assert [r.tested_at for r in result.readings] == [
        utc(2026, 11, 20, 2, 31, 5), utc(2026, 11, 20, 2, 32)]


def test_workbook_with_the_1904_date_system(parse, make_xlsx):
    rows = [GOLD_HEADER, gold_row(1, when=dt.datetime(2026, 11, 20, 10, 31)),
            gold_row(2, when=46346.4375 - 1462)]  # a 1904-system serial
    result = parse(make_xlsx(rows, epoch_1904=True))
    assert [r.tested_at for r in result.readings] == [
        utc(2026, 11, 20, 2, 31), utc(2026, 11, 20, 2, 30)]


def test_gold_words_modes_and_signals(parse, make_xlsx):
    header = GOLD_HEADER[:-2] + ["判定结果", "检测时间", "检测人员"]
    when = dt.datetime(2026, 11, 20, 10, 0)

    def row(n, mode, t, tc, word, verdict):
        return [n, n, f"S-{n}", "猪肉", "B-01", "克伦特罗", mode, "KJ", 1.1, t, tc, word, verdict,
                when, "李强"]

    rows = [header,
            row(1, "定性消线法", 0.9, None, None, "合格"),       # line mode: T is the reading
            row(2, "定性比色法", 0.9, "--", "阴性", None),        # ratio mode: T/C empty → no data
            row(3, "定量法", 0.9, 0.8, "阴性", "合格"),           # unknown mode word
            row(4, None, 0.9, 0.8, "很弱", None),                 # unknown result word
            row(5, "消线法", "32766", 0.8, "阴性", "合格"),       # line mode, T = 32766 → no data
            row(6, "定性比色法", "x", 0.8, "阳性", "不合格")]     # a signal that is not a number
    result = parse(make_xlsx(rows))
    assert [(r.row, r.reading_mode, r.t_line, r.tc_ratio, r.value, r.instrument_word,
             r.instrument_outcome) for r in result.readings] == [
        (2, "line", Decimal("0.9"), None, Decimal("0.9"), "合格", "negative"),
    ]
    assert result.skipped == [SkippedRow(3, "no_data"), SkippedRow(6, "no_data")]
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (4, "检测方法", "unknown_word"),
        (5, "检测结果", "unknown_word"),
        (7, "T值", "not_a_number"),
    ]


def test_gold_file_without_mode_or_ratio_reads_the_t_line(parse, make_xlsx):
    header = ["通道", "样品编号", "检测项目", "C值", "T值", "检测结果", "检测时间"]
    rows = [header, [1, "S-1", "氯霉素", 1.2, 0.3, "阳性", dt.datetime(2026, 11, 20, 9)],
            [2, "S-2", "氯霉素", 1.2, "NA", None, dt.datetime(2026, 11, 20, 9)]]
    result = parse(make_xlsx(rows))
    assert result.format == "gold-xlsx"
    reading, = result.readings
    assert (reading.t_line, reading.value, reading.tc_ratio) == (Decimal("0.3"), Decimal("0.3"), None)
    assert result.skipped == [SkippedRow(3, "no_data")]


def test_a_mode_whose_column_is_missing_reads_the_other_signal(parse, make_xlsx):
    when = dt.datetime(2026, 11, 20, 9)
    only_t = parse(make_xlsx([["检测项目", "检测方法", "C值", "T值", "检测时间"],
                              ["克伦特罗", "定性比色法", 1.2, 0.3, when]])).readings
    assert [(r.reading_mode, r.t_line, r.tc_ratio) for r in only_t] == [("ratio", Decimal("0.3"), None)]
    only_ratio = parse(make_xlsx([["检测项目", "检测方法", "T/C", "检测时间"],
                                  ["克伦特罗", "定性消线法", 0.25, when]])).readings
    assert [(r.reading_mode, r.t_line, r.tc_ratio) for r in only_ratio] == [
        ("line", None, Decimal("0.25"))]


def test_a_pesticide_export_resaved_as_xlsx_is_still_recognised(parse, make_xlsx, sample):
    text = sample("pesticide_tester.csv").decode("gb18030")
    rows = [line.split(",") for line in text.splitlines()]
    for row in rows[3:-1]:
        row[5] = float(row[5]) if row[5] != "NA" else "NA"
        row[0] = int(row[0])
    result = parse(make_xlsx(rows))
    assert result.format == "pesticide-csv"
    assert result.header_row == 3
    assert len(result.readings) == 11 and result.skipped == [SkippedRow(15, "no_data")]
    assert result.readings[0].value == Decimal("12.4")
    assert result.readings[0].channel == "1"


def test_cells_are_rendered_as_text_like_a_csv_export():
    assert excel.cell_text(None) == ""
    assert excel.cell_text(12) == "12"
    assert excel.cell_text(12.0) == "12"
    assert excel.cell_text(0.868) == "0.868"
    assert excel.cell_text(1e-05) == "0.00001"
    assert excel.cell_text(20261120001.0) == "20261120001"
    assert excel.cell_text(dt.datetime(2026, 11, 20, 10, 31)) == "2026-11-20 10:31:00"
    assert excel.cell_text(True) == "TRUE"


def test_a_declared_dimension_of_the_whole_sheet_allocates_nothing(make_xlsx, now):
    data = make_xlsx([GOLD_HEADER, gold_row(1), gold_row(2)])
    huge = rewrite_member(
        data, "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml),
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(huge)).read("xl/worksheets/sheet1.xml")
    tracemalloc.start()
    name, stream = iter_file(huge, now=now)
    items = list(stream)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [item.row for item in items] == [2, 3]
    assert peak < 8 * 1024 * 1024


def test_a_dimension_smaller_than_the_data_does_not_hide_rows(parse, make_xlsx):
    data = make_xlsx([GOLD_HEADER] + [gold_row(n) for n in range(1, 21)])
    small = rewrite_member(
        data, "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:B2"/>', xml),
    )
    assert len(parse(small).readings) == 20


def test_a_sheet_without_a_dimension_is_read_in_one_pass_and_openpyxl_is_left_as_it_was(
        parse, make_xlsx, monkeypatch):
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import WorkSheetParser

    original = ReadOnlyWorksheet._get_size
    data = make_xlsx([GOLD_HEADER] + [gold_row(n) for n in range(1, 21)])
    bare = rewrite_member(data, "xl/worksheets/sheet1.xml",
                          lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', "", xml))
    assert b"<dimension" not in zipfile.ZipFile(io.BytesIO(bare)).read("xl/worksheets/sheet1.xml")
    looked = []
    real = WorkSheetParser.parse_dimensions
    monkeypatch.setattr(WorkSheetParser, "parse_dimensions", lambda self: looked.append(1) or real(self))
    assert len(parse(bare).readings) == 20
    assert looked == []  # no pass over the sheet just to learn it declares no dimension
    assert ReadOnlyWorksheet._get_size is original
    broken = rewrite_member(bare, "xl/workbook.xml", lambda xml: xml[:60])  # fails while it opens
    with pytest.raises(ParseError):
        parse(broken)
    assert ReadOnlyWorksheet._get_size is original  # restored after a failure too


def test_a_row_numbered_beyond_excels_last_row_is_refused(make_xlsx, now):
    data = make_xlsx([GOLD_HEADER, gold_row(1), gold_row(2)])
    hostile = rewrite_member(
        data, "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace('<row r="3"', '<row r="99999999999"').replace(
            'r="A3"', 'r="A99999999999"'),
    )
    name, stream = iter_file(hostile, now=now)
    with pytest.raises(ParseError) as caught:
        list(stream)
    assert caught.value.code == "corrupt_file"


def test_too_many_rows_in_a_workbook(make_xlsx, now):
    data = make_xlsx([GOLD_HEADER] + [gold_row(n) for n in range(1, 11)])
    name, stream = iter_file(data, now=now, limits=Limits(max_rows=4))
    items = []
    with pytest.raises(ParseError) as caught:
        for item in stream:
            items.append(item)
    assert caught.value.code == "too_many_rows"
    assert caught.value.params == {"limit": 4}
    assert len(items) == 4


def test_legacy_xls_is_refused_with_save_as_xlsx(now):
    ole2 = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2048
    for filename in ("results.xls", None, "results.xlsx"):
        with pytest.raises(ParseError) as caught:
            iter_file(ole2, filename=filename, now=now)
        assert caught.value.code == "legacy_xls"
        assert "save it as .xlsx" in caught.value.message
    with pytest.raises(ParseError) as caught:
        detect_format(ole2, "results.xls")
    assert caught.value.code == "legacy_xls"


def test_password_protected_workbook(now):
    encrypted = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 512
                 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512)
    with pytest.raises(ParseError) as caught:
        iter_file(encrypted, filename="results.xlsx", now=now)
    assert caught.value.code == "encrypted_file"


def test_an_xls_named_file_holding_html_is_refused_as_legacy(now):
    html = "<html><table><tr><td>样品编号</td></tr></table></html>".encode("utf-8")
    with pytest.raises(ParseError) as caught:
        iter_file(html, filename="导出.xls", now=now)
    assert caught.value.code == "legacy_xls"


def test_an_xls_named_file_holding_tab_separated_text_is_read(parse, make_csv):
    data = make_csv([["通道号", "样品编号", "抑制率", "检测时间"], ["1", "A", "20.1", "2026-11-20 09:00"]],
                    delimiter="\t", encoding="gb18030")
    result = parse(data, filename="导出.xls")
    assert result.format == "pesticide-csv" and len(result.readings) == 1


def damage_member(data: bytes, name: str = "xl/worksheets/sheet1.xml") -> bytes:
    """Overwrite the middle of one member's compressed bytes (its CRC no longer matches)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    return data[:middle] + b"\xff" * 8 + data[middle + 8:]


@pytest.mark.parametrize("mangle", [
    lambda d: d[: len(d) // 2],                             # truncated archive
    damage_member,                                          # damaged sheet data
    lambda d: damage_member(d, "xl/workbook.xml"),
    lambda d: b"PK\x03\x04" + b"\x00" * 100,                # zip magic, nothing else
])
def test_damaged_workbooks_are_corrupt_files(make_xlsx, now, mangle):
    data = mangle(make_xlsx([GOLD_HEADER, gold_row(1)]))
    with pytest.raises(ParseError) as caught:
        name, stream = iter_file(data, filename="x.xlsx", now=now)
        list(stream)
    assert caught.value.code == "corrupt_file"


def test_a_zip_that_is_not_a_workbook(now):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ParseError) as caught:
        iter_file(buffer.getvalue(), filename="report.docx", now=now)
    assert caught.value.code == "corrupt_file"


def test_broken_sheet_xml_is_a_corrupt_file(make_xlsx, now):
    data = rewrite_member(make_xlsx([GOLD_HEADER, gold_row(1)]), "xl/worksheets/sheet1.xml",
                          lambda xml: xml[: len(xml) // 2])
    with pytest.raises(ParseError) as caught:
        name, stream = iter_file(data, now=now)
        list(stream)
    assert caught.value.code == "corrupt_file"


def test_an_encrypted_zip_member_is_refused(make_xlsx, now):
    data = bytearray(make_xlsx([GOLD_HEADER, gold_row(1)]))
    # Set the "encrypted" flag bit in every central-directory entry.
    position = data.find(b"PK\x01\x02")
    while position != -1:
        data[position + 8] |= 0x01
        position = data.find(b"PK\x01\x02", position + 4)
    with pytest.raises(ParseError) as caught:
        iter_file(bytes(data), now=now)
    assert caught.value.code == "encrypted_file"


GOLD_VALUES = {
    "serial": (1, None),
    "channel": (2, "2"),
    "sample_code": ("S-5", "S-5"),
    "food": ("猪肉", "猪肉"),
    "tested_party": ("城东 B-1", "城东 B-1"),
    "item": ("克伦特罗", "克伦特罗"),
    "reading_mode": ("定性比色法", "ratio"),
    "reagent_lot": ("KJ-9", "KJ-9"),
    "c_line": (1.2, Decimal("1.2")),
    "t_line": (0.9, Decimal("0.9")),
    "tc_ratio": (0.75, Decimal("0.75")),
    "result_word": ("阴性", None),
    "verdict_word": ("合格", None),
    "tested_at": (dt.datetime(2026, 11, 20, 10, 0), utc(2026, 11, 20, 2, 0)),
    "test_date": (dt.datetime(2026, 11, 19), None),
    "tester": ("李强", "李强"),
    "unit": ("T/C", "T/C"),
    "instrument": ("GR-200", "GR-200"),
    "station": ("1号快检室", "1号快检室"),
    "category": ("畜禽肉及副产品", "畜禽肉及副产品"),
}


@pytest.mark.parametrize(
    "field,alias", [(c.field, name) for c in GOLD_COLUMNS.columns for name in c.names])
def test_every_gold_header_alias(parse, make_xlsx, field, alias):
    fields = list(GOLD_VALUES)
    header = [alias if f == field else GOLD_COLUMNS.label(f) for f in fields]
    result = parse(make_xlsx([header, [GOLD_VALUES[f][0] for f in fields]]), format="gold-xlsx")
    assert result.problems == []
    reading, = result.readings
    if field == "result_word":
        assert (reading.instrument_word, reading.instrument_outcome) == ("阴性", "negative")
    elif field == "verdict_word":
        assert reading.instrument_outcome == "negative"
    elif field == "test_date":
        assert reading.tested_at == utc(2026, 11, 20, 2, 0)
    elif GOLD_VALUES[field][1] is not None:
        assert getattr(reading, field) == GOLD_VALUES[field][1]


TEMPLATE_VALUES = {
    "station": ("1号快检室", "1号快检室"),
    "tested_party": ("城东综合市场", "城东综合市场"),
    "stall": ("A-01", "A-01"),
    "sample_code": ("S-1", "S-1"),
    "food": ("青菜", "青菜"),
    "category": ("蔬菜", "蔬菜"),
    "item": ("有机磷和氨基甲酸酯类农药", "有机磷和氨基甲酸酯类农药"),
    "value": (18.5, Decimal("18.5")),
    "unit": ("%", "%"),
    "instrument_word": ("合格", "合格"),
    "tester": ("王丽", "王丽"),
    "tested_at": ("2026-11-20 09:30", utc(2026, 11, 20, 1, 30)),
    "reagent_lot": ("NC-2611", "NC-2611"),
    "supplier": ("萧山蔬菜合作社", "萧山蔬菜合作社"),
    "origin": ("杭州萧山", "杭州萧山"),
    "quantity_kg": (40, Decimal("40")),
    "note": ("已热处理", "已热处理"),
}


@pytest.mark.parametrize(
    "field,alias", [(c.field, name) for c in TEMPLATE_COLUMNS.columns for name in c.names])
def test_every_template_header_alias(parse, make_xlsx, field, alias):
    fields = list(TEMPLATE_VALUES)
    header = [alias if f == field else TEMPLATE_COLUMNS.label(f) + "*" for f in fields]
    result = parse(make_xlsx([header, [TEMPLATE_VALUES[f][0] for f in fields]]))
    assert result.format == "template-xlsx"
    assert result.problems == []
    assert getattr(result.readings[0], field) == TEMPLATE_VALUES[field][1]
