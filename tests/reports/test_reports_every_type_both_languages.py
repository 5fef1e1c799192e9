"""Every report type, in Chinese and in English, read back: English prints no Chinese except the
data it was given (names, foods, reasons), Chinese prints its own labels from the one catalogue."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date, datetime

import pytest
import report_samples as S
from openpyxl import load_workbook
from report_tools import EN, ZH, pdf_text, squeeze

from reports.excel.monthly_workbook import write_monthly
from reports.excel.results_export import write_results
from reports.excel.template import TEMPLATE_HEADERS, import_template
from reports.pdf.batch_report import render_batch_report
from reports.pdf.board import render_board
from reports.pdf.event_summary import render_event_summary
from reports.pdf.monthly_report import render_monthly_report
from reports.pdf.sample_labels import render_sample_labels
from reports.pdf.stall_stickers import StallSticker, render_stall_stickers
from reports.wording import public_operator_name

CJK_RUN = re.compile(r"[\u3001-\u303f\u4e00-\u9fff\uff01-\uff3e]+")

# Status words as the application passes them (the one wording table, by language).
ZH_WORDS = {"disposed": "已处置完毕", "released": "复检阴性，已放行", "confirmed": "确认阳性，待处置",
            "stopped": "已停售", "disputed": "实验室复检中"}
EN_WORDS = {"disposed": "Disposed of", "released": "Released after lab retest", "confirmed": "Confirmed positive",
            "stopped": "Sale stopped", "disputed": "Lab retest under way"}


def data_strings(value) -> list[str]:
    """Every string inside a sample (dataclasses, sequences, mappings): the domain data."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in data_strings(getattr(value, f.name))]
    if isinstance(value, dict):
        return [s for v in value.items() for s in data_strings(v)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [s for v in value for s in data_strings(v)]
    return []


def stickers() -> list[StallSticker]:
    return [StallSticker(f"A-{i:02d}", f"https://lims.example.cn/public/stalls/P{i:05d}", "王建国") for i in range(1, 8)]


# name → (sample data, render(data, text, status words) → PDF bytes, Chinese labels it must print)
DOCUMENTS = {
    "batch negative": (S.batch_report, lambda d, t, w: render_batch_report(d, t, status_words=w),
                       ["食品快速检测报告单", "样品信息", "检测结果", "检测结论", "所检项目均为阴性，本次快检未发现问题。"]),
    "batch positive": (lambda: S.batch_report(positive=True),
                       lambda d, t, w: render_batch_report(d, t, status_words=w),
                       ["阳性处置情况", "异议与复检", "处置记录", "快检检出阳性项目", "已处置完毕"]),
    "monthly": (S.monthly_report, lambda d, t, w: render_monthly_report(d, t, status_words=w),
                ["月度快检报告", "一、总体情况", "三、分市场情况", "七、阳性样品及处置", "九、红黑榜", "指标定义", "编制"]),
    "monthly empty": (S.empty_monthly_report, lambda d, t, w: render_monthly_report(d, t, status_words=w),
                      ["本月无数据", "本月无阳性"]),
    "board": (S.board, lambda d, t, w: render_board(d, t), ["食品快检结果公示", "检测日期", "投诉举报电话", "阳性样品处置情况"]),
    "labels": (lambda: S.sample_labels(6), lambda d, t, w: render_sample_labels(d, t), ["样品", "抽样"]),
    "event summary": (S.event_summary, lambda d, t, w: render_event_summary(d, t),
                      ["活动保障食品快检汇总表", "活动名称", "检测情况", "共抽检"]),
    "stall stickers": (stickers, lambda d, t, w: render_stall_stickers("城东农贸市场", d, t), []),
}


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_english_prints_no_chinese_but_the_data(name, cjk_font, tmp_path):
    make, render, zh_labels = DOCUMENTS[name]
    data = make()
    strings = data_strings(data)
    # the data, as given or as the public sees a seller's name (王某)
    given = "\n".join(strings + [public_operator_name(s) for s in strings] + ["城东农贸市场"])
    english = pdf_text(render(data, EN, EN_WORDS), tmp_path)
    foreign = [run for run in CJK_RUN.findall(english) if run not in given]
    assert not foreign, f"{name}: Chinese in the English report that is not data: {foreign[:10]}"
    chinese = squeeze(pdf_text(render(data, ZH, ZH_WORDS), tmp_path))
    for label in zh_labels:
        assert squeeze(label) in chinese, (name, label)
    assert not re.search(r"\b(Page|Report no\.|Sample code|Generated)\b", chinese), name


def test_workbooks_in_both_languages_read_back_with_openpyxl():
    report = S.monthly_report()
    given = "\n".join(data_strings(report))
    for text, sheet in ((EN, "Overview"), (ZH, "总体情况")):
        wb = load_workbook(io.BytesIO(write_monthly(report, text, status_words=EN_WORDS if text is EN else ZH_WORDS)))
        assert wb.sheetnames[0] == sheet
        cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
        if text is EN:
            foreign = [run for c in cells for run in CJK_RUN.findall(c) if run not in given]
            assert not foreign, foreign[:10]
    rows = list(S.export_rows(20))
    given = "\n".join(s for r in rows for s in data_strings(r))
    for text in (EN, ZH):
        buffer = io.BytesIO()
        assert write_results(iter(rows), buffer, text, exported_at=datetime(2026, 12, 1, 9, 0, tzinfo=S.CST),
                             period=f"{date(2026, 11, 1)} – {date(2026, 11, 30)}") == 20
        wb = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)
        header = next(wb.worksheets[0].iter_rows(values_only=True))
        assert header[0] == ("Sample code" if text is EN else "样品编号")
        if text is EN:
            cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
            foreign = [run for c in cells for run in CJK_RUN.findall(c) if run not in given]
            assert not foreign, foreign[:10]
        wb.close()
    for text, help_title in ((EN, "How to fill it in"), (ZH, "填写说明")):
        wb = load_workbook(io.BytesIO(import_template(text)))
        assert tuple(c.value for c in wb.worksheets[0][1]) == TEMPLATE_HEADERS  # the file format is one
        assert help_title in [c.value for c in wb["填写说明"][4]]
