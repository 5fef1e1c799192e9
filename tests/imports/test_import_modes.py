"""Dry run, commit, default and strict modes, refused files, crashes half-way and
idempotency: what each leaves behind."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from tests.imports.conftest import (NOW, PESTICIDE_HEADER, SAMPLED, PESTICIDE_FOODS, data_bytes, make_csv, make_xlsx,
                                    pesticide_row, results_of, rows_by_number, sample_bytes)

OLE2 = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2048


def _imports(db, sha):
    from lims.models import Import

    return db.session.execute(sa.select(Import).where(Import.sha256 == sha)).scalars().all()


def pesticide_rows(n_from, n_to, **kw):
    return [pesticide_row(n, f"S-20261120-{n:03d}", food=PESTICIDE_FOODS[n - 1], party=f"城东综合市场 A-{n:02d}",
                          when=f"2026-11-20 09:{10 + n:02d}:05", **kw) for n in range(n_from, n_to + 1)]


def zip_bomb() -> bytes:
    buffer = io.BytesIO(make_xlsx(["检测项目", "T/C", "检测时间"], []))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/image1.bin", b"\x00" * (8 * 1024 * 1024))
    return buffer.getvalue()


# --- dry run ------------------------------------------------------------------------------------


def test_a_dry_run_previews_every_row_and_changes_nothing(world, batches, run, db, counts):
    from lims.models import Batch

    before = counts()
    statuses = dict(db.session.execute(sa.select(Batch.code, Batch.status)).all())
    preview = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", dry_run=True)
    assert preview.status == "preview" and preview.dry_run and preview.import_id is None
    assert preview.changed_nothing
    assert (preview.rows_total, preview.ok, preview.no_data, preview.positives) == (12, 11, 1, 1)
    assert len(preview.rows) == 12 and all(r.outcome for r in preview.rows if r.status == "ok")
    assert counts() == before
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(Batch.code, Batch.status)).all()) == statuses

    committed = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    assert committed.status == "committed"
    # The preview is exactly what the commit did.
    assert [(r.row, r.status, r.outcome, r.batch) for r in preview.rows] == \
        [(r.row, r.status, r.outcome, r.batch) for r in committed.rows]


def test_a_positive_tells_the_markets_manager_but_a_preview_does_not(world, batches, run, db):
    from lims.models import Notification

    def notices():
        return db.session.execute(sa.select(Notification.kind, Notification.batch_id).where(
            Notification.user_id == world.manager.id)).all()

    run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", dry_run=True)
    assert notices() == []
    run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    assert notices() == [("positive", batches["S-20261120-003"].id)]


def test_times_without_a_zone_are_in_the_configured_time_zone(world, batches, run, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "TIMEZONE", "Asia/Tokyo")
    from datetime import datetime, timezone

    report = run(make_csv([pesticide_row(1, "S-20261120-001", when="2026-11-20 10:11:05")], PESTICIDE_HEADER),
                 "tokyo.csv")
    (result,) = results_of(db, report.import_id).values()
    assert result.tested_at == datetime(2026, 11, 20, 1, 11, 5, tzinfo=timezone.utc)  # 10:11:05 at +09:00


def test_a_dry_run_that_would_create_batches_creates_none(world, run, counts):
    before = counts()
    preview = run(sample_bytes("template_example.xlsx"), "template_example.xlsx", dry_run=True, create_batches=True)
    assert preview.status == "preview" and preview.created_batches == 3
    assert all(r.creates_batch for r in preview.rows)
    assert counts() == before


def test_the_audit_chain_holds_after_a_dry_run_and_a_commit(world, batches, run):
    from lims.audit.services import verify

    run(sample_bytes("gold_reader.xlsx"), "gold_reader.xlsx", dry_run=True)
    run(sample_bytes("gold_reader.xlsx"), "gold_reader.xlsx")
    run(sample_bytes("analyzer.csv"), "analyzer.csv", dry_run=True)
    result = verify()
    assert result.ok, result


# --- commit, default mode ------------------------------------------------------------------------


def test_a_commit_adds_exactly_the_valid_rows_and_logs_the_others(world, batches, run, db, counts, lot):
    lot("CLB", "KJ-EXPIRED", expires_on=date(2026, 11, 19))
    before = counts()
    report = run(data_bytes("gold_row_problems.xlsx"), "gold_row_problems.xlsx")
    after = counts()
    assert report.status == "committed" and not report.changed_nothing
    assert after["Result"] - before["Result"] == report.ok == 3
    assert after["Import"] - before["Import"] == 1
    assert after["ImportRow"] - before["ImportRow"] == report.rejected == 3
    assert after["Batch"] == before["Batch"]


# --- strict mode ----------------------------------------------------------------------------------


def test_strict_mode_refuses_the_whole_file_and_keeps_only_its_log(world, batches, run, db, counts, lot):
    from lims.imports.services import row_reason
    from lims.models import ImportRow

    lot("CLB", "KJ-EXPIRED", expires_on=date(2026, 11, 19))
    data = data_bytes("gold_row_problems.xlsx")
    before = counts()
    report = run(data, "gold_row_problems.xlsx", strict=True)
    assert report.status == "rejected" and report.changed_nothing
    assert report.rejected == 3 and "3" in report.error
    after = counts()
    assert {k: after[k] - before[k] for k in after} == {"Result": 0, "Batch": 0, "Import": 1, "ImportRow": 3,
                                                          "AuditEntry": 0, "Disposition": 0,
                                                          "Notification": 0}
    (entry,) = _imports(db, report.sha256)
    assert entry.status == "rejected" and entry.strict and entry.committed_sha256 is None
    assert entry.message and entry.id == report.import_id
    logged = db.session.execute(sa.select(ImportRow).where(ImportRow.import_id == entry.id)).scalars().all()
    assert sorted(r.row_no for r in logged) == [3, 4, 5]
    assert all(row_reason(r) for r in logged)
    # A refused file does not count as imported: the same bytes may come in again without strict.
    again = run(data, "gold_row_problems.xlsx")
    assert again.status == "committed" and again.ok == 3


def test_strict_mode_commits_a_clean_file(world, batches, run):
    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", strict=True)
    assert report.status == "committed" and report.ok == 11  # an empty channel is not a rejection


def test_a_strict_dry_run_changes_nothing_at_all(world, batches, run, counts, lot):
    lot("CLB", "KJ-EXPIRED", expires_on=date(2026, 11, 19))
    before = counts()
    report = run(data_bytes("gold_row_problems.xlsx"), "gold_row_problems.xlsx", strict=True, dry_run=True)
    assert report.status == "rejected" and report.error
    assert counts() == before


# --- files refused as a whole ---------------------------------------------------------------------


@pytest.mark.parametrize("name,data,words", [
    ("results.xls", OLE2, [".xlsx"]),
    ("results.xlsx", OLE2, [".xlsx"]),
    ("noise.csv", bytes(range(256)) * 40, []),
    ("empty.csv", b"", []),
    ("plain.csv", "这不是仪器导出的文件\r\n只是一些文字\r\n".encode("utf-8"), []),
    ("bomb.xlsx", None, []),
])
def test_a_refused_file_changes_nothing_but_the_import_log(world, batches, run, db, counts, name, data, words):
    data = zip_bomb() if data is None else data
    before = counts()
    report = run(data, name)
    assert report.status == "rejected" and report.changed_nothing
    assert report.error and all(w in report.error for w in words)
    after = counts()
    assert {k: after[k] - before[k] for k in after} == {"Result": 0, "Batch": 0, "Import": 1, "ImportRow": 0,
                                                          "AuditEntry": 0, "Disposition": 0,
                                                          "Notification": 0}
    (entry,) = _imports(db, report.sha256)
    assert (entry.status, entry.committed_sha256, entry.filename) == ("rejected", None, name)
    assert entry.message == report.error[:500]


def test_a_legacy_xls_is_refused_with_save_as_xlsx(world, run):
    report = run(OLE2, "结果.xls")
    assert report.status == "rejected"
    assert "xlsx" in report.error.lower()


def test_a_file_above_the_configured_size_is_refused(world, batches, run, app, monkeypatch, counts):
    data = sample_bytes("pesticide_tester.csv")
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", len(data) - 1)
    before = counts()
    report = run(data, "pesticide_tester.csv")
    assert report.status == "rejected" and "MB" in report.error
    assert counts()["Result"] == before["Result"]
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", len(data))
    assert run(data, "pesticide_tester.csv").status == "committed"


def test_too_many_rows_refuses_the_file_even_after_chunks_were_written(world, batches, run, app, monkeypatch,
                                                                       counts, db):
    from lims.imports import services

    monkeypatch.setattr(services, "CHUNK", 3)
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 10)
    before = counts()
    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    assert report.status == "rejected" and "10" in report.error
    after = counts()
    assert {k: after[k] - before[k] for k in after} == {"Result": 0, "Batch": 0, "Import": 1, "ImportRow": 0,
                                                          "AuditEntry": 0, "Disposition": 0,
                                                          "Notification": 0}
    assert db.session.execute(sa.select(sa.func.count()).select_from(services.Result)
                              .where(services.Result.import_id.is_not(None))).scalar_one() == 0


def test_a_forced_format_that_does_not_fit_is_refused(world, batches, run):
    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", format="gold-xlsx")
    assert report.status == "rejected" and report.error
    unknown = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", format="no-such-format")
    assert unknown.status == "rejected" and unknown.error
    forced = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", format="pesticide-csv")
    assert forced.status == "committed" and forced.ok == 11


# --- a crash half-way leaves nothing behind -------------------------------------------------------


def _nothing_of(db, sha, data_dir):
    from lims.models import Result

    assert _imports(db, sha) == []
    assert db.session.execute(sa.select(sa.func.count()).select_from(Result)
                              .where(Result.import_id.is_not(None))).scalar_one() == 0
    assert not list(data_dir.rglob(f"{sha}*"))


def test_a_crash_while_opening_a_disposition_leaves_nothing(world, batches, run, db, counts, monkeypatch, data_dir):
    from lims.imports import services
    from lims.results import services as results

    def explode(*args, **kwargs):
        raise RuntimeError("power cut")

    original = results.positives_opened
    monkeypatch.setattr(results, "positives_opened", explode)
    data = sample_bytes("pesticide_tester.csv")
    before = counts()
    with pytest.raises(RuntimeError):
        run(data, "pesticide_tester.csv")
    assert counts() == before
    _nothing_of(db, services.sha256_of(data), data_dir)
    # …and the file imports normally afterwards.
    monkeypatch.setattr(results, "positives_opened", original)
    assert run(data, "pesticide_tester.csv").status == "committed"


def test_a_crash_in_the_second_chunk_leaves_nothing(world, batches, run, db, counts, monkeypatch, data_dir):
    from lims.imports import services

    monkeypatch.setattr(services, "CHUNK", 4)
    original = services._Importer.process
    calls = []

    def second_chunk_fails(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, chunk)

    monkeypatch.setattr(services._Importer, "process", second_chunk_fails)
    data = sample_bytes("pesticide_tester.csv")
    before = counts()
    with pytest.raises(OSError):
        run(data, "pesticide_tester.csv")
    assert calls == [4, 4]
    assert counts() == before
    _nothing_of(db, services.sha256_of(data), data_dir)


def test_small_chunks_give_the_same_result_as_one(world, batches, run, db, monkeypatch):
    from lims.imports import services

    monkeypatch.setattr(services, "CHUNK", 2)
    rows = pesticide_rows(1, 6) + pesticide_rows(1, 1)  # the last row repeats the first record
    report = run(make_csv(rows, PESTICIDE_HEADER), "chunks.csv")
    assert (report.ok, report.duplicates) == (6, 1)
    assert sorted(results_of(db, report.import_id)) == [2, 3, 4, 5, 6, 7]


def test_a_batch_met_again_in_a_later_chunk_is_the_same_batch(world, register, run, db, monkeypatch):
    """Two records of one batch on either side of a chunk boundary, for a test the batch had not
    planned: the later chunk meets the batch as the earlier one left it (the test now planned,
    its first record stored), so the test is planned once, both results count in its status,
    and the first record repeated in a third chunk is a duplicate."""
    from lims.imports import services
    from lims.models import Batch, Result, batch_tests
    from lims.reference.services import get_item

    monkeypatch.setattr(services, "CHUNK", 1)
    batch = register("S-20261120-001", "城东综合市场", "A-01", "青菜", tests=[get_item("CLB")])
    first = pesticide_row(1, "S-20261120-001", when="2026-11-20 09:11:05")
    second = pesticide_row(2, "S-20261120-001", value="61.2", word="不合格", when="2026-11-20 09:12:05")
    report = run(make_csv([first, second, first], PESTICIDE_HEADER), "two-chunks.csv")
    assert report.status == "committed", report.error
    assert (report.ok, report.duplicates, report.positives) == (2, 1, 1)
    planned = db.session.execute(sa.select(batch_tests.c.item_id).where(batch_tests.c.batch_id == batch.id)).scalars()
    assert sorted(planned) == sorted([get_item("CLB").id, get_item("OPC").id])
    outcomes = db.session.execute(sa.select(Result.outcome).where(Result.batch_id == batch.id)
                                  .order_by(Result.import_row)).scalars().all()
    assert outcomes == ["negative", "positive"]
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).status == "stopped"


def test_a_record_repeated_in_a_later_chunk_is_a_duplicate_whatever_batch_it_is_given(world, batches, run, db,
                                                                                       monkeypatch):
    """The record keys of earlier chunks are not held, only their hashes: a record repeated two
    chunks later — even when the user assigns the repeat to another, untouched batch — is found
    among the stored results and reported as a duplicate (not refused by the database)."""
    from lims.imports import services

    monkeypatch.setattr(services, "CHUNK", 2)
    rows = pesticide_rows(1, 5) + pesticide_rows(1, 1)  # row 7 repeats row 2's record
    report = run(make_csv(rows, PESTICIDE_HEADER), "repeat.csv", assignments={7: "S-20261120-009"})
    assert report.status == "committed", report.error
    assert (report.ok, report.duplicates) == (5, 1)
    assert sorted(results_of(db, report.import_id)) == [2, 3, 4, 5, 6]


# --- idempotency ---------------------------------------------------------------------------------


def test_the_same_file_twice_is_already_imported_with_when_and_by_whom(world, batches, run, db, counts):
    from lims.accounts.access import Actor

    data = sample_bytes("pesticide_tester.csv")
    first = run(data, "pesticide_tester.csv")
    before = counts()
    again = run(data, "copy-of-pesticide.csv", actor=Actor(user=world.admin), now=NOW.replace(hour=3))
    assert again.status == "already_imported" and again.changed_nothing
    assert again.import_id == first.import_id
    assert again.previous_at == NOW
    assert again.previous_by == world.tech.display_name
    assert world.tech.display_name in again.error and "2026-11-21" in again.error
    assert counts() == before
    assert run(data, "pesticide_tester.csv", dry_run=True).status == "already_imported"


def test_an_overlapping_export_imports_only_the_new_records(world, batches, run, db, counts):
    first = run(make_csv(pesticide_rows(1, 6), PESTICIDE_HEADER), "morning.csv")
    assert first.ok == 6
    before = counts()
    # The afternoon export repeats the morning's six records (re-exported as tab-separated GB18030,
    # with a title line) and adds five new ones.
    second_bytes = make_csv(pesticide_rows(1, 11), PESTICIDE_HEADER, title=["农药残留速测仪 检测数据"],
                            encoding="gb18030", delimiter="\t")
    second = run(second_bytes, "afternoon.txt")
    assert second.status == "committed"
    assert (second.ok, second.duplicates) == (5, 6)
    rows = rows_by_number(second)
    assert [n for n, r in rows.items() if r.status == "duplicate"] == [3, 4, 5, 6, 7, 8]
    assert counts()["Result"] - before["Result"] == 5
    assert sorted(results_of(db, second.import_id)) == [9, 10, 11, 12, 13]


def test_a_record_repeated_inside_one_file_lands_once(world, batches, run, db):
    rows = pesticide_rows(1, 2) + pesticide_rows(2, 2)
    report = run(make_csv(rows, PESTICIDE_HEADER), "repeat.csv")
    assert (report.ok, report.duplicates) == (2, 1)
    assert rows_by_number(report)[4].status == "duplicate"


# --- positives on batches whose follow-up had already begun ---------------------------------------


def _disposition(db, batch, status):
    from lims.models import Disposition

    d = Disposition(batch_id=batch.id, status=status, opened_at=SAMPLED)
    db.session.add(d)
    batch.status = status
    db.session.commit()
    return d


def test_an_imported_positive_stops_again_a_batch_the_laboratory_had_released(world, batches, run, db):
    from lims.models import AuditEntry, Disposition

    batch = batches["S-20261120-003"]  # positive in the example file
    d = _disposition(db, batch, "released")
    assert run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv").status == "committed"
    db.session.expire_all()
    d = db.session.get(Disposition, d.id)
    assert d.status == "stopped" and d.result_id is not None and d.result.import_id is not None
    assert batch.status == "stopped"
    actions = db.session.execute(sa.select(AuditEntry.action).where(AuditEntry.batch_id == batch.id)).scalars().all()
    assert "disposition.reopen" in actions and "disposition.open" not in actions


def test_an_imported_positive_leaves_an_open_follow_up_as_it_is(world, batches, run, db):
    from lims.models import Disposition, Result

    batch = batches["S-20261120-003"]
    d = _disposition(db, batch, "confirmed")
    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    assert report.status == "committed" and report.positives == 1
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Disposition).where(
        Disposition.batch_id == batch.id)).scalar() == 1
    assert db.session.get(Disposition, d.id).status == "confirmed" and batch.status == "confirmed"
    assert db.session.execute(sa.select(Result.outcome).where(Result.batch_id == batch.id)).scalars().all() == \
        ["positive"]


def test_two_positives_of_one_batch_open_one_disposition_for_the_first(world, batches, run, db):
    from lims.models import AuditEntry, Disposition, Result

    rows = [pesticide_row(1, "S-20261120-001", value="71.0", word="不合格", when="2026-11-20 09:11:05"),
            pesticide_row(2, "S-20261120-001", value="88.0", word="不合格", when="2026-11-20 09:12:05")]
    report = run(make_csv(rows), "two.csv")
    assert (report.status, report.positives) == ("committed", 2)
    batch = batches["S-20261120-001"]
    ds = db.session.execute(sa.select(Disposition).where(Disposition.batch_id == batch.id)).scalars().all()
    first = db.session.execute(sa.select(Result).where(Result.batch_id == batch.id).order_by(Result.tested_at)
                               ).scalars().first()
    assert len(ds) == 1 and ds[0].result_id == first.id and ds[0].status == "stopped"
    opened = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "disposition.open",
                                                            AuditEntry.batch_id == batch.id)).scalars().all()
    assert len(opened) == 1 and opened[0].subject_id == str(ds[0].id)


def test_the_same_signal_under_two_rules_is_judged_by_each(world, batches, run, db):
    # 60 % inhibition: positive by GB/T 5009.199 (≥ 50 %), negative by NY/T 448 (≥ 70 %) — the
    # verdicts the importer remembers are per rule, never per signal alone.
    rows = [pesticide_row(1, "S-20261120-001", value="60.0", word="不合格", when="2026-11-20 09:11:05"),
            pesticide_row(2, "S-20261120-002", value="60.0", word="合格", method="NY/T 448-2001", cutoff="70",
                          when="2026-11-20 09:12:05"),
            pesticide_row(3, "S-20261120-004", value="60.0", word="不合格", when="2026-11-20 09:13:05")]
    report = run(make_csv(rows), "rules.csv")
    results = results_of(db, report.import_id)
    assert [(results[n].outcome, results[n].cutoff) for n in sorted(results)] == \
        [("positive", 50), ("negative", 70), ("positive", 50)]
    assert report.disagreements == 0
