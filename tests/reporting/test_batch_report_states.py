"""A printed batch report tells where the batch stands now: each state of a positive batch
has its own conclusion (read back from the PDF with pdftotext)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.reporting.world import loc

# state → (batch in the world, clock, words the conclusion must say, words it must not say)
STATES = {
    "stopped": ("b1", loc(2026, 11, 30, 16), "该批次已停止销售。经营者可自被告知起4小时内申请实验室复检", "可恢复销售"),
    "disputed": ("a8", None, "经营者已申请实验室复检，复检结果出具前该批次继续停止销售。", "可恢复销售"),
    "released": ("a2", None, "实验室复检未发现问题，该批次已解除停售，可恢复销售，无需处置。", "继续停止销售"),
    "confirmed": ("a7", None, "阳性结果已确认，该批次继续停止销售，须按规定处置。", "可恢复销售"),
    "disposed": ("a1", None, "该批次已按规定处置完毕，全部数量均已落实。", "继续停止销售"),
}


@pytest.mark.parametrize("state", list(STATES))
def test_report_conclusion_follows_the_state(state, world, ctx, clock, pdftext):
    from lims.reporting.batch import batch_report_pdf

    code, now, says, never = STATES[state]
    if now is not None:
        clock(now)
    pdf = batch_report_pdf(world.batches[code])
    _keep_page_image(pdf, f"batch-report-{state}")
    text = re.sub(r"\s+", "", pdftext(pdf))
    assert "快检检出阳性项目" in text
    assert says in text
    assert never not in text
    assert "应立即停止销售" not in text  # the old one-size wording
    others = [s for k, (_, _, s, _) in STATES.items() if k != state]
    assert not [s for s in others if s in text]


# the states before a positive: state → (batch, words it must say, words it must never say); a batch
# with nothing reviewed prints only as a draft (watermarked)
EARLY_STATES = {
    "registered": ("e3", "暂无检测结果。", ("所检项目均为阴性", "快检检出阳性项目", "本报告不对其作出结论")),
    "passed": ("a4", "所检项目均为阴性，本次快检未发现问题。", ("快检检出阳性项目", "本报告不对其作出结论", "阳性处置情况")),
    "retest": ("a5", "结果为可疑或无效，须复测，本报告不对其作出结论。", ("所检项目均为阴性", "快检检出阳性项目")),
    "retest-invalid": ("a6", "结果为可疑或无效，须复测，本报告不对其作出结论。", ("所检项目均为阴性", "快检检出阳性项目")),
}


@pytest.mark.parametrize("state", list(EARLY_STATES))
def test_report_before_any_positive_says_what_is_known(state, world, ctx, pdftext):
    from lims.reporting.batch import batch_report_pdf

    code, says, never = EARLY_STATES[state]
    pdf = batch_report_pdf(world.batches[code], draft=state == "registered")
    _keep_page_image(pdf, f"batch-report-{state}")
    text = re.sub(r"\s+", "", pdftext(pdf))
    assert "食品快速检测报告单" in text and world.batches[code].code in text
    assert says in text
    assert not [w for w in never if w in text], never
    assert "快速检测结果仅为筛查结果" in text


def test_english_report_of_each_state_prints_no_chinese_label(world, ctx, pdftext):
    """In English the labels, conclusions and status words are English; Chinese left is data."""
    from flask_babel import force_locale

    from lims.reporting.batch import batch_report_pdf, build_batch_report

    for code in ("e3", "a4", "a5", "b1", "a8", "a2", "a7", "a1"):
        with force_locale("en"):
            text = pdftext(batch_report_pdf(world.batches[code], draft=code == "e3"))
            issuer = build_batch_report(world.batches[code], True).issuer
        text = text.replace(issuer.name, "").replace(issuer.unit or "", "")  # the issuing body is data
        assert "Rapid Food Test Report" in text and "screening results" in text, code
        for word in ("检测结果", "检测结论", "报告", "阳性", "阴性", "处置", "复检", "样品信息", "样品编号", "签发", "停售",
                     "未发现", "说明", "抽样"):
            assert word not in text, (code, word)


def test_released_report_claims_nothing_left_to_dispose(world, ctx, pdftext):
    from lims.reporting.batch import batch_report_pdf

    text = re.sub(r"\s+", "", pdftext(batch_report_pdf(world.batches["a2"])))
    assert "尚未处置" not in text and "处置期限" not in text
    assert "复检阴性" in text


def test_confirmed_report_still_counts_what_is_left(world, ctx, pdftext):
    from lims.reporting.batch import batch_report_pdf

    text = re.sub(r"\s+", "", pdftext(batch_report_pdf(world.batches["a7"])))
    assert "尚未处置(kg)8" in text


def _keep_page_image(pdf: bytes, name: str) -> None:
    """With LIMS_SCREENSHOTS set (`make screenshots`), keep page images for review."""
    target = os.environ.get("LIMS_SCREENSHOTS")
    if not target:
        return
    out = Path(target) / "reports"
    out.mkdir(parents=True, exist_ok=True)
    source = out / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(out / name)], check=True, timeout=120)
    source.unlink()
