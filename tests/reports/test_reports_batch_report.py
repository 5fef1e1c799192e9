"""The batch test report: content, wording rules, draft watermark, pages."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
import report_samples as S
from report_tools import EN, ZH, page_count, pdf_text, squeeze

from reports.data import ResultLine
from lims.reporting.text import text_for
from reports.pdf.batch_report import render_batch_report



@pytest.fixture
def text_of(cjk_font, tmp_path):
    def render(report, **kwargs) -> str:
        return squeeze(pdf_text(render_batch_report(report, ZH, font=cjk_font, **kwargs), tmp_path))

    return render


def test_negative_report_shows_sample_results_and_pass_wording(text_of):
    text = text_of(S.batch_report())
    for expected in ("食品快速检测报告单", "CD-2026-11-0207", "CD20261120-0007", "城东综合市场", "A-01", "王建国",
                     "萧山蔬菜专业合作社", "杭州萧山", "40", "2026-11-2008:15", "李娜", "有机磷和氨基甲酸酯类农药",
                     "GB/T5009.199-2003", "NC-2611", "12.4%", "≥50", "阴性", "王丽", "2026-11-2009:31", "李强",
                     "2026-11-2010:05", "本次快检未发现问题", "第1页共1页", "杭州市上城区市场监督管理局",
                     "城东综合市场快检室"):
        assert expected in text, expected


def test_screening_disclaimer_and_no_safety_claims(text_of):
    for report in (S.batch_report(), S.batch_report(positive=True)):
        text = text_of(report)
        assert squeeze("快速检测结果仅为筛查结果，不作为执法依据，不能替代实验室检验。") in text
        assert "不作为执法依据" in text and "不能替代实验室检验" in text
        assert "安全" not in text
        assert "合格食品" not in text


def test_english_report_never_says_safe(cjk_font, tmp_path):
    text = pdf_text(render_batch_report(S.batch_report(), EN, font=cjk_font), tmp_path)
    assert "Rapid Food Test Report" in text
    assert "screening results" in text
    assert "safe" not in text.lower()
    assert "No problem found in this rapid test" in " ".join(text.split())


def test_positive_report_has_disposition(text_of):
    text = text_of(S.batch_report(positive=True), status_words={"disposed": "已处置完毕"})
    for expected in ("阳性", "检出阳性项目", "阳性处置情况", "已处置完毕", "2026-11-2009:50", "2026-11-2013:50",
                     "浙江省食品药品检验研究院", "ZJFDC-2026-11873", "复检阳性", "销毁", "15.5", "粉碎后无害化处理",
                     "城东所林平", "4小时内申请复检", "已按要求热处理后检测"):
        assert expected in text, expected
    assert "本次快检未发现问题" not in text  # a positive batch is never worded as a pass


def test_suspect_and_invalid_are_not_passes(text_of):
    report = S.batch_report()
    lines = (
        ResultLine(item="克伦特罗", outcome="invalid", value_text="无效", unit="μg/kg", cutoff="0.5"),
        ResultLine(item="莱克多巴胺", outcome="suspect", value_text="可疑", unit="μg/kg", cutoff="0.5"),
    )
    text = text_of(dataclasses.replace(report, results=report.results + lines))
    assert "无效" in text and "可疑" in text
    assert "须复测" in text
    assert "所检项目均为阴性，本次快检未发现问题。" not in text


def test_draft_watermark_only_when_asked(cjk_font, tmp_path):
    report = S.batch_report(extra_results=30)
    draft = squeeze(pdf_text(render_batch_report(report, ZH, font=cjk_font, draft=True), tmp_path, raw=True))
    assert draft.count("未审核/草稿DRAFT") == page_count(render_batch_report(report, ZH, font=cjk_font), tmp_path) >= 2
    final = squeeze(pdf_text(render_batch_report(report, ZH, font=cjk_font), tmp_path, raw=True))
    assert "DRAFT" not in final and "草稿" not in final
    assert "签发时间" in final and "签发时间" not in draft  # a draft is not issued


def test_many_results_paginate_with_repeated_header(cjk_font, tmp_path):
    pdf = render_batch_report(S.batch_report(extra_results=40), ZH, font=cjk_font)
    pages = page_count(pdf, tmp_path)
    assert pages >= 2
    text = squeeze(pdf_text(pdf, tmp_path))
    assert f"第{pages}页共{pages}页" in text
    assert text.count("检测依据") >= 2  # header row repeated on the next page


def test_qr_code_is_optional(cjk_font):
    with_qr = render_batch_report(S.batch_report(), ZH, font=cjk_font)
    without = render_batch_report(S.batch_report(verify=False), ZH, font=cjk_font)
    assert with_qr.startswith(b"%PDF") and without.startswith(b"%PDF")
    assert len(with_qr) > len(without)


def test_markup_in_data_is_printed_not_interpreted(text_of):
    report = dataclasses.replace(S.batch_report(), supplier="<b>A&B</b> 合作社", stall="<br/>")
    text = text_of(report)
    assert "<b>A&B</b>合作社" in text


def test_missing_optional_fields_render_as_dash(text_of):
    report = dataclasses.replace(S.batch_report(), stall=None, operator=None, supplier=None, origin=None,
                                 quantity_kg=None, sampled_by=None, purchase_date=None, certificate_no=None,
                                 verify_url=None, issued_at=None, results=())
    text = text_of(report)
    assert "—" in text
    assert "暂无检测结果" in text


def test_quantity_is_printed_from_decimal(text_of):
    report = dataclasses.replace(S.batch_report(), quantity_kg=Decimal("12.345"))
    assert "12.35" in text_of(report)  # rounded half-up to two places, never via float


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        text_for("fr")
