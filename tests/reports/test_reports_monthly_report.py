"""The monthly report: the figures given appear, empty months work, sections and appendix."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
import report_samples as S
from report_tools import EN, ZH, pdf_text, squeeze

from reports.data import BreakdownRow, MonthlyFigures, MonthlyReport
from reports.formats import kg_text, rate_text
from reports.pdf.monthly_report import render_monthly_report


@pytest.fixture
def text_of(cjk_font, tmp_path):
    def render(report, text=ZH) -> str:
        return squeeze(pdf_text(render_monthly_report(report, text, font=cjk_font), tmp_path))

    return render


def test_headline_figures_and_comparison(text_of):
    current = MonthlyFigures(batches=1234, tests=2345, negatives=2300, positives=17, suspects=19, invalids=9,
                             dispositions_closed=15, kg_disposed=Decimal("321.75"), overdue_dispositions=2,
                             objections=3, objections_released=1, objections_confirmed=1, objections_pending=1)
    previous = MonthlyFigures(batches=1100, tests=2000, negatives=1980, positives=10, suspects=6, invalids=4,
                              dispositions_closed=10, kg_disposed=Decimal("100"))
    report = dataclasses.replace(S.monthly_report(), current=current, previous=previous)
    text = text_of(report)
    # 17 / 2317 positives, 2300 / 2317 passes, 15 / 17 closed
    assert rate_text(current.positive_rate) == "0.73%"
    for expected in ("1234", "2345", "2300", "1100", "+134", "+345", "0.73%", "99.27%", "88.24%", "100.00%",
                     "321.75", "+221.75", "+0.23个百分点", "异议复检申请", "复检待出结果"):
        assert expected in text, expected
    assert "本月共检测1234批次、2345项次" in text


def test_tables_lists_ratings_events_appendix(text_of):
    report = S.monthly_report()
    text = text_of(report)
    for row in report.by_site:
        assert row.name in text
    for row in report.by_item:
        assert row.name in text
    for positive in report.positives[:5]:
        assert positive.tested_at.strftime("%Y-%m-%d%H:%M") in text
    total_positives = sum(r.positives for r in report.by_site)
    assert f"合计{sum(r.batches for r in report.by_site)}{sum(r.tests for r in report.by_site)}" in text
    assert str(total_positives) in text
    for expected in ("月度快检报告", "2026年11月", "上城区", "2026-11-01~2026-11-30", "五色预警", "黑榜", "红榜",
                     "陈秀英", "李家村王氏婚宴", "农村家宴", "重大活动保障", "2600", "每日检测项次与阳性数",
                     "各市场阳性率", "各检测项目阳性数", "评级规则", "红黑榜规则", "90天内快检阳性2次及以上",
                     "可疑、无效结果单独统计", "不计为合格", "不是监督抽检数据"):
        assert expected in text, expected
    assert "第1页共" in text


def test_rating_colours_in_words(text_of):
    text = text_of(S.monthly_report())
    for word in ("红", "蓝", "绿"):
        assert word in text
    assert "检出禁用物质" in text


def test_empty_month_renders_without_division_by_zero(text_of):
    text = text_of(S.empty_monthly_report())
    for expected in ("2026年2月", "城北农贸市场", "本月无阳性", "本月无数据", "本月无活动保障", "—", "第1页共"):
        assert expected in text, expected


def test_zero_positives_month_says_so_and_rates_are_exact(text_of):
    rows = (BreakdownRow(name="城东综合市场", tests=120, negatives=118, positives=0, suspects=1, invalids=1,
                         batches=80),)
    report = MonthlyReport(
        issuer=S.REGULATOR, month=date(2026, 3, 1), scope="site", scope_name="城东综合市场",
        current=MonthlyFigures(batches=80, tests=120, negatives=118, positives=0, suspects=1, invalids=1),
        by_site=rows, by_item=rows)
    text = text_of(report)
    assert "本月无阳性" in text
    assert "100.00%" in text  # pass rate 118 / 118: suspect and invalid left out
    assert "0.00%" in text


def test_english_month(text_of):
    text = text_of(S.monthly_report(), EN)
    for expected in ("MonthlyRapidTestReport", "2026-11", "Overview", "Positiverate", "Redlist", "Definitions"):
        assert expected in text, expected


def test_large_month_paginates(cjk_font, tmp_path):
    report = S.large_monthly_report()
    pdf = render_monthly_report(report, ZH, font=cjk_font)
    text = squeeze(pdf_text(pdf, tmp_path))
    assert f"{len(report.positives)}" in text
    assert report.by_site[-1].name in text
    assert kg_text(report.current.kg_disposed) in text


ONE_PLURAL = __import__("re").compile(r"(?<![\d.,:/-])\b1 (?!(?:is|was|has|does|as|of)\b)([a-z]+s)\b")


def test_counts_of_one_read_in_the_singular_in_english(cjk_font, tmp_path):
    """One batch, one test, one untested batch, one unreviewed result: "1 batch", never "1 batches";
    the Chinese reads as it always did."""
    one = MonthlyFigures(batches=1, tests=1, negatives=1, positives=0, suspects=0, invalids=0, batches_untested=1)
    report = dataclasses.replace(S.monthly_report(), current=one, unreviewed=1)
    english = " ".join(pdf_text(render_monthly_report(report, EN, font=cjk_font), tmp_path).split())
    assert "This month 1 batch was tested in 1 test: 1 negative" in english
    assert "1 more batch was registered this month" in english and "1 more result of the month is not yet" in english
    assert not ONE_PLURAL.findall(english), ONE_PLURAL.findall(english)
    chinese = squeeze(pdf_text(render_monthly_report(report, ZH, font=cjk_font), tmp_path))
    assert "本月共检测1批次、1项次" in chinese and "另有1个批次本月登记" in chinese


def test_a_report_read_from_a_replica_says_so_on_its_as_of_line(text_of):
    from io import BytesIO

    from openpyxl import load_workbook

    from reports.excel.monthly_workbook import write_monthly

    report = S.monthly_report()
    assert "副本延迟" not in text_of(report)  # read from the primary: nothing said
    replica = dataclasses.replace(report, replica_as_of=S.at(date(2026, 12, 1), 8, 59), replica_lag_seconds=37)
    assert "数据截至2026-12-0108:59（副本延迟37秒）。" in text_of(replica)
    assert "Dataasof2026-12-0108:59(replicalag37s)." in text_of(replica, EN)
    cells = [c for row in load_workbook(BytesIO(write_monthly(replica, ZH))).worksheets[0].iter_rows(values_only=True)
             for c in row if isinstance(c, str)]
    assert "数据截至 2026-12-01 08:59（副本延迟 37 秒）。" in cells
    plain = [c for row in load_workbook(BytesIO(write_monthly(report, ZH))).worksheets[0].iter_rows(values_only=True)
             for c in row if isinstance(c, str)]
    assert not any("副本延迟" in c for c in plain)
