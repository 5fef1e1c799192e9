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
