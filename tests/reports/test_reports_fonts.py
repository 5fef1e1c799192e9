"""The CJK font: embedded TrueType when installed, STSong-Light fallback otherwise, registered once."""

from __future__ import annotations

import logging
import threading

import pytest
import report_samples as S
from report_tools import ZH, pdf_fonts, pdf_text, require_wqy_font, squeeze

from reports import fonts
from reports.pdf.batch_report import render_batch_report


@pytest.fixture
def fresh_fonts(monkeypatch):
    """An empty registration cache (restored afterwards) and no LIMS_PDF_FONT."""
    monkeypatch.setattr(fonts, "_registered", {})
    monkeypatch.delenv("LIMS_PDF_FONT", raising=False)
    return fonts


def test_wqy_font_is_embedded_as_truetype_subset(cjk_font, tmp_path):
    pdf = render_batch_report(S.batch_report(), ZH, font=cjk_font)
    table = pdf_fonts(pdf, tmp_path)
    cjk_rows = [line for line in table.splitlines() if "WenQuanYi" in line]
    assert cjk_rows, table
    for row in cjk_rows:
        assert "TrueType" in row
        # columns: emb sub uni
        assert " yes yes yes " in row, row
        assert "+" in row.split()[0]  # subset prefix AAAAAA+
    assert b"/FontFile2" in pdf


def test_chinese_text_extracts(cjk_font, tmp_path):
    text = squeeze(pdf_text(render_batch_report(S.batch_report(positive=True), ZH, font=cjk_font), tmp_path))
    for expected in ("检测报告单", "CD20261120-0013", "韭菜", "第1页共2页", "第2页共2页", "阳性"):
        assert expected in text


def test_fallback_to_stsong_when_no_truetype_font(fresh_fonts, monkeypatch, caplog):
    monkeypatch.setattr(fresh_fonts, "CANDIDATE_FONTS", ())
    with caplog.at_level(logging.WARNING, logger="reports.fonts"):
        info = fresh_fonts.register_cjk_font()
    assert info == fonts.FontInfo(name="STSong-Light", path=None, embedded=False)
    assert any("STSong-Light" in r.getMessage() for r in caplog.records)
    pdf = render_batch_report(S.batch_report(), ZH, font=info)
    assert b"/BaseFont /STSong-Light" in pdf
    assert b"/FontFile2" not in pdf  # nothing embedded


def test_cff_fonts_are_skipped(fresh_fonts, monkeypatch, tmp_path, caplog):
    otf = tmp_path / "NotoSansCJK-Regular.otf"
    otf.write_bytes(b"OTTO" + b"\0" * 64)
    disguised = tmp_path / "SourceHanSans.ttf"  # CFF outlines behind a .ttf name
    disguised.write_bytes(b"OTTO" + b"\0" * 64)
    monkeypatch.setattr(fresh_fonts, "CANDIDATE_FONTS", ((str(disguised), 0),))
    with caplog.at_level(logging.WARNING, logger="reports.fonts"):
        info = fresh_fonts.register_cjk_font(str(otf))
    assert info.name == "STSong-Light" and not info.embedded
    assert any("not a usable TrueType font" in r.getMessage() for r in caplog.records)


def test_explicit_path_and_environment(fresh_fonts, monkeypatch):
    path = require_wqy_font()
    monkeypatch.setattr(fresh_fonts, "CANDIDATE_FONTS", ())
    info = fresh_fonts.register_cjk_font(str(path))
    assert info.embedded and info.path == str(path)
    monkeypatch.setattr(fresh_fonts, "_registered", {})
    monkeypatch.setenv("LIMS_PDF_FONT", f"{path}#0")
    from_env = fresh_fonts.register_cjk_font()
    assert from_env.embedded and from_env.path == str(path)


def test_registration_is_idempotent_and_thread_safe(fresh_fonts, monkeypatch):
    path = require_wqy_font()
    loads = []
    real = fresh_fonts.TTFont

    def counting(*args, **kwargs):
        loads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(fresh_fonts, "TTFont", counting)
    monkeypatch.setattr(fresh_fonts.pdfmetrics, "getRegisteredFontNames", lambda: [])
    results = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        results.append(fresh_fonts.register_cjk_font(str(path)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert len(loads) == 1
    assert fresh_fonts.register_cjk_font(str(path)) is results[0]


def test_bold_markup_does_not_crash(cjk_font):
    from reportlab.platypus import Paragraph

    from reports.pdf.page import PageFurniture, render_story
    from reports.pdf.styles import report_styles

    st = report_styles(cjk_font.name)
    pdf = render_story([Paragraph("<b>粗体</b> 与 <i>斜体</i>", st.body)], PageFurniture(font=cjk_font.name,
                                                                                   header_left="测试"))
    assert pdf.startswith(b"%PDF")
