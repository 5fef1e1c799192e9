"""Spreadsheet cells read as the sheet shows them (instruments.md: Excel).

A typed "55.2%" is stored by Excel, WPS and LibreOffice as 0.552 with a percent format; a
Chinese Excel stores 2026年11月20日 and 10时05分 with built-in format ids it never writes out.
The files here were written by LibreOffice and by xlsxwriter (tests/data/instruments/
make_format_variants.py), beside the openpyxl-written ones of the other tests."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from instruments.number_formats import percent_sections, percent_text

UTC = dt.timezone.utc


def local(h, mi, s=0):
    return dt.datetime(2026, 11, 20, h, mi, s, tzinfo=dt.timezone(dt.timedelta(hours=8))).astimezone(UTC)


@pytest.mark.parametrize("code, expected", [
    ("0.00%", (True, True, True)), ("0%", (True, True, True)), ("[$-804]0.0%", (True, True, True)),
    ("[Red]0.00%", (True, True, True)), ("_(* 0.0%_)", (True, True, True)),
    ('0.0"%"', (False, False, False)), ("0.0\\%", (False, False, False)), ("General", (False, False, False)),
    ("", (False, False, False)), ("#,##0.00", (False, False, False)), ('0.00"mg/kg"', (False, False, False)),
    ("0.00%;-0.00", (True, False, True)), ("0.00;-0.00%", (False, True, False)), ("0%;-0%;\"-\"", (True, True, False)),
])
def test_which_sections_of_a_format_show_a_percentage(code, expected):
    assert percent_sections(code) == expected


@pytest.mark.parametrize("value, text", [
    (0.552, "55.2%"), (1, "100%"), (0, "0%"), (0.0001, "0.01%"), (-0.05, "-5%"), (0.125, "12.5%"), (0.6, "60%"),
])
def test_a_percentage_is_shown_without_float_noise(value, text):
    assert percent_text(value) == text


# What every row of the LibreOffice and xlsxwriter files reads as: (value, value_text, tested_at, quantity).
EXPECTED = {
    2: (Decimal("55.2"), None, local(9, 30), Decimal("1234.5")),  # 0.552 shown 55.20 %
    3: (Decimal("12.5"), None, local(9, 31), Decimal("12")),  # 0.125 shown 12.5 %
    4: (Decimal("48.5"), None, local(9, 32), Decimal("30")),  # numbers stored as text
    5: (Decimal("60"), None, local(9, 40), None),  # 0.6 shown 60 %; the time a bare serial day number
    6: (None, "未检出", local(9, 41), None),
}


@pytest.mark.parametrize("name, extra", [
    ("template_formats_libreoffice.xlsx", {}),
    # 0.0"%" shows 55.2% and is 55.2; 检测时间 in the Chinese date format 31 (2026年11月20日).
    ("template_formats_xlsxwriter.xlsx", {7: (Decimal("55.2"), None, local(0, 0), None)}),
])
def test_files_written_by_other_programs_read_as_the_sheet_shows(parse, sample, name, extra):
    result = parse(sample(name), filename=name)
    assert result.format == "template-xlsx" and not result.problems
    got = {r.row: (r.value, r.value_text, r.tested_at, r.quantity_kg) for r in result.readings}
    assert got == {**EXPECTED, **extra}


def test_chinese_date_and_clock_formats_read_as_a_date_and_a_time(parse, sample):
    result = parse(sample("gold_chinese_dates_xlsxwriter.xlsx"))
    assert result.format == "gold-xlsx" and not result.problems
    assert [r.tested_at for r in result.readings] == [local(10, 5), local(10, 6, 30)]


TEMPLATE = ["被检单位*", "样品编号", "样品名称*", "检测项目*", "检测值*", "单位", "检测结论*", "检测人员*", "检测时间*"]


def _template_row(value):
    return ["城东综合市场", "S-1", "青菜", "农药残留", value, "%", "合格", "王丽", "2026-11-20 09:30:00"]


@pytest.mark.parametrize("value, number_format, expected", [
    (0.552, "0.00%", Decimal("55.2")),
    (0.552, "0%", Decimal("55.2")),  # shown 55 %: read at the precision stored, never rounded across a cut-off
    (55.2, '0.0"%"', Decimal("55.2")),
    (55.2, "0.00", Decimal("55.2")),
    (55.2, "General", Decimal("55.2")),
    (1234.5, "#,##0.00", Decimal("1234.5")),
])
def test_an_openpyxl_sheet_with_number_formats(parse, make_xlsx, value, number_format, expected):
    data = make_xlsx([TEMPLATE, _template_row(value)], number_formats={"E2": number_format})
    [reading] = parse(data).readings
    assert reading.value == expected



def test_a_number_whose_style_the_workbook_lacks_reads_as_stored(parse, make_xlsx):
    from tests.instruments.test_instruments_xlsx import rewrite_member

    data = make_xlsx([TEMPLATE, _template_row(55.2)])
    data = rewrite_member(data, "xl/worksheets/sheet1.xml", lambda xml: xml.replace('<c r="E2" t="n">',
                                                                                    '<c r="E2" s="99" t="n">'))
    result = parse(data)
    assert not result.problems
    assert [r.value for r in result.readings] == [Decimal("55.2")]
