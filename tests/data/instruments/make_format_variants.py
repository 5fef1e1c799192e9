"""Write the template-xlsx files whose cells carry number formats, as other programs save them.

Run once; the .xlsx files are committed (CI needs neither LibreOffice nor xlsxwriter):

    python tests/data/instruments/make_format_variants.py            # both files
    (LibreOffice: apt-get install libreoffice-calc-nogui; xlsxwriter: pip install xlsxwriter)

- ``template_formats_libreoffice.xlsx``: a flat ODS spreadsheet (written below) converted by
  ``soffice --headless --convert-to xlsx``, the way LibreOffice saves a sheet typed by hand.
- ``template_formats_xlsxwriter.xlsx``: written by xlsxwriter (Excel's own conventions: built-in
  format ids, the Chinese date format id 31 that is never written out), and
  ``gold_chinese_dates_xlsxwriter.xlsx``: a card reader's sheet with the Chinese date and clock
  formats 31, 32 and 33.

Each holds the same kinds of cell: 检测值 typed as a percentage (0.552 shown as 55.20 %), a
number stored as text, a word; 检测时间 as a date cell, as text and as a bare serial day number;
进货数量 with thousands separators. test_instruments_xlsx_formats.py says what each row reads as.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
HEADER = ["检测点名称", "被检单位*", "档口编号", "样品编号", "样品名称*", "食品类别", "检测项目*", "检测值*", "单位",
          "检测结论*", "检测人员*", "检测时间*", "试剂批号", "供货者", "产地", "进货数量(kg)", "备注"]
OPC = "有机磷和氨基甲酸酯类农药"
SERIAL_0940 = (datetime(2026, 11, 20, 9, 40) - datetime(1899, 12, 30)).total_seconds() / 86400

# Each row: (code, food, value cell, word, time cell, quantity cell). A cell is (kind, value):
# kind is text, float, pct0/pct1/pct2 (a percentage shown with 0/1/2 decimals), date, thousands.
ROWS = [
    ("S-20261120-001", "青菜", ("pct2", 0.552), "合格", ("date", datetime(2026, 11, 20, 9, 30)), ("thousands", 1234.5)),
    ("S-20261120-002", "菠菜", ("pct1", 0.125), "合格", ("date", datetime(2026, 11, 20, 9, 31)), ("float", 12)),
    ("S-20261120-003", "芹菜", ("text", "48.5"), "合格", ("text", "2026-11-20 09:32:00"), ("text", "30")),
    ("S-20261120-004", "韭菜", ("pct0", 0.6), "不合格", ("float", SERIAL_0940), None),
    ("S-20261120-005", "生菜", ("text", "未检出"), "合格", ("date", datetime(2026, 11, 20, 9, 41)), None),
]


def _row_cells(code, food, value, word, when, quantity):
    text = lambda v: ("text", v)  # noqa: E731
    return [text("1号快检室"), text("城东综合市场"), text("A-01"), text(code), text(food), text("蔬菜"), text(OPC),
            value, text("%"), text(word), text("王丽"), when, None, None, None, quantity, None]


# --- LibreOffice -----------------------------------------------------------------------------

_FODS_STYLES = """
  <number:percentage-style style:name="N0"><number:number number:decimal-places="0" number:min-integer-digits="1"/><number:text>%</number:text></number:percentage-style>
  <number:percentage-style style:name="N1"><number:number number:decimal-places="1" number:min-integer-digits="1"/><number:text>%</number:text></number:percentage-style>
  <number:percentage-style style:name="N2"><number:number number:decimal-places="2" number:min-integer-digits="1"/><number:text>%</number:text></number:percentage-style>
  <number:number-style style:name="NT"><number:number number:decimal-places="2" number:min-integer-digits="1" number:grouping="true"/></number:number-style>
  <number:date-style style:name="ND"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/><number:text>:</number:text><number:seconds number:style="long"/></number:date-style>
  <style:style style:name="pct0" style:family="table-cell" style:data-style-name="N0"/>
  <style:style style:name="pct1" style:family="table-cell" style:data-style-name="N1"/>
  <style:style style:name="pct2" style:family="table-cell" style:data-style-name="N2"/>
  <style:style style:name="thousands" style:family="table-cell" style:data-style-name="NT"/>
  <style:style style:name="date" style:family="table-cell" style:data-style-name="ND"/>
"""


def _fods_cell(cell) -> str:
    if cell is None:
        return "<table:table-cell/>"
    kind, value = cell
    if kind == "text":
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'
    if kind == "date":
        return (f'<table:table-cell table:style-name="date" office:value-type="date" '
                f'office:date-value="{value:%Y-%m-%dT%H:%M:%S}"><text:p>{value:%Y-%m-%d %H:%M:%S}</text:p>'
                f'</table:table-cell>')
    if kind.startswith("pct"):
        return (f'<table:table-cell table:style-name="{kind}" office:value-type="percentage" office:value="{value!r}">'
                f'<text:p>{value * 100}%</text:p></table:table-cell>')
    style = ' table:style-name="thousands"' if kind == "thousands" else ""
    return (f'<table:table-cell{style} office:value-type="float" office:value="{value!r}"><text:p>{value}</text:p>'
            f'</table:table-cell>')


def fods() -> str:
    rows = ["<table:table-row>" + "".join(_fods_cell(("text", h)) for h in HEADER) + "</table:table-row>"]
    for row in ROWS:
        rows.append("<table:table-row>" + "".join(_fods_cell(c) for c in _row_cells(*row)) + "</table:table-row>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
 <office:automatic-styles>{_FODS_STYLES}</office:automatic-styles>
 <office:body><office:spreadsheet><table:table table:name="检测记录">
 {"".join(rows)}
 </table:table></office:spreadsheet></office:body>
</office:document>
"""


def write_libreoffice(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / target.with_suffix(".fods").name
        source.write_text(fods(), encoding="utf-8")
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to",
                        "xlsx:Calc MS Excel 2007 XML", "--outdir", tmp, str(source)], check=True)
        shutil.copyfile(source.with_suffix(".xlsx"), target)


# --- xlsxwriter ------------------------------------------------------------------------------

def write_xlsxwriter(target: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(target))
    sheet = workbook.add_worksheet("检测记录")
    formats = {"pct0": workbook.add_format({"num_format": "0%"}),
               "pct1": workbook.add_format({"num_format": "0.0%"}),
               "pct2": workbook.add_format({"num_format": "0.00%"}),
               "thousands": workbook.add_format({"num_format": "#,##0.00"}),
               "date": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
               "date31": workbook.add_format({"num_format": 31}),  # yyyy"年"m"月"d"日" in a Chinese Excel
               "literal": workbook.add_format({"num_format": '0.0"%"'})}
    sheet.write_row(0, 0, HEADER)
    rows = [*ROWS,
            # A typed number with a quoted "%" in its format: shown 55.2%, and it is 55.2.
            ("S-20261120-006", "油麦菜", ("literal", 55.2), "不合格", ("date31", datetime(2026, 11, 20)), None)]
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(_row_cells(*row)):
            if cell is None:
                continue
            kind, value = cell
            if kind == "text":
                sheet.write_string(r, c, value)
            elif kind.startswith("date"):
                sheet.write_datetime(r, c, value, formats[kind])
            else:
                sheet.write_number(r, c, value, formats.get(kind))
    workbook.close()


GOLD_HEADER = ["序号", "通道", "样品编号", "样品名称", "被检单位", "检测项目", "检测方法", "卡批号", "C值", "T值", "T/C",
               "检测结果", "检测日期", "检测时间", "检测人员"]


def write_gold_xlsxwriter(target: Path) -> None:
    """A card reader's sheet saved by a Chinese Excel: 检测日期 in the built-in format 31
    (2026年11月20日) and the clock-only 检测时间 in 32 (10时05分) and 33 (10时06分30秒) —
    format ids the file never defines."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(target))
    sheet = workbook.add_worksheet("检测记录")
    day, clock, clock_s = (workbook.add_format({"num_format": n}) for n in (31, 32, 33))
    sheet.write_row(0, 0, GOLD_HEADER)
    for r, (when, fmt) in enumerate([(datetime(1899, 12, 31, 10, 5), clock), (datetime(1899, 12, 31, 10, 6, 30), clock_s)],
                                    start=1):
        sheet.write_row(r, 0, [r, r, f"S-20261120-10{r}", "猪肉", "城东综合市场 B-01", "克伦特罗", "比色法", "KJ-1",
                               1.2, 0.9, 0.75, "阴性"])
        sheet.write_datetime(r, 12, datetime(2026, 11, 20), day)
        sheet.write_number(r, 13, when.hour / 24 + when.minute / 1440 + when.second / 86400, fmt)
        sheet.write_string(r, 14, "李强")
    workbook.close()


if __name__ == "__main__":
    which = set(sys.argv[1:]) or {"libreoffice", "xlsxwriter"}
    if "libreoffice" in which:
        write_libreoffice(HERE / "template_formats_libreoffice.xlsx")
    if "xlsxwriter" in which:
        write_xlsxwriter(HERE / "template_formats_xlsxwriter.xlsx")
        write_gold_xlsxwriter(HERE / "gold_chinese_dates_xlsxwriter.xlsx")
