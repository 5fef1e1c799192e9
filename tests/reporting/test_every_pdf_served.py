"""Every PDF and workbook the application serves, fetched through its own address, read back
(pdftotext / openpyxl) in Chinese and English, and kept as page images with LIMS_SCREENSHOTS."""
from __future__ import annotations

import re

import pytest

from tests.reporting.conftest import workbook
from tests.reporting.test_batch_report_states import _keep_page_image

CJK_LABELS = ("检测", "报告", "阳性", "阴性", "处置", "复检", "结论", "签发", "停售", "未发现", "公示", "汇总", "一摊一码")

# name → (address, Chinese words it must print, English words it must print)
DOCUMENTS = {
    "app-batch-report": ("/batches/{a1}/report.pdf", ["食品快速检测报告单", "阳性处置情况", "已处置完毕"],
                         ["Rapid Food Test Report", "Handling of the positive result"]),
    "app-monthly-report": ("/reports/monthly.pdf?month=2026-11", ["月度快检报告", "一、总体情况", "编制", "审核", "签发"],
                           ["Monthly Rapid Test Report", "1. Overview"]),
    "app-board": ("/reports/board.pdf?site=SA&day=2026-11-20", ["食品快检结果公示", "检测日期"],
                  ["Rapid Food Test Results", "Tested on"]),
    "app-public-board": ("/public/sites/SA/board.pdf", ["食品快检结果公示", "投诉举报电话"], ["Rapid Food Test Results"]),
    "app-event-summary": ("/events/EV-2611-01/summary.pdf", ["活动保障食品快检汇总表", "未检测"],
                          ["Event Food Safety Guarantee", "not tested"]),
    "app-stall-codes": ("/sites/SA/stall-codes.pdf", ["城东农贸市场"], ["城东农贸市场"]),
}


@pytest.fixture
def signed_in(client, actors, world):
    client.login(actors["admin_user"])
    return client


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_every_pdf_served_reads_back_in_both_languages(name, signed_in, world, pdftext):
    path, chinese, english = DOCUMENTS[name]
    path = path.format(a1=world.batches["a1"].code)
    r = signed_in.get(path)
    assert r.status_code == 200 and r.mimetype == "application/pdf", (path, r.status_code)
    _keep_page_image(r.data, name)
    text = re.sub(r"\s+", "", pdftext(r.data))
    for words in chinese:
        assert re.sub(r"\s+", "", words) in text, (name, words)
    r = signed_in.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert r.status_code == 200
    text = pdftext(r.data)
    flat = re.sub(r"\s+", " ", text)
    for words in english:
        assert words in flat, (name, words)
    signed_in.get("/?lang=zh_CN")
    sample = {w for w in CJK_LABELS if w in text}
    # English keeps only data in Chinese (names of markets, foods, people, the issuing body)
    data = {w for w in sample if w in "城东农贸市场家宴服务中心张家婚宴米酒土鸡上城区市场监督管理局食品快检中心检测员甲审核员乙"}
    assert sample <= data, (name, sample - data)


def test_round_labels_and_workbooks_read_back(signed_in, world, ctx, pdftext):
    from lims.reporting.labels import round_labels_pdf

    batches = [world.batches[c] for c in ("a1", "a2", "a4")]
    pdf = round_labels_pdf(None, batches)
    _keep_page_image(pdf, "app-sample-labels")
    text = re.sub(r"\s+", "", pdftext(pdf))
    for b in batches:
        assert b.code in text and b.food in text
    assert "抽样" in text
    r = signed_in.get("/reports/monthly.xlsx?month=2026-11")
    assert r.status_code == 200
    assert workbook(r.data).sheetnames[:2] == ["总体情况", "分市场"]
    r = signed_in.get("/reports/results.xlsx?from=2026-11-01&to=2026-11-30")
    assert r.status_code == 200
    first = next(workbook(r.data).worksheets[0].iter_rows(values_only=True))
    assert first[:2] == ("样品编号", "抽样时间")
    r = signed_in.get("/imports/template.xlsx")
    assert r.status_code == 200 and "填写说明" in workbook(r.data).sheetnames
