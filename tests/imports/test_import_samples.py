"""The four example files import through the service: every row judged by our rules, the
instrument's word kept beside ours, empty channels counted, rows numbered as the user sees
them, results linked to the import and the original kept under DATA_DIR."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from tests.imports.conftest import local, results_of, rows_by_number, sample_bytes


def _batch(db, code):
    from lims.models import Batch

    batch = db.session.execute(sa.select(Batch).where(Batch.code == code)).scalar_one()
    db.session.refresh(batch)
    return batch


def _disposition(db, batch):
    from lims.models import Disposition

    return db.session.execute(sa.select(Disposition).where(Disposition.batch_id == batch.id)).scalar_one_or_none()


# --- pesticide-csv (GB18030, title lines, summary line, an NA channel) ------------------------


def test_pesticide_sample_imports_eleven_results_and_skips_the_empty_channel(world, batches, run, db, app):
    from lims.models import Import, ImportRow

    data = sample_bytes("pesticide_tester.csv")
    report = run(data, "pesticide_tester.csv")

    assert report.status == "committed", report.error
    assert report.format == "pesticide-csv"
    assert (report.rows_total, report.ok, report.no_data, report.rejected, report.unmatched, report.duplicates) == \
        (12, 11, 1, 0, 0, 0)
    assert (report.positives, report.disagreements) == (1, 0)
    rows = rows_by_number(report)
    # Two title lines and the header sit above the data: channel 1 is on line 4, channel 12 on line 15.
    assert sorted(rows) == list(range(4, 16))
    assert all(rows[n].status == "ok" for n in range(4, 15))
    assert rows[15].status == "no_data" and rows[15].outcome is None

    results = results_of(db, report.import_id)
    assert sorted(results) == list(range(4, 15))  # linked to the import, with the row as the user sees it
    assert all(r.import_id == report.import_id for r in results.values())
    assert {r.batch.code for r in results.values()} == {f"S-20261120-{n:03d}" for n in range(1, 12)}
    first = results[4]
    assert first.item.code == "OPC"
    assert first.value == Decimal("12.4") and first.unit == "%"
    assert first.tested_at == local(2026, 11, 20, 9, 11, 5) == datetime(2026, 11, 20, 1, 11, 5, tzinfo=timezone.utc)
    assert first.channel == "1" and first.tester_name == "王丽"
    assert first.method == "GB/T 5009.199-2003" and first.cutoff == Decimal(50)
    assert first.entered_by_id == world.tech.id

    entry = db.session.get(Import, report.import_id)
    assert (entry.status, entry.format, entry.rows_total, entry.imported, entry.no_data, entry.rejected) == \
        ("committed", "pesticide-csv", 12, 11, 1, 0)
    assert entry.created_by_id == world.tech.id and entry.filename == "pesticide_tester.csv"
    logged = db.session.execute(sa.select(ImportRow).where(ImportRow.import_id == entry.id)).scalars().all()
    assert [(r.row_no, r.status) for r in logged] == [(15, "no_data")]


def test_pesticide_row_3_at_62_3_percent_is_positive_and_stops_the_batch(world, batches, run, db):
    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    row = rows_by_number(report)[6]  # channel 3, on line 6 of the file
    assert (row.sample_code, row.outcome, row.instrument_outcome, row.disagrees) == \
        ("S-20261120-003", "positive", "positive", False)

    result = results_of(db, report.import_id)[6]
    assert result.outcome == "positive" and result.reason == "inhibition_at_or_above_cutoff"
    assert result.computed_value == Decimal("62.3") and result.cutoff == Decimal(50)
    assert (result.instrument_word, result.instrument_outcome, result.disagrees) == ("不合格", "positive", False)

    positive = _batch(db, "S-20261120-003")
    disposition = _disposition(db, positive)
    assert disposition is not None and disposition.status == "stopped" and disposition.result_id == result.id
    assert positive.status == "stopped"
    # 44.1 % (channel 9) is below the 50 % cut-off; the NA channel leaves its batch untouched.
    assert results_of(db, report.import_id)[12].outcome == "negative"
    assert _batch(db, "S-20261120-009").status == "passed"
    assert _disposition(db, _batch(db, "S-20261120-009")) is None
    untouched = _batch(db, "S-20261120-012")
    assert untouched.status == "registered" and untouched.results == []


def test_the_original_file_is_kept_under_data_dir(world, batches, run, db, app):
    from lims.imports.services import stored_file
    from lims.models import Import

    data = sample_bytes("pesticide_tester.csv")
    report = run(data, "pesticide_tester.csv")
    entry = db.session.get(Import, report.import_id)
    assert entry.sha256 == report.sha256 == entry.committed_sha256
    path = stored_file(entry)
    assert path is not None and path.is_file()
    assert Path(app.config["DATA_DIR"]) in path.parents
    assert path.read_bytes() == data  # byte for byte, GB18030 and all
    assert report.sha256 in path.name


def test_the_import_is_in_the_audit_trail(world, batches, run, db):
    from lims.audit.services import verify
    from lims.models import AuditEntry

    from lims.audit.timeline import batch_timeline
    from lims.models import Batch, Result

    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    (entry,) = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "import.commit")).scalars().all()
    # One entry covers the file: who, its hash, its counts and the range of results it created.
    assert (entry.subject_type, entry.subject_id, entry.user_id) == ("import", str(report.import_id), world.tech.id)
    assert entry.after["imported"] == 11 and entry.after["sha256"] == report.sha256
    first, last = entry.after["results"]
    ids = db.session.execute(sa.select(Result.id).where(Result.import_id == report.import_id)).scalars().all()
    assert (min(ids), max(ids), len(ids)) == (first, last, 11)
    assert verify().ok
    # Each batch's history tells of the import.
    batch = db.session.execute(sa.select(Batch).where(Batch.code == "S-20261120-001")).scalar_one()
    texts = [t.text for t in batch_timeline(batch)]
    assert any("pesticide_tester.csv" in t for t in texts), texts


# --- gold-xlsx (merged title, Excel date cells, a footer row) ------------------------------------


def test_gold_sample_judges_each_card_from_c_t_and_t_over_c(world, batches, run, db):
    report = run(sample_bytes("gold_reader.xlsx"), "gold_reader.xlsx")
    assert report.status == "committed" and report.format == "gold-xlsx"
    assert (report.rows_total, report.ok, report.rejected, report.no_data) == (6, 6, 0, 0)
    outcomes = {r.row: (r.sample_code, r.outcome, r.instrument_outcome, r.disagrees) for r in report.rows}
    assert outcomes == {
        3: ("S-20261120-101", "negative", "negative", False),  # T/C 0.868 ≥ B 0.8
        4: ("S-20261120-102", "positive", "positive", False),  # T/C 0.178 ≤ A 0.5
        5: ("S-20261120-103", "negative", "negative", False),
        6: ("S-20261120-104", "suspect", "suspect", False),  # 0.686 between A 0.5 and B 0.8
        7: ("S-20261120-105", "invalid", "invalid", False),  # C 0.04 ≤ C_min 0.1
        8: ("S-20261120-106", "negative", "negative", False),
    }
    results = results_of(db, report.import_id)
    assert results[7].reason == "c_line_below_min"
    assert results[6].reason == "gold_between_a_and_b" and results[6].computed_value == Decimal("0.686")
    assert (results[4].c_line, results[4].t_line, results[4].tc_ratio) == (Decimal("1.18"), Decimal("0.21"),
                                                                          Decimal("0.178"))
    assert results[3].tested_at == local(2026, 11, 20, 10, 31)  # a real Excel date cell, local time
    assert {r.item.code for r in results.values()} == {"CLB", "RAC", "MG", "CAP"}
    # The kit lot is not registered: imported, with a warning on every row.
    assert all(r.reagent_lot_id is None for r in results.values())
    assert all(any("KJ-2611-01" in w for w in r.warnings) for r in report.rows)
    assert _batch(db, "S-20261120-102").status == "stopped"
    assert _disposition(db, _batch(db, "S-20261120-102")).status == "stopped"
    assert _batch(db, "S-20261120-104").status == "retest"
    assert _batch(db, "S-20261120-105").status == "retest"
    # 猪肉 is planned for CLB and RAC by default: one negative card leaves it in testing.
    assert _batch(db, "S-20261120-101").status == "testing"


def test_gold_sample_with_its_kit_lot_registered_uses_the_lots_thresholds(world, batches, run, db, lot):
    lots = {code: lot(code, "KJ-2611-01", mode="ratio", c_min=Decimal("0.1"), a=Decimal("0.5"), b=Decimal("0.8"))
            for code in ("CLB", "RAC", "MG", "CAP")}
    report = run(sample_bytes("gold_reader.xlsx"), "gold_reader.xlsx")
    assert report.ok == 6 and all(not r.warnings for r in report.rows)
    results = results_of(db, report.import_id)
    assert results[6].outcome == "suspect" and results[6].reagent_lot_id == lots["MG"].id
    assert results[3].reagent_lot_id == lots["CLB"].id


def test_the_lots_own_thresholds_override_the_items_and_a_disagreement_is_flagged(world, batches, run, db, lot):
    # The maker declares A 0.7 / B 0.9 for this malachite-green lot: 0.686 ≤ A → positive, the reader said 可疑.
    lot("MG", "KJ-2611-01", mode="ratio", c_min=Decimal("0.1"), a=Decimal("0.7"), b=Decimal("0.9"))
    report = run(sample_bytes("gold_reader.xlsx"), "gold_reader.xlsx")
    row = rows_by_number(report)[6]
    assert (row.outcome, row.instrument_outcome, row.disagrees) == ("positive", "suspect", True)
    result = results_of(db, report.import_id)[6]
    assert (result.outcome, result.instrument_word, result.instrument_outcome, result.disagrees) == \
        ("positive", "可疑", "suspect", True)
    assert result.cutoff == Decimal("0.7")
    assert report.disagreements == 1
    assert _batch(db, "S-20261120-104").status == "stopped"


# --- analyzer-csv (UTF-8 with BOM, several items) ----------------------------------------------


def test_analyzer_sample_judges_every_item_kind(world, batches, run, db):
    report = run(sample_bytes("analyzer.csv"), "analyzer.csv")
    assert report.status == "committed" and report.format == "analyzer-csv"
    assert (report.rows_total, report.ok, report.rejected, report.positives) == (6, 6, 0, 1)
    results = results_of(db, report.import_id)
    assert sorted(results) == [2, 3, 4, 5, 6, 7]
    by_row = {n: (r.item.code, r.outcome) for n, r in results.items()}
    assert by_row == {2: ("NO2", "negative"), 3: ("SO2", "negative"), 4: ("HCHO", "negative"),
                      5: ("OPC", "negative"), 6: ("CLB", "negative"), 7: ("NO2", "positive")}
    nitrite = results[7]  # 48.3 mg/kg > 30 mg/kg
    assert nitrite.value == Decimal("48.3") and nitrite.cutoff == Decimal(30) and nitrite.reason == "exceeds_limit"
    assert (nitrite.instrument_word, nitrite.instrument_outcome, nitrite.disagrees) == ("不合格", "positive", False)
    formaldehyde = results[4]  # 未检出 stays a word: never 0
    assert formaldehyde.value is None and formaldehyde.value_text == "未检出"
    assert formaldehyde.qualitative == "negative"
    clenbuterol = results[6]  # judged from T and C: 72.04 / 84.54 = 0.852 ≥ 0.8
    assert clenbuterol.computed_value == Decimal("0.852") and not clenbuterol.signal_mismatch
    assert results[3].unit == "g/kg" and results[3].value == Decimal("0.05")
    assert _batch(db, "S-20261120-206").status == "stopped"
    assert _disposition(db, _batch(db, "S-20261120-206")) is not None


# --- template-xlsx (our own entry template) ------------------------------------------------------


def test_template_sample_rows_have_no_code_and_stay_unmatched_without_create_batches(world, run, db, counts):
    before = counts()
    report = run(sample_bytes("template_example.xlsx"), "template_example.xlsx")
    assert report.status == "committed" and report.format == "template-xlsx"
    assert (report.rows_total, report.ok, report.unmatched) == (3, 0, 3)
    assert [r.row for r in report.rows] == [2, 3, 4]
    after = counts()
    assert after["Result"] == before["Result"] and after["Batch"] == before["Batch"]


def test_template_sample_creates_its_batches_from_site_and_stall(world, run, db):
    from lims.models import Batch

    report = run(sample_bytes("template_example.xlsx"), "template_example.xlsx", create_batches=True)
    assert report.status == "committed"
    assert (report.ok, report.created_batches, report.positives, report.unmatched) == (3, 3, 1, 0)
    results = results_of(db, report.import_id)
    stalls = {n: (r.batch.site.name, r.batch.stall.code, r.batch.food) for n, r in results.items()}
    assert stalls == {2: ("城东综合市场", "A-01", "青菜"), 3: ("城东综合市场", "A-02", "猪肉"),
                      4: ("城东综合市场", "A-03", "韭菜")}
    leek = results[4].batch
    assert results[4].outcome == "positive" and leek.status == "stopped"
    assert leek.supplier is not None and leek.supplier.name == "临平蔬菜批发"
    assert leek.origin == "杭州临平" and leek.quantity_kg == Decimal(15)
    assert results[3].item.code == "RAC" and results[3].value_text == "阴性" and results[3].outcome == "negative"
    assert results[2].batch.sampled_at <= results[2].tested_at
    assert all(r.batch.code in report.batches for r in results.values())
    assert db.session.execute(sa.select(sa.func.count()).select_from(Batch).where(
        Batch.site_id == world.east.id)).scalar_one() == 3
