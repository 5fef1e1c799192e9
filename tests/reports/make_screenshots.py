"""Render every report with the sample data and save low-resolution page images for review.

Run from the repository root:  .venv/bin/python tests/reports/make_screenshots.py
Writes PNG files (pdftoppm -r 60) to docs/screenshots/reports/. Not a test module.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(HERE)]

import report_samples as S  # noqa: E402
from report_tools import EN, ZH  # noqa: E402
from PIL import Image  # noqa: E402

from reports.fonts import register_cjk_font  # noqa: E402
from reports.monthly_charts import daily_chart, item_positives_chart, site_positive_rate_chart  # noqa: E402
from reports.pdf.batch_report import render_batch_report  # noqa: E402
from reports.pdf.board import render_board  # noqa: E402
from reports.pdf.event_summary import render_event_summary  # noqa: E402
from reports.pdf.monthly_report import render_monthly_report  # noqa: E402
from reports.pdf.sample_labels import render_sample_labels  # noqa: E402
from reports.pdf.stall_stickers import StallSticker, render_stall_stickers  # noqa: E402
from reports.svg import bar_chart_svg, line_chart_svg  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "reports"

# name → (pdf bytes factory, pages to keep)
DOCUMENTS = {
    "batch-report-negative": (lambda: render_batch_report(S.batch_report(), ZH), [1]),
    "batch-report-positive": (lambda: render_batch_report(S.batch_report(positive=True), ZH), [1, 2]),
    "batch-report-draft": (lambda: render_batch_report(S.batch_report(), ZH, draft=True), [1]),
    "batch-report-en": (lambda: render_batch_report(S.batch_report(positive=True), EN), [1]),
    "monthly-report": (lambda: render_monthly_report(S.monthly_report(), ZH), [1, 2, 3, 4, 5, 6]),
    "monthly-report-empty": (lambda: render_monthly_report(S.empty_monthly_report(), ZH), [2, 3]),
    "monthly-report-en": (lambda: render_monthly_report(S.monthly_report(), EN), [2]),
    "board-a4": (lambda: render_board(S.board(), ZH), [1]),
    "board-a3-landscape": (lambda: render_board(S.board(), ZH, paper="A3", landscape=True), [1]),
    "sample-labels": (lambda: render_sample_labels(S.sample_labels(30), ZH, outline=True), [1]),
    "event-summary": (lambda: render_event_summary(S.event_summary(), ZH), [1]),
    "event-summary-en": (lambda: render_event_summary(S.event_summary(), EN), [1]),
    "stall-stickers": (lambda: render_stall_stickers(
        "城东综合市场", [StallSticker(f"A-{i:02d}", f"https://lims.example.cn/public/stalls/P{i:05d}", "王建国")
                      for i in range(1, 13)], ZH, caption="扫码查看本摊位快检结果"), [1]),
}


def shrink(source: Path, target: Path) -> None:
    """Save ``source`` as a 128-colour PNG (a quarter of the size; small red text survives)."""
    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE,
                                      dither=Image.Dither.NONE).save(target, optimize=True)
    source.unlink()


def main() -> None:
    """Render, rasterise the chosen pages, and screenshot the SVG charts when Chromium is there."""
    register_cjk_font()
    OUT.mkdir(parents=True, exist_ok=True)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise SystemExit("pdftoppm (poppler-utils) is needed")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (render, pages) in DOCUMENTS.items():
            pdf = Path(tmp) / f"{name}.pdf"
            pdf.write_bytes(render())
            for page in pages:
                prefix = Path(tmp) / f"{name}-p{page}"
                subprocess.run([pdftoppm, "-r", "60", "-png", "-f", str(page), "-l", str(page), "-singlefile",
                                str(pdf), str(prefix)], check=True)
                shrink(Path(f"{prefix}.png"), OUT / f"{name}-p{page}.png")
                print(OUT / f"{name}-p{page}.png")
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium:
            month = S.monthly_report()
            html = Path(tmp) / "charts.html"
            html.write_text(
                "<!doctype html><meta charset=utf-8><body style='margin:0;background:#fff'>"
                + line_chart_svg(daily_chart(month, ZH), 640, 260) + "<br>"
                + bar_chart_svg(site_positive_rate_chart(month, ZH), 320, 220)
                + bar_chart_svg(item_positives_chart(month, ZH), 320, 220), encoding="utf-8")
            shot = Path(tmp) / "svg-charts.png"
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--screenshot={shot}", "--window-size=645,490", html.as_uri()],
                           check=True, capture_output=True, timeout=120)
            shrink(shot, OUT / "svg-charts.png")
            print(OUT / "svg-charts.png")


if __name__ == "__main__":
    main()
