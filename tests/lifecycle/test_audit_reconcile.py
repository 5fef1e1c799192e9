"""The trail covers the data: plain-SQL changes to results, batches, dispositions and reagent lots
are caught and named by ``verify``; the chain is keyed (recomputing it without the key is caught);
the legacy segment written before keying; the audit key's configuration."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.lifecycle.conftest import audit_entries, batch_by_code
from tests.lifecycle.test_audit import _cli_verify, _unguard, lifecycle  # noqa: F401  (the fixture)


def _tamper(db, statement, **params):
    db.session.execute(sa.text(statement), params)
    db.session.expire_all()


def test_a_whole_lifecycle_reconciles(db, lifecycle):
    from lims.audit.services import verify

    result = verify()
    assert result.ok, result
    assert result.rows >= 3  # the batch, its result and its disposition at least
    assert result.legacy == 0 and result.keyed_from == audit_entries(db)[0].seq


def test_a_positive_turned_negative_by_plain_sql_is_named(app, db, lifecycle):
    from lims.audit.services import verify

    batch = batch_by_code(db, lifecycle)
    rid = audit_entries(db, batch.id, "result.create")[0].row_id
    _tamper(db, "UPDATE results SET outcome = 'negative' WHERE id = :id", id=rid)
    result = verify()
    assert not result.ok and result.problem == "state"
    assert (result.subject, result.field, result.stored, result.audited) == (f"result {rid}", "outcome", "negative",
                                                                             "positive")
    code, text = _cli_verify(app)
    assert code == 1 and f"result {rid}" in text and "outcome" in text and "'negative'" in text


def test_a_result_moved_to_another_site_than_its_batch_is_named(app, db, lifecycle, make_site):
    """Results carry their batch's site (what the figures filter on); one that does not —
    moved by plain SQL — is named, with the two sites."""
    from lims.audit.services import verify

    batch = batch_by_code(db, lifecycle)
    other = make_site(code="ELSE", name="别处市场")
    rid = audit_entries(db, batch.id, "result.create")[0].row_id
    _tamper(db, "UPDATE results SET site_id = :s WHERE id = :id", s=other.id, id=rid)
    result = verify()
    assert not result.ok and result.problem == "site"
    assert (result.subject, result.field, result.stored, result.audited) == (f"result {rid}", "site_id", other.id,
                                                                             batch.site_id)
    code, text = _cli_verify(app)
    assert code == 1 and f"result {rid}" in text and "site" in text


def test_a_batch_status_changed_by_plain_sql_is_named(app, db, lifecycle):
    from lims.audit.services import verify

    batch = batch_by_code(db, lifecycle)
    _tamper(db, "UPDATE batches SET status = 'released', verdict = 'negative' WHERE id = :id", id=batch.id)
    result = verify()
    assert not result.ok and result.problem == "state"
    assert result.subject == f"batch {batch.id}" and result.field == "status"
    assert (result.stored, result.audited) == ("released", "disposed")


def test_disposed_kilograms_changed_by_plain_sql_are_named(db, lifecycle):
    from lims.audit.services import verify

    batch = batch_by_code(db, lifecycle)
    _tamper(db, "UPDATE disposal_actions SET quantity_kg = 2 WHERE disposition_id IN "
                "(SELECT id FROM dispositions WHERE batch_id = :id)", id=batch.id)
    result = verify()
    assert not result.ok and result.subject.startswith("disposition ") and result.field == "kg"
    assert (result.stored, result.audited) == ("2", "10")


def test_a_reagent_lot_threshold_changed_by_plain_sql_is_named(app, db, admin_actor):
    from datetime import date
    from decimal import Decimal

    from lims.audit.services import verify
    from lims.models import TestItem
    from lims.reference.services import create_lot

    item = db.session.execute(sa.select(TestItem).where(TestItem.code == "CLB")).scalar_one()
    with app.test_request_context("/"):
        lot = create_lot(admin_actor, item, lot="GZ-7", maker="某试剂厂", expires_on=date(2027, 1, 31), mode="ratio",
                         c_min=Decimal("10"), a=Decimal("0.2"), b=Decimal("0.5"), active=True)
    db.session.commit()
    assert verify().ok
    _tamper(db, "UPDATE reagent_lots SET b = 0.9 WHERE id = :id", id=lot.id)
    result = verify()
    assert not result.ok and result.subject == f"reagent_lot {lot.id}" and result.field == "b"
    _tamper(db, "UPDATE reagent_lots SET b = 0.5, expires_on = '2099-12-31' WHERE id = :id", id=lot.id)
    result = verify()
    assert not result.ok and result.field == "expires_on" and result.stored == "2099-12-31"


def _item_id(db):
    from lims.models import TestItem

    return db.session.execute(sa.select(TestItem.id).where(TestItem.code == "CLB")).scalar_one()


def test_a_row_deleted_or_added_by_plain_sql_is_named(db, lifecycle):
    from lims.audit.services import verify

    batch = batch_by_code(db, lifecycle)
    _tamper(db, "INSERT INTO reagent_lots (item_id, lot, expires_on, active, created_at, row_version) "
                "VALUES (:item, 'SLIPPED-IN', '2027-01-01', :yes, '2026-12-01 00:00:00.000000', 1)",
            item=_item_id(db), yes=True)
    result = verify()
    assert not result.ok and result.problem == "unaudited" and result.subject.startswith("reagent_lot ")
    db.session.rollback()  # only the insert: the lifecycle stays
    rid = audit_entries(db, batch.id, "result.create")[0].row_id
    assert verify().ok
    for statement in ("UPDATE dispositions SET result_id = NULL WHERE batch_id = :b",
                      "DELETE FROM results WHERE id = :id"):
        _tamper(db, statement, b=batch.id, id=rid)
    result = verify()
    assert not result.ok and result.problem in {"missing", "state"}
    assert result.subject in {f"result {rid}", f"disposition {audit_entries(db, batch.id, 'disposition.open')[0].row_id}"}


def test_reordering_entries_is_caught(db, lifecycle):
    from lims.audit.services import verify

    entries = audit_entries(db)
    a, b = entries[2].seq, entries[3].seq
    _unguard(db)
    _tamper(db, "UPDATE audit_entries SET seq = -1 WHERE seq = :a", a=a)
    _tamper(db, "UPDATE audit_entries SET seq = :a WHERE seq = :b", a=a, b=b)
    _tamper(db, "UPDATE audit_entries SET seq = :b WHERE seq = -1", b=b)
    result = verify()
    assert not result.ok and result.broken_seq == a and result.problem in {"link", "hash"}


def test_a_chain_recomputed_without_the_key_is_caught(db, lifecycle):
    """Someone with the database but not the key rewrites a positive and recomputes every hash
    from there on, as entries from before the sealing step (no entry seal, hashes chained by
    content). Keyed under a guessed key or passed off as the unkeyed legacy segment, the first
    one fails after entries with seals; all of them rewritten as legacy, no row has an audited
    state."""
    from lims.audit.chain import entry_hash
    from lims.audit.services import verify
    from lims.models import AuditEntry, AuditHead

    from tests.lifecycle.test_audit import seal_all

    seal_all(db)

    def rewrite(start_seq, *, keyed: bool):
        _unguard(db)
        rows = db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.pos)).scalars().all()
        at = next(i for i, e in enumerate(rows) if e.seq == start_seq)
        prev = rows[at - 1].hash if at else "0" * 64
        for e in rows[at:]:
            after = dict(e.after or {}, outcome="negative") if e.action == "result.create" else e.after
            extra = {"key": b"not the key" * 2, "row_id": e.row_id, "state": e.state} if keyed else {}
            h = entry_hash(prev, seq=e.seq, at=e.at, user_id=e.user_id, actor=e.actor, ip=e.ip, action=e.action,
                           subject_type=e.subject_type, subject_id=e.subject_id, batch_id=e.batch_id,
                           before=e.before, after=after, reason=e.reason, **extra)
            db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == e.id).values(
                after=after, prev_hash=prev, hash=h, keyed=keyed, mac=None, row_seal=None))
            prev = h
        db.session.execute(sa.update(AuditHead).values(last_hash=prev))
        db.session.expire_all()

    batch = batch_by_code(db, lifecycle)
    seq = audit_entries(db, batch.id, "result.create")[0].seq
    with db.session.begin_nested() as nested:
        rewrite(seq, keyed=True)
        result = verify()
        assert not result.ok and (result.broken_seq, result.problem) == (seq, "hash")
        nested.rollback()
    with db.session.begin_nested() as nested:
        rewrite(seq, keyed=False)
        result = verify()
        assert not result.ok and (result.broken_seq, result.problem) == (seq, "hash")
        nested.rollback()
    rewrite(audit_entries(db)[0].seq, keyed=False)
    result = verify()
    assert not result.ok and result.problem == "unaudited" and result.legacy == audit_entries(db)[-1].seq


def test_the_legacy_segment_is_checked_unkeyed_and_anchored_by_the_first_keyed_entry(app, db, lifecycle):
    """A database upgraded from before keyed auditing: its old entries are plain SHA-256 without
    row states. Verify names where keyed verification starts, asks for a baseline of the old
    rows, and a change to a legacy entry — recomputed to the end of the segment — breaks the
    first keyed entry's link."""
    from lims.accounts.access import Actor
    from lims.audit.chain import GENESIS, entry_hash
    from lims.audit.services import baseline, verify
    from lims.models import AuditEntry, AuditHead

    db.session.commit()
    _unguard(db)
    # Turn the trail written so far into what the old code wrote: unkeyed, no state.
    prev, pos = GENESIS, 0
    for e in db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.seq)).scalars().all():
        pos += 1
        h = entry_hash(prev, seq=e.seq, at=e.at, user_id=e.user_id, actor=e.actor, ip=e.ip, action=e.action,
                       subject_type=e.subject_type, subject_id=e.subject_id, batch_id=e.batch_id,
                       before=e.before, after=e.after, reason=e.reason)
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == e.id).values(
            prev_hash=prev, hash=h, keyed=False, row_id=None, state=None, pos=pos, mac=None, row_seal=None))
        prev = h
    db.session.execute(sa.update(AuditHead).values(seq=pos, last_hash=prev))
    db.session.expire_all()
    legacy = audit_entries(db)[-1].seq
    result = verify()
    assert not result.ok and result.problem == "unaudited" and result.legacy == legacy
    code, text = _cli_verify(app)
    assert code == 1 and f"#1–#{legacy} are the legacy segment" in text and "lims audit baseline" in text

    assert app.test_cli_runner().invoke(args=["lims", "audit", "baseline"]).exit_code == 0
    result = verify()
    assert result.ok and result.legacy == legacy and result.keyed_from > legacy, result
    code, text = _cli_verify(app)
    assert code == 0 and f"keyed verification starts at entry #{result.keyed_from}" in text
    assert baseline(Actor(user=None, ip="cli")) == 0  # once is enough

    # A legacy entry changed and the segment recomputed: the first keyed entry, once sealed
    # into the chain after the legacy segment, no longer links.
    from tests.lifecycle.test_audit import seal_all

    seal_all(db)
    assert verify().ok
    first_keyed = result.keyed_from
    rows = db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    prev = GENESIS
    for e in [e for e in rows if e.seq <= legacy]:
        after = dict(e.after or {}, food="白菜") if e.action == "batch.create" else e.after
        h = entry_hash(prev, seq=e.seq, at=e.at, user_id=e.user_id, actor=e.actor, ip=e.ip, action=e.action,
                       subject_type=e.subject_type, subject_id=e.subject_id, batch_id=e.batch_id,
                       before=e.before, after=after, reason=e.reason)
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == e.id).values(after=after, prev_hash=prev,
                                                                                      hash=h))
        prev = h
    db.session.expire_all()
    result = verify()
    assert not result.ok and (result.broken_seq, result.problem) == (first_keyed, "link")


def test_production_without_an_audit_key_refuses_to_start_saying_what_to_set(tmp_path, monkeypatch):
    from lims import create_app
    from lims.audit.key import AuditKeyMissing

    for name in ("LIMS_AUDIT_KEY", "LIMS_AUDIT_KEY_DEV", "LIMS_TESTING"):
        monkeypatch.delenv(name, raising=False)
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "DATA_DIR": str(tmp_path / "data"),
              "SECRET_KEY": "s" * 32}

    from lims.config import Config

    class Prod(Config):
        DATABASE_URL = config["DATABASE_URL"]
        DATA_DIR = config["DATA_DIR"]
        SECRET_KEY = config["SECRET_KEY"]

    with pytest.raises(AuditKeyMissing) as exc:
        create_app(Prod)
    assert "LIMS_AUDIT_KEY" in str(exc.value) and "token_hex" in str(exc.value)
    monkeypatch.setenv("LIMS_AUDIT_KEY", "short")
    with pytest.raises(AuditKeyMissing, match="too short"):
        create_app(Prod)
    monkeypatch.setenv("LIMS_AUDIT_KEY", "k" * 40)
    assert create_app(Prod).config["AUDIT_KEY"] == "k" * 40
    monkeypatch.delenv("LIMS_AUDIT_KEY")
    monkeypatch.setenv("LIMS_AUDIT_KEY_DEV", "1")  # `make run`
    assert create_app(Prod).config["AUDIT_KEY_DEV"] is True


def test_the_key_changes_every_hash():
    from datetime import datetime, timezone

    from lims.audit.chain import entry_hash

    fields = dict(seq=1, at=datetime(2026, 12, 4, tzinfo=timezone.utc), user_id=None, actor="system", ip=None,
                  action="batch.create", subject_type="batch", subject_id="B1", batch_id=1, before=None, after=None,
                  reason=None, row_id=1, state={"status": "registered"})
    one, two = entry_hash("0" * 64, key=b"k1" * 16, **fields), entry_hash("0" * 64, key=b"k2" * 16, **fields)
    assert one != two
    assert one != entry_hash("0" * 64, key=b"k1" * 16, **{**fields, "state": {"status": "stopped"}})
