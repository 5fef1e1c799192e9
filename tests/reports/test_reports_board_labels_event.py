"""The market board, the sample labels and the event summary."""

from __future__ import annotations

import dataclasses
import re

import pytest
import report_samples as S
from report_tools import EN, ZH, page_count, page_size, pdf_text, squeeze

from reports.data import BoardEntry, LabelGrid
from reports.pdf.board import render_board
from reports.pdf.event_summary import render_event_summary
from reports.pdf.sample_labels import render_sample_labels
from reports.wording import public_operator_name

# --------------------------------------------------------------------------- board


def test_board_wording(cjk_font, tmp_path):
    text = squeeze(pdf_text(render_board(S.board(), ZH, font=cjk_font), tmp_path))
    for expected in ("食品快检结果公示", "城东综合市场", "2026-11-20", "本次快检未发现问题", "阳性，已按规定处置",
                     "阳性，处置中", "复测中", "投诉举报电话：12315/0571-87011234", "快速检测结果仅为筛查结果",
                     "已下架，15.5kg在市场管理员监督下销毁", "今日公示12项次：未发现问题8项次，阳性2项次，复测中2项次",
                     "王某", "欧阳某"):
        assert expected in text, expected
    for full_name in ("王建国", "陈秀英", "欧阳明"):
        assert full_name not in text  # surname only on a public board
    assert "安全" not in text


def test_board_prints_the_words_it_is_given(cjk_font, tmp_path):
    # The words are data from the application's wording table; the board adds none of its own.
    board = dataclasses.replace(S.board(), entries=(
        BoardEntry(stall="A-05", operator="李丽", food="豇豆", item="有机磷和氨基甲酸酯类农药", outcome="invalid",
                   wording="复测中"),))
    text = squeeze(pdf_text(render_board(board, ZH, font=cjk_font), tmp_path))
    assert "复测中" in text
    assert "本次快检未发现问题" not in text


@pytest.mark.parametrize(("paper", "landscape", "size"), [
    ("A4", False, (595, 842)), ("A4", True, (842, 595)), ("A3", False, (842, 1191)), ("A3", True, (1191, 842))])
def test_board_paper_sizes(cjk_font, tmp_path, paper, landscape, size):
    pdf = render_board(S.board(), ZH, font=cjk_font, paper=paper, landscape=landscape)
    assert page_size(pdf, tmp_path) == size
    assert "复测中" in pdf_text(pdf, tmp_path)


def test_board_without_results(cjk_font, tmp_path):
    board = dataclasses.replace(S.board(), entries=())
    text = squeeze(pdf_text(render_board(board, ZH, font=cjk_font), tmp_path))
    assert "今日暂无已审核的检测结果" in text and "今日无阳性样品" in text


def test_a_past_day_is_named_not_called_today(cjk_font, tmp_path):
    # printed on the 23rd, the board of the 20th names its day: no "今日" anywhere
    board = dataclasses.replace(S.board(), printed_on=S.board().day.replace(day=23))
    text = squeeze(pdf_text(render_board(board, ZH, font=cjk_font), tmp_path))
    assert "2026-11-20公示12项次：未发现问题8项次" in text
    assert "今日" not in text
    empty = squeeze(pdf_text(render_board(dataclasses.replace(board, entries=()), ZH, font=cjk_font), tmp_path))
    assert "2026-11-20暂无已审核的检测结果" in empty and "2026-11-20无阳性样品" in empty and "今日" not in empty
    english = pdf_text(render_board(board, EN, font=cjk_font), tmp_path)
    assert "12 results on 2026-11-20" in english and "today" not in english.lower()


def test_board_counts_read_in_english_for_one_and_many(cjk_font, tmp_path):
    one = dataclasses.replace(S.board(), entries=S.board().entries[:1])
    assert "1 result today:" in pdf_text(render_board(one, EN, font=cjk_font), tmp_path)
    assert "12 results today:" in pdf_text(render_board(S.board(), EN, font=cjk_font), tmp_path)


def test_board_rejects_unknown_paper(cjk_font):
    with pytest.raises(ValueError):
        render_board(S.board(), ZH, font=cjk_font, paper="Letter")


@pytest.mark.parametrize(("name", "shown"), [("王建国", "王某"), ("李丽", "李某"), ("欧阳明", "欧阳某"),
                                             ("司马", "司某"), ("Zhang Wei", "Z*"), ("", ""), (None, "")])
def test_public_operator_name(name, shown):
    assert public_operator_name(name) == shown


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (24, 1), (25, 2), (30, 2), (49, 3)])
def test_labels_paginate(cjk_font, tmp_path, count, pages):
    items = S.sample_labels(count)
    pdf = render_sample_labels(items, ZH, font=cjk_font)
    assert page_count(pdf, tmp_path) == pages
    text = pdf_text(pdf, tmp_path)
    for item in items:
        assert item.batch_code in text
        assert item.food in text
    assert "城东综合市场" in text and "2026-11-20 07:00" in text


def test_labels_custom_grid(cjk_font, tmp_path):
    grid = LabelGrid(columns=2, rows=5, label_width=90, label_height=50, gap_x=5, gap_y=3)
    pdf = render_sample_labels(S.sample_labels(25), ZH, font=cjk_font, grid=grid)
    assert page_count(pdf, tmp_path) == 3


def test_labels_grid_must_fit_a4(cjk_font):
    with pytest.raises(ValueError, match="A4"):
        render_sample_labels(S.sample_labels(3), ZH, font=cjk_font, grid=LabelGrid(columns=4, label_width=70))


# --------------------------------------------------------------------------- event summary


def test_event_summary(cjk_font, tmp_path):
    summary = S.event_summary()
    text = squeeze(pdf_text(render_event_summary(summary, ZH, font=cjk_font), tmp_path))
    for expected in ("活动保障食品快检汇总表", "李家村王氏婚宴", "农村家宴", "王建华（东家）", "李家村农村家宴中心",
                     "李家村文化礼堂", "320", "32", "JY20261108-001", "硝基呋喃类代谢物", "可疑",
                     "共抽检9批次：已检9批次（阴性8批次，阳性0批次，须复测1批次），未检0批次；检测12项次：阴性11项次，阳性0项次，可疑1项次，无效0项次", "须复测",
                     "快速检测结果仅为筛查结果"):
        assert expected in text, expected
    assert "安全" not in text


def test_event_summary_all_negative_and_english(cjk_font, tmp_path):
    summary = S.event_summary()
    clean = dataclasses.replace(summary, batches=tuple(
        dataclasses.replace(b, results=tuple(dataclasses.replace(r, outcome="negative") for r in b.results),
                            handling=None) for b in summary.batches))
    text = squeeze(pdf_text(render_event_summary(clean, ZH, font=cjk_font), tmp_path))
    assert "本次快检未发现问题" in text
    english = pdf_text(render_event_summary(summary, EN, font=cjk_font), tmp_path)
    assert "Rural banquet" in english and "must be repeated" in " ".join(english.split())


def test_event_summary_never_claims_untested_batches_negative(cjk_font, tmp_path):
    """42 batches, 3 of them (eggs) never tested: the summary says so and never "all negative"."""
    summary = S.event_summary()
    first = summary.batches[0]
    negative = dataclasses.replace(first, results=tuple(dataclasses.replace(r, outcome="negative")
                                                        for r in first.results), handling=None)
    eggs = dataclasses.replace(first, food="鲜鸡蛋", results=(), handling=None)
    partly = dataclasses.replace(negative, untested=("恩诺沙星",))
    batches = (negative,) * 38 + (partly,) + (eggs,) * 3
    text = squeeze(pdf_text(render_event_summary(dataclasses.replace(summary, batches=batches), ZH, font=cjk_font),
                            tmp_path))
    n = len(first.results)
    assert (f"共抽检42批次：已检38批次（阴性38批次，阳性0批次，须复测0批次），未检4批次；检测{39 * n}项次："
            f"阴性{39 * n}项次") in text
    assert "4批次未检测或未检完，不作结论" in text
    assert "未检测" in text
    assert "均为阴性" not in text and "未发现问题。" not in text.split("检测结论")[-1].split("说明")[0]
    clean = dataclasses.replace(summary, batches=(negative,) * 42)
    text = squeeze(pdf_text(render_event_summary(clean, ZH, font=cjk_font), tmp_path))
    assert "全部批次均已检测且均为阴性" in text and "未检0批次" in text


def test_event_summary_counts_of_one_in_english(cjk_font, tmp_path):
    summary = S.event_summary()
    (suspect,) = [b for b in summary.batches if any(r.outcome == "suspect" for r in b.results)]
    one = dataclasses.replace(suspect, results=suspect.results[1:])  # the suspect test alone
    english = " ".join(pdf_text(render_event_summary(dataclasses.replace(summary, batches=(one,)), EN,
                                                     font=cjk_font), tmp_path).split())
    assert "1 batch sampled: 1 tested" in english and "; 1 test: 0 negative" in english
    assert "1 batch with suspect or invalid results must be repeated: no conclusion on it." in english
    assert not re.search(r"\b1 (batches|tests|results)\b", english), english
    chinese = squeeze(pdf_text(render_event_summary(dataclasses.replace(summary, batches=(one,)), ZH,
                                                    font=cjk_font), tmp_path))
    assert "共抽检1批次：已检1批次" in chinese and "检测1项次：" in chinese and "1批次有可疑或无效结果，须复测" in chinese
