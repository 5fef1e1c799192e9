"""Keyed seals on audited rows (``lims.audit.seal``): an import names its rows in one trail entry
per chunk instead of one entry per row; its results are sealed as they are inserted, from Python
values, and the seals equal those recomputed from the stored rows; plain-SQL changes, copied seals,
deleted and unsealed rows are caught by ``verify``."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa

from tests.imports.conftest import (ALL_BATCHES, batches, data_dir, register, run, sample_bytes,  # noqa: F401
                                    world)


def _tamper(db, statement, **params):
    db.session.execute(sa.text(statement), params)
    db.session.expire_all()


def _imported(db, report):
    from lims.models import Result

    return db.session.execute(sa.select(Result.id, Result.outcome).where(Result.import_id == report.import_id)
                              .order_by(Result.id)).all()


def test_an_import_names_its_results_in_one_entry_not_one_per_row(db, world, batches, run):
    from lims.audit.services import verify
    from lims.models import AuditEntry

    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    ids = [r.id for r in _imported(db, report)]
    assert len(ids) == 11
    entries = db.session.execute(sa.select(AuditEntry).where(AuditEntry.subject_type == "result")
                                 .order_by(AuditEntry.seq)).scalars().all()
    (entry,) = [e for e in entries if e.action == "result.import"]
    assert not [e for e in entries if e.action == "result.state"]
    assert entry.row_id is None and entry.after["count"] == 11
    assert [i for first, last in entry.after["ids"] for i in range(first, last + 1)] == ids
    moved = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "batch.import_status")).scalars().all()
    assert len(moved) == 1 and not db.session.execute(sa.select(AuditEntry.id).where(
        AuditEntry.action == "batch.state")).first()
    result = verify()
    assert result.ok, result
    assert result.rows >= 11 + len(ALL_BATCHES)


def test_seals_written_from_python_values_equal_seals_of_the_stored_rows(db, world, batches, run):
    from lims.audit.key import audit_key
    from lims.audit.seal import reseal

    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    ids = [r.id for r in _imported(db, report)]
    # Recomputed from what the database stores (as verify reads it): nothing to change.
    assert reseal(db.session, "result", ids, audit_key()) == 0


def test_canonical_text_is_the_same_from_the_driver_and_from_python():
    from lims.audit.seal import _bool, _date, _number, _utc

    four = _number(4)
    assert four(Decimal("45.3000")) == four(45.3) == four(Decimal("45.3")) == "45.3"
    assert four(Decimal("0.66666666666666666667")) == four(0.6666666666666666) == "0.6667"
    assert four(5) == four(5.0) == four(Decimal("5.0000")) == "5"
    assert four(Decimal("0.0000")) == four(0) == "0"
    aware = datetime(2026, 11, 20, 16, 5, 7, 120, tzinfo=timezone(timedelta(hours=8)))
    assert _utc(aware) == _utc("2026-11-20 08:05:07.000120") == _utc(aware.astimezone(timezone.utc)) == \
        _utc(datetime(2026, 11, 20, 8, 5, 7, 120)) == "2026-11-20 08:05:07.000120"
    assert _date(date(2027, 1, 31)) == _date("2027-01-31") == "2027-01-31"
    assert _bool(True) == _bool(1) == "1" and _bool(False) == _bool(0) == "0"


def test_an_imported_result_changed_by_plain_sql_breaks_its_seal(app, db, world, batches, run):
    from lims.audit.services import verify
    from tests.lifecycle.test_audit import _cli_verify

    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    db.session.commit()
    rid = next(r.id for r in _imported(db, report) if r.outcome == "positive")
    _tamper(db, "UPDATE results SET outcome = 'negative' WHERE id = :id", id=rid)
    result = verify()
    assert not result.ok and (result.problem, result.subject) == ("seal", f"result {rid}")
    code, text = _cli_verify(app)
    assert code == 1 and f"result {rid}" in text and "seal" in text


def test_a_seal_copied_from_a_row_with_the_same_values_does_not_match(db, world, batches, run):
    """The seal covers the row's identity: another row's seal is no use, even with equal values."""
    from lims.audit.services import verify

    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    (a, _), (b, _) = _imported(db, report)[:2]
    columns = ("batch_id", "item_id", "outcome", "value", "value_text", "qualitative", "control_delta",
               "sample_delta", "c_line", "t_line", "tc_ratio", "computed_value", "cutoff", "reagent_lot_id",
               "tested_at", "reviewed_at", "reviewed_by_id", "seal")
    _tamper(db, f"UPDATE results SET {', '.join(f'{c} = (SELECT {c} FROM results WHERE id = :b)' for c in columns)} "
                "WHERE id = :a", a=a, b=b)
    result = verify()
    assert not result.ok and result.subject == f"result {a}" and result.problem == "seal"


def test_a_batch_status_moved_by_an_import_is_sealed(db, world, batches, run):
    from lims.audit.services import verify
    from lims.models import Batch

    run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    assert verify().ok
    moved = db.session.execute(sa.select(Batch.id).where(Batch.status != "registered").order_by(Batch.id)).scalar()
    _tamper(db, "UPDATE batches SET status = 'registered', verdict = NULL WHERE id = :id", id=moved)
    result = verify()
    assert not result.ok and result.subject == f"batch {moved}" and result.problem in {"seal", "state"}


def test_a_deleted_imported_result_is_missing(db, world, batches, run):
    from lims.audit.services import verify

    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    rid = next(r.id for r in _imported(db, report) if r.outcome == "negative")
    _tamper(db, "DELETE FROM results WHERE id = :id", id=rid)
    result = verify()
    assert not result.ok and (result.problem, result.subject) == ("missing", f"result {rid}")


def test_an_unsealed_row_is_unaudited_until_the_baseline_seals_it(db, world, batches, run):
    from lims.accounts.access import Actor
    from lims.audit.services import baseline, verify

    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    rid = _imported(db, report)[3].id
    _tamper(db, "UPDATE results SET seal = NULL WHERE id = :id", id=rid)
    result = verify()
    assert not result.ok and (result.problem, result.subject) == ("unaudited", f"result {rid}")
    assert baseline(Actor(user=None, ip="cli")) == 1
    assert verify().ok
    assert baseline(Actor(user=None, ip="cli")) == 0


def test_an_import_sets_a_moved_batch_status_verdict_and_seal_in_one_update(app, db, world, batches, run):
    """The batches whose status an import moves are written with their seal in the same
    ``UPDATE … SET status, verdict, seal`` (no separate status update, seal update or read-back
    of the seals), their version bumped once, and the seals are those of the stored rows."""
    from lims.audit.key import audit_key
    from lims.audit.seal import reseal
    from lims.audit.services import verify
    from lims.models import Batch

    before = dict(db.session.execute(sa.select(Batch.id, Batch.row_version)).all())
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.lower().split()))

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    updates = [s for s in statements if s.startswith("update batches")]
    assert updates
    assert all("status=" in s.replace(" ", "") and "seal=" in s.replace(" ", "") for s in updates), updates
    assert not [s for s in statements if s.startswith("select") and "batches.seal" in s and "batches.code" not in s]
    moved = db.session.execute(sa.select(Batch.id, Batch.row_version).where(Batch.status != "registered")).all()
    assert moved and all(version == before[bid] + 1 for bid, version in moved)
    assert reseal(db.session, "batch", [bid for bid, _ in moved], audit_key()) == 0
    assert verify().ok


def test_update_sealed_refuses_rows_that_do_not_exist_and_changes_nothing(db, world, batches):
    import pytest

    from lims.audit.key import audit_key
    from lims.audit.seal import update_sealed
    from lims.models import Batch

    bid, status, seal = db.session.execute(sa.select(Batch.id, Batch.status, Batch.seal).order_by(Batch.id)).first()
    missing = db.session.execute(sa.select(sa.func.max(Batch.id))).scalar() + 1
    with pytest.raises(LookupError):
        update_sealed(db.session, "batch", ("status", "verdict"), {("tested", "pass"): [bid, missing]}, audit_key())
    db.session.expire_all()
    assert db.session.execute(sa.select(Batch.status, Batch.seal).where(Batch.id == bid)).one() == (status, seal)
