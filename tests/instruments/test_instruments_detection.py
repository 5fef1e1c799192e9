"""Recognising the format from the header, forcing one, and refusing what is not a result file."""

from __future__ import annotations

import pytest

from instruments import FORMATS, ParseError, detect_format, iter_file, parse_file
from instruments.detection import HEADER_SEARCH_ROWS

SAMPLES = {
    "pesticide_tester.csv": "pesticide-csv",
    "analyzer.csv": "analyzer-csv",
    "gold_reader.xlsx": "gold-xlsx",
    "template_example.xlsx": "template-xlsx",
    "pesticide_utf8_bom_tab.txt": "pesticide-csv",
    "pesticide_utf8_reordered.csv": "pesticide-csv",
    "pesticide_fullwidth.csv": "pesticide-csv",
    "analyzer_old_firmware.csv": "analyzer-csv",
    "gold_line_mode.xlsx": "gold-xlsx",
    "template_two_sheets.xlsx": "template-xlsx",
}


def test_the_format_names_are_the_public_contract():
    assert set(FORMATS) == {"pesticide-csv", "gold-xlsx", "analyzer-csv", "template-xlsx"}
    assert all(fmt.name == name for name, fmt in FORMATS.items())


@pytest.mark.parametrize("filename,expected", sorted(SAMPLES.items()))
def test_detects_each_format_from_its_header(sample, filename, expected):
    assert detect_format(sample(filename), filename) == expected
    assert detect_format(sample(filename), None) == expected  # the name is not needed


@pytest.mark.parametrize("filename,expected", sorted(SAMPLES.items()))
def test_forcing_the_right_format_gives_the_same_readings(parse, sample, filename, expected):
    data = sample(filename)
    assert parse(data, format=expected).readings == parse(data).readings


def test_forcing_a_format_the_file_does_not_have(parse, sample):
    with pytest.raises(ParseError) as caught:
        parse(sample("pesticide_tester.csv"), format="gold-xlsx")
    error = caught.value
    assert error.code == "missing_column"  # the header looks like a gold file without T or T/C
    assert error.params["format"] == "gold-xlsx"
    assert error.params["row"] == 3

    with pytest.raises(ParseError) as caught:
        parse(sample("analyzer.csv"), format="template-xlsx")
    assert caught.value.code == "no_header"
    assert caught.value.params == {"format": "template-xlsx", "lines": 7}


def test_forcing_an_unknown_format_name(parse, sample):
    with pytest.raises(ParseError) as caught:
        parse(sample("analyzer.csv"), format="mystery-csv")
    assert caught.value.code == "unknown_format"


def test_gold_and_template_headers_win_over_pesticide_aliases(make_csv, make_xlsx):
    gold = ["序号", "通道", "样品编号", "样品名称", "被检单位", "检测项目", "C值", "T值", "T/C",
            "检测结果", "检测时间", "检测人员"]
    assert detect_format(make_csv([gold])) == "gold-xlsx"
    template = ["被检单位", "样品名称", "检测项目", "检测值", "单位", "检测结论", "检测人员", "检测时间"]
    assert detect_format(make_xlsx([template])) == "template-xlsx"
    pesticide = ["通道", "样品编号", "样品名称", "被检单位", "检测项目", "检测结果", "检测时间"]
    assert detect_format(make_xlsx([pesticide])) == "pesticide-csv"


def test_analyzer_header_case_and_spacing(make_csv):
    header = ["no", "channel", "item", "Sample Code", "result dl", "Result_DX", "detect_time"]
    assert detect_format(make_csv([header])) == "analyzer-csv"


def test_a_header_missing_a_required_column(parse, make_csv):
    header = ["通道号", "样品编号", "样品名称", "被检单位", "检测项目", "检测结果", "单位", "检测员"]
    with pytest.raises(ParseError) as caught:
        parse(make_csv(["标题", header, ["1", "A", "青菜", "X", "农药残留", "10", "%", "王丽"]]))
    error = caught.value
    assert error.code == "missing_column"
    assert (error.params["row"], error.params["column"], error.params["format"]) == (
        2, "检测时间 / 检测日期", "pesticide-csv")
    assert error.message == ("Row 2: the header has no column 检测时间 / 检测日期, which the "
                             "format pesticide-csv requires.")


def test_the_header_must_be_near_the_top(make_csv):
    header = ["通道号", "样品编号", "检测结果", "检测时间"]
    row = ["1", "A", "10", "2026-11-20 09:00"]
    near = make_csv([f"说明 {n}" for n in range(HEADER_SEARCH_ROWS - 1)] + [header, row])
    assert detect_format(near) == "pesticide-csv"
    far = make_csv([f"说明 {n}" for n in range(HEADER_SEARCH_ROWS)] + [header, row])
    with pytest.raises(ParseError) as caught:
        detect_format(far)
    assert caught.value.code == "unknown_format"
    assert caught.value.params == {"lines": HEADER_SEARCH_ROWS}


@pytest.mark.parametrize("data", [
    "随便写的一段话\n没有表头\n".encode("utf-8"),
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    "a,b,c\n1,2,3\n".encode("utf-8"),
    "样品编号,样品名称\nS-1,青菜\n".encode("gb18030"),
])
def test_files_that_are_no_known_format(data, now):
    with pytest.raises(ParseError) as caught:
        iter_file(data, now=now)
    assert caught.value.code == "unknown_format"
    assert "not recognised" in caught.value.message


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty_files(data, now):
    with pytest.raises(ParseError) as caught:
        parse_file(data, now=now)
    assert caught.value.code == "empty_file"


@pytest.mark.parametrize("data", [
    b"\x80\x81\xff\xfeabc" * 10,
    "通道号,检测结果".encode("gb18030") + b"\xff\xff",
    b"\x81\x30\x81abc",  # a GB18030 four-byte sequence broken in the middle
])
def test_text_in_no_known_encoding(data, now):
    with pytest.raises(ParseError) as caught:
        iter_file(data, now=now)
    assert caught.value.code == "undecodable"
    assert caught.value.params == {}


PESTICIDE = [["通道号", "样品编号", "样品名称", "检测结果", "检测时间"],
             ["1", "A", "青菜", "10.5", "2026-11-20 09:00"],
             ["2", "B", "菠菜", "11.5", "2026-11-20 09:01"]]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_file_cut_off_inside_its_last_character(parse, make_csv, encoding):
    data = make_csv(PESTICIDE + [["3", "C", "芹菜"]], encoding=encoding, newline="\n")
    cut = data[:-2]  # the newline and half of 菜
    result = parse(cut)
    assert [r.food for r in result.readings] == ["青菜", "菠菜"]
    assert [(p.row, p.code) for p in result.problems] == [(4, "short_row")]


def test_damaged_utf8_is_not_misread_as_gb18030(now):
    # "中国" in UTF-8 (E4 B8 AD E5 9B BD) happens to be three valid GB18030 characters.
    damaged = ("中国中国,中国\n" * 4).encode("utf-8") + b"\xa1\xa1" + "中国,中国\n".encode("utf-8")
    assert damaged.decode("gb18030")  # GB18030 would "read" it: as mojibake
    with pytest.raises(ParseError) as caught:
        iter_file(damaged, now=now)
    assert caught.value.code == "undecodable"


def test_utf16_without_a_byte_order_mark(parse, make_csv):
    rows = [["通道号", "样品编号", "检测结果", "检测时间"], ["1", "A", "10.5", "2026-11-20 09:00"]]
    for encoding in ("utf-16-le", "utf-16-be"):
        assert len(parse(make_csv(rows, encoding=encoding)).readings) == 1


def test_detection_does_not_need_a_clock(sample):
    # detect_format takes no `now`: it reads the header only.
    assert detect_format(sample("gold_reader.xlsx")) == "gold-xlsx"
