"""Real files vary: title and summary lines, tabs, GB18030, reordered and aliased columns,
full-width numbers, several time formats, ΔA0/ΔAt columns, NY/T 448 rows, and rows that
must be refused (unknown item, expired lot, a time in the future) or kept with a warning
(unknown lot, an item not meant for the food)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.imports.conftest import (ANALYZER_HEADER, PESTICIDE_HEADER, analyzer_row, data_bytes, local,
                                    make_csv, pesticide_row, results_of, row_label, rows_by_number, sample_bytes)


def test_gb18030_tab_file_with_titles_aliases_full_width_numbers_and_four_time_formats(world, batches, run, db):
    report = run(data_bytes("pesticide_gb18030_tab_variants.txt"), "pesticide_gb18030_tab_variants.txt")
    assert report.status == "committed", report.error
    assert report.format == "pesticide-csv"
    # Title, station line, a blank line and the header above the data; 合计 below it.
    assert (report.rows_total, report.ok, report.no_data, report.rejected) == (6, 4, 2, 0)
    rows = rows_by_number(report)
    assert {n: r.status for n, r in rows.items()} == {5: "ok", 6: "ok", 7: "ok", 8: "no_data", 9: "no_data",
                                                      10: "ok"}
    results = results_of(db, report.import_id)
    assert results[5].value == Decimal("12.4")  # １２．４％
    assert results[6].value == Decimal("62.3") and results[6].outcome == "positive"  # ６２．３％
    assert results[7].value == Decimal("48.9") and results[7].outcome == "negative"
    assert results[5].tested_at == local(2026, 11, 20, 9, 31)  # 2026/11/20 9:31
    assert results[6].tested_at == local(2026, 11, 20, 9, 32, 5)  # ISO with T
    assert results[7].tested_at == local(2026, 11, 20, 9, 33, 5)  # 20261120093305
    assert results[10].tested_at == local(2026, 11, 20, 9, 36, 5)
    # Exactly 50.0 % is positive (≥ cut-off); the tester printed 合格: both kept, flagged.
    assert (results[10].outcome, results[10].instrument_outcome, results[10].disagrees) == \
        ("positive", "negative", True)
    assert rows[10].disagrees and report.disagreements == 1
    assert {r.item.code for r in results.values()} == {"OPC"}  # 农药残留 and the long name alike


def test_control_and_sample_deltas_recompute_the_inhibition(world, batches, run, db):
    report = run(data_bytes("pesticide_deltas_methods.csv"), "pesticide_deltas_methods.csv")
    assert report.status == "committed" and report.ok == 6
    results = results_of(db, report.import_id)

    agrees = results[2]  # (0.5 − 0.2) / 0.5 = 60 % as printed
    assert (agrees.outcome, agrees.computed_value, agrees.signal_mismatch, agrees.disagrees) == \
        ("positive", Decimal("60.0"), False, False)
    assert (agrees.control_delta, agrees.sample_delta) == (Decimal("0.500"), Decimal("0.200"))

    mismatch = results[3]  # printed 35.0 but the deltas give 20.0: judged on 20.0 and flagged
    assert (mismatch.outcome, mismatch.computed_value, mismatch.signal_mismatch, mismatch.disagrees) == \
        ("negative", Decimal("20.0"), True, True)

    weak_control = results[4]  # ΔA0 0.25 < 0.3: the control run is invalid
    assert (weak_control.outcome, weak_control.reason, weak_control.disagrees) == \
        ("invalid", "control_below_min", True)

    just_below = results[7]  # 49.8 % < 50 %
    assert just_below.outcome == "negative" and not just_below.disagrees
    rows = rows_by_number(report)
    assert rows[3].disagrees and rows[4].disagrees and rows[4].outcome == "invalid"


def test_ny_t_448_rows_are_judged_at_70_percent(world, batches, run, db):
    report = run(data_bytes("pesticide_deltas_methods.csv"), "pesticide_deltas_methods.csv")
    results = results_of(db, report.import_id)
    ny_62 = results[5]  # 62.3 % is positive under GB/T 5009.199 but not under NY/T 448
    assert ny_62.item.code == "OPC-NY" and ny_62.cutoff == Decimal(70)
    assert (ny_62.outcome, ny_62.instrument_outcome, ny_62.disagrees) == ("negative", "positive", True)
    ny_75 = results[6]
    assert (ny_75.item.code, ny_75.outcome, ny_75.disagrees) == ("OPC-NY", "positive", False)
    gb = results[2]
    assert gb.item.code == "OPC" and gb.cutoff == Decimal(50)


def test_each_row_problem_is_refused_or_warned_with_its_row(world, batches, run, db, lot):
    lot("CLB", "KJ-EXPIRED", expires_on=date(2026, 11, 19))
    for code in ("CLB", "MG"):
        lot(code, "KJ-2611-01")
    report = run(data_bytes("gold_row_problems.xlsx"), "gold_row_problems.xlsx")
    assert report.status == "committed"
    rows = rows_by_number(report)
    assert {n: r.status for n, r in rows.items()} == {3: "rejected", 4: "rejected", 5: "rejected", 6: "ok",
                                                      7: "ok", 8: "ok"}
    assert (report.ok, report.rejected) == (3, 3)

    expired = " ".join(rows[3].messages)
    assert row_label(3).search(expired) and "2026-11-19" in expired
    unknown_item = " ".join(rows[4].messages)
    assert row_label(4).search(unknown_item) and "苏丹红" in unknown_item
    future = " ".join(rows[5].messages)
    assert row_label(5).search(future) and "2099" in future

    unknown_lot = rows[6]  # kept, without the lot
    assert unknown_lot.outcome == "negative" and any("KJ-NEW-99" in w for w in unknown_lot.warnings)
    wrong_food = rows[7]  # clenbuterol on 青菜: kept, with a warning naming the item
    assert wrong_food.outcome == "negative" and any("克伦特罗" in w for w in wrong_food.warnings)

    results = results_of(db, report.import_id)
    assert sorted(results) == [6, 7, 8]
    assert results[6].reagent_lot_id is None
    assert results[7].batch.code == "S-20261120-001" and results[7].item.code == "CLB"


@pytest.mark.parametrize("expires_on,status", [(date(2026, 11, 20), "ok"), (date(2026, 11, 19), "rejected")])
def test_a_lot_is_usable_through_its_expiry_day(world, batches, run, lot, expires_on, status):
    lot("OPC", "NC-2611", expires_on=expires_on)
    data = make_csv([pesticide_row(1, "S-20261120-001", when="2026-11-20 23:50:00", 试剂批号="NC-2611")],
                    PESTICIDE_HEADER + ["试剂批号"])
    report = run(data, "lot.csv", now=local(2026, 11, 21, 9, 0))
    assert report.rows[0].status == status


def test_refused_rows_are_logged_with_their_reasons(world, batches, run, db, lot):
    from lims.imports.services import row_reason
    from lims.models import ImportRow

    lot("CLB", "KJ-EXPIRED", expires_on=date(2026, 11, 19))
    report = run(data_bytes("gold_row_problems.xlsx"), "gold_row_problems.xlsx")
    logged = {r.row_no: r for r in db.session.query(ImportRow).filter_by(import_id=report.import_id)}
    assert {n: r.status for n, r in logged.items()} == {3: "rejected", 4: "rejected", 5: "rejected"}
    assert "2026-11-19" in row_reason(logged[3])
    assert "苏丹红" in row_reason(logged[4])
    assert "2099" in row_reason(logged[5])
    assert logged[4].item == "苏丹红" and logged[3].sample_code == "S-20261120-101"
    assert all(r.problems for r in logged.values())


def test_a_time_in_the_future_is_judged_against_the_moment_of_import(world, batches, run):
    data = make_csv([pesticide_row(1, "S-20261120-001", when="2026-11-21 09:00:00")], PESTICIDE_HEADER)
    # 09:00 local on the 21st is 01:00 UTC: an hour after NOW (plus five minutes of tolerated drift).
    report = run(data, "future.csv", dry_run=True)
    assert report.rejected == 1 and report.ok == 0
    assert "2026-11-21" in " ".join(report.rows[0].messages)
    later = run(data, "future.csv", now=local(2026, 11, 21, 9, 30))
    assert later.ok == 1


def test_an_unknown_item_in_an_analyzer_dump_is_refused_and_the_others_land(world, batches, run, db):
    rows = [analyzer_row(1, "S-20261120-201"), analyzer_row(2, "S-20261120-202", item="吊白块X", food="银耳",
                                                            unit="mg/kg", value="3", when="2026-11-20 11:06:00")]
    report = run(make_csv(rows, ANALYZER_HEADER), "analyzer-unknown.csv")
    rows_ = rows_by_number(report)
    assert rows_[2].status == "ok" and rows_[3].status == "rejected"
    assert "吊白块X" in rows_[3].messages[0] and row_label(3).search(rows_[3].messages[0])
    assert sorted(results_of(db, report.import_id)) == [2]


@pytest.mark.parametrize("value,word,outcome,disagrees", [
    ("55.0", "合格", "positive", True),
    ("45.0", "不合格", "negative", True),
    ("45.0", "合格", "negative", False),
    ("101.5", "不合格", "invalid", True),  # more than 100 % cannot be
])
def test_our_verdict_wins_and_the_instruments_word_is_kept(world, batches, run, db, value, word, outcome,
                                                            disagrees):
    data = make_csv([pesticide_row(1, "S-20261120-001", value=value, word=word)], PESTICIDE_HEADER)
    report = run(data, f"verdict-{value}-{word}.csv")
    result = results_of(db, report.import_id)[2]
    assert (result.outcome, result.instrument_word, result.disagrees) == (outcome, word, disagrees)
    assert report.disagreements == int(disagrees)


def test_an_over_long_cell_never_breaks_the_import(world, batches, run, db):
    names = ["王丽", "检测员" * 14]  # 42 characters: a team list typed into one cell
    rows = [pesticide_row(1, "S-20261120-001", tester=names[0]), pesticide_row(2, "S-20261120-002", tester=names[1])]
    report = run(make_csv(rows, PESTICIDE_HEADER), "long-tester.csv")
    assert report.status == "committed"
    results = results_of(db, report.import_id)
    assert 2 in results  # the good row landed
    long_row = rows_by_number(report)[3]
    # Either refused with a reason, or kept with the name cut to the column's width.
    assert long_row.status == "rejected" or len(results[3].tester_name or "") <= 32


# --- the parsers' variant files (tests/data/instruments), now through the importer ---------------


@pytest.fixture
def coded(register):
    """Register batches with the given codes at 城东综合市场 A-01, sampled at 08:00 local."""

    def make(*codes, food="青菜"):
        return {c: register(c, "城东综合市场", "A-01", food, sampled_at=local(2026, 11, 20, 8, 0)) for c in codes}

    return make


def test_utf8_bom_tab_file_with_blank_lines_and_a_ny_t_row(world, coded, run, db):
    coded("S-001", "S-002")
    report = run(sample_bytes("pesticide_utf8_bom_tab.txt"), "pesticide_utf8_bom_tab.txt")
    assert (report.ok, report.no_data, report.rejected) == (2, 1, 0)
    results = results_of(db, report.import_id)
    assert (results[5].item.code, results[5].outcome) == ("OPC", "negative")
    assert (results[7].item.code, results[7].cutoff, results[7].outcome) == ("OPC-NY", Decimal(70), "positive")


def test_full_width_file_recomputes_from_its_deltas(world, coded, run, db):
    coded("S-20261120-301", "S-20261120-302", "S-20261120-303")
    report = run(sample_bytes("pesticide_fullwidth.csv"), "pesticide_fullwidth.csv")
    assert report.ok == 3
    results = results_of(db, report.import_id)
    assert [(r.outcome, r.computed_value, r.signal_mismatch) for _, r in sorted(results.items())] == [
        ("negative", Decimal("24.5"), False), ("positive", Decimal("69.8"), False),
        ("negative", Decimal("-1.2"), False)]
    assert results[3].tester_name == "王丽"  # full-width spaces trimmed


def test_times_with_and_without_zones(world, coded, run, db):
    coded(*[f"T-{n:03d}" for n in range(1, 7)])
    report = run(sample_bytes("pesticide_times.csv"), "pesticide_times.csv")
    results = results_of(db, report.import_id)
    nine_31 = local(2026, 11, 20, 9, 31, 5)
    assert {n: results[n].tested_at for n in (2, 4, 5, 6, 7)} == {n: nine_31 for n in (2, 4, 5, 6, 7)}
    assert results[3].tested_at == local(2026, 11, 20, 9, 31)
    rows = rows_by_number(report)
    assert rows[12].status == "rejected" and "2099" in rows[12].messages[0]  # the future
    assert rows[13].status == "rejected" and "2026-02-30" in rows[13].messages[0]  # no such day
    assert rows[14].status == "rejected" and "昨天上午" in rows[14].messages[0]


def test_lower_case_codes_in_a_reordered_utf8_file(world, coded, run, db):
    coded("S-101", "S-102")
    report = run(sample_bytes("pesticide_utf8_reordered.csv"), "pesticide_utf8_reordered.csv")
    assert (report.ok, report.unmatched, report.positives) == (2, 0, 1)
    assert {n: r.batch.code for n, r in results_of(db, report.import_id).items()} == {2: "S-101", 3: "S-102"}


def test_gold_reader_with_both_word_columns_and_serial_dates(world, register, run, db, make_site, make_stall):
    west = make_site(code="CXSC", name="城西市场")
    world.sites["城西市场"] = west
    for n, food in enumerate(["猪肉", "羊肉", "牛肉", "鸡肉", "猪肝"], start=1):
        world.stalls[("城西市场", f"E-{n:02d}")] = make_stall(site=west, code=f"E-{n:02d}")
        register(f"S-20261120-40{n}", "城西市场", f"E-{n:02d}", food)
    report = run(sample_bytes("gold_line_mode.xlsx"), "gold_line_mode.xlsx")
    rows = rows_by_number(report)
    assert {n: r.status for n, r in rows.items()} == {4: "ok", 5: "ok", 6: "no_data", 7: "ok", 8: "rejected"}
    assert "阴性" in rows[8].messages[0] and "不合格" in rows[8].messages[0]  # the reader contradicts itself
    results = results_of(db, report.import_id)
    assert results[5].tested_at == local(2026, 11, 20, 12, 0)  # Excel serial 46346.5
    assert results[5].outcome == "positive"


def test_old_analyzer_firmware_without_codes_creates_batches_from_source(world, run, db, make_stall):
    for n in range(7, 12):
        make_stall(site=world.north, code=f"C-{n:02d}")
    report = run(sample_bytes("analyzer_old_firmware.csv"), "analyzer_old_firmware.csv", create_batches=True)
    assert (report.ok, report.created_batches, report.no_data) == (4, 4, 1)
    results = results_of(db, report.import_id)
    assert {n: (r.batch.stall.code, r.item.code, r.outcome) for n, r in results.items()} == {
        2: ("C-07", "HCHO", "negative"), 3: ("C-08", "MG", "positive"), 4: ("C-09", "SAL", "negative"),
        5: ("C-10", "AFB1", "negative")}
    assert results[2].value_text == "ND" and results[2].value is None
    assert results[4].instrument_outcome == "suspect" and results[4].disagrees  # T/C 0.80 ≥ B: negative


def test_a_row_with_several_problems_counts_once(world, coded, run, db):
    from lims.models import ImportRow
    coded("S-20261120-501")
    report = run(sample_bytes("template_two_sheets.xlsx"), "template_two_sheets.xlsx")
    assert report.format == "template-xlsx"
    assert (report.rows_total, report.ok, report.unmatched, report.no_data, report.rejected) == (5, 1, 1, 1, 2)
    line_4 = [r for r in report.rows if r.row == 4]
    assert len(line_4) == 1
    text = " ".join(line_4[0].messages)
    assert "被检单位" in text and "检测人员" in text and "十斤" in text
    logged = db.session.query(ImportRow).filter_by(import_id=report.import_id, row_no=4).all()
    assert len(logged) == 1 and len(logged[0].problems) == 3
