"""The audit trail without a global lock (issue 15): entries sealed by their writers, chained
afterwards by the sealing step. Deleting, reordering and inserting entries are caught in the
sealed chain and in the unsealed tail; the append-only guard lets only sealing through;
sealing runs from `lims audit seal`, `lims tick` and after write requests."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.lifecycle.conftest import audit_entries, batch_by_code
from tests.lifecycle.test_audit import _cli_verify, _forge_mac, _unguard, lifecycle, seal_all  # noqa: F401


def _delete(db, *seqs):
    from lims.models import AuditEntry

    _unguard(db)
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.seq.in_(seqs)))
    db.session.expire_all()


def test_deleting_the_newest_unsealed_entry_about_a_row_is_stale(app, db, lifecycle):
    """The disposal's entry removed before sealing: the disposition is newer than what its
    last remaining entry recorded."""
    from lims.audit.services import verify

    batch = batch_by_code(db, lifecycle)
    entry = audit_entries(db, batch.id, "disposition.disposal")[0]
    assert entry.pos is None and entry.row_seal
    _delete(db, entry.seq)
    result = verify()
    assert not result.ok and result.problem == "stale" and result.subject == f"disposition {entry.row_id}", result
    code, text = _cli_verify(app)
    assert code == 1 and "an entry about it is missing" in text


def test_deleting_the_unsealed_entry_that_created_a_row_leaves_it_unaudited(db, lifecycle):
    from lims.audit.services import verify

    batch = batch_by_code(db, lifecycle)
    entry = audit_entries(db, batch.id, "result.create")[0]
    others = [e for e in audit_entries(db) if e.subject_type == "result" and e.row_id == entry.row_id
              and e.seq != entry.seq]
    _delete(db, entry.seq, *(e.seq for e in others))
    result = verify()
    assert not result.ok and result.problem == "unaudited" and result.subject == f"result {entry.row_id}"


@pytest.mark.parametrize("sealed", [True, False])
def test_reordering_entries_is_caught(db, lifecycle, sealed):
    """Two entries swap their numbers (unsealed: each entry's seal covers its number), or two
    sealed entries swap their places in the chain."""
    from lims.audit.services import verify
    from lims.models import AuditEntry

    if sealed:
        seal_all(db)
    batch = batch_by_code(db, lifecycle)
    a = audit_entries(db, batch.id, "disposition.objection")[0]
    b = audit_entries(db, batch.id, "disposition.lab_result")[0]
    _unguard(db)
    column = "pos" if sealed else "seq"
    first, second = getattr(a, column), getattr(b, column)
    for entry, value in ((a, -1), (b, first), (a, second)):  # via -1: the column is unique
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == entry.id).values({column: value}))
    db.session.expire_all()
    result = verify()
    assert not result.ok and result.problem in {"hash", "link"}
    if sealed:
        assert result.broken_pos == first
    else:
        assert result.broken_seq == min(first, second)


def _insert(db, **values):
    from lims.database import utcnow
    from lims.models import AuditEntry

    row = dict(seq=0, at=utcnow(), user_id=None, actor="forger", ip="1.2.3.4", action="result.review",
               subject_type="note", subject_id="1", batch_id=None, before=None, after={"ok": True}, reason="x",
               keyed=True, row_id=None, state=None, row_seal=None)
    row.update(values)
    row.setdefault("mac", _forge_mac(AuditEntry(**row), b"a key the forger guessed"))
    db.session.execute(sa.insert(AuditEntry).values(**row))
    db.session.expire_all()


def test_an_entry_inserted_into_the_unsealed_tail_is_caught(db, lifecycle):
    from lims.audit.services import verify

    _insert(db)
    result = verify()
    assert not result.ok and (result.broken_seq, result.problem) == (0, "hash")


def test_an_entry_without_its_seal_in_the_unsealed_tail_is_caught(db, lifecycle):
    from lims.audit.services import verify

    _insert(db, mac=None)
    result = verify()
    assert not result.ok and (result.broken_seq, result.problem) == (0, "unkeyed")
    seal_all(db)  # the sealing step leaves it alone too
    result = verify()
    assert not result.ok and (result.broken_seq, result.problem) == (0, "unkeyed")


def test_an_entry_inserted_into_the_sealed_chain_is_caught(db, lifecycle):
    """Made room for by moving the later ones up one position, linked to its predecessor with
    a guessed key: its link fails; with the links of the others untouched, the next one does."""
    from lims.audit.chain import link_hash
    from lims.audit.services import verify
    from lims.models import AuditEntry

    seal_all(db)
    batch = batch_by_code(db, lifecycle)
    at = audit_entries(db, batch.id, "disposition.objection")[0]
    place, prev_hash = at.pos, at.prev_hash  # (the updates below move ``at`` in the session too)
    _unguard(db)
    later = db.session.execute(sa.select(AuditEntry.id, AuditEntry.pos).where(AuditEntry.pos >= place)
                               .order_by(AuditEntry.pos.desc())).all()
    for eid, pos in later:
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == eid).values(pos=pos + 1))
    db.session.execute(sa.update(sa.table("audit_head", sa.column("seq"))).values(seq=sa.text("seq + 1")))
    key = b"a key the forger guessed"
    mac = _forge_mac(AuditEntry(seq=0, at=at.at, user_id=None, actor="forger", ip=None, action="note",
                                subject_type="note", subject_id="1", batch_id=None, before=None, after=None,
                                reason=None, row_id=None, state=None, row_seal=None), key)
    _insert(db, at=at.at, actor="forger", ip=None, action="note", after=None, reason=None, mac=mac, pos=place,
            prev_hash=prev_hash, hash=link_hash(key, prev_hash, place, mac))
    result = verify()
    assert not result.ok and result.broken_pos == place and result.problem == "hash"


def test_the_guard_lets_through_sealing_only(db, lifecycle):
    """An unsealed entry may be given its place in the chain once; its content never changes,
    and a sealed entry is never sealed again."""
    from lims.models import AuditEntry

    entry = audit_entries(db)[-1]
    for values in ({"reason": "changed"}, {"pos": 10**9, "reason": "changed"}):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.session.begin_nested():
                db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == entry.id).values(**values))
    seal_all(db)
    sealed = db.session.get(AuditEntry, entry.id)
    assert sealed.pos is not None and sealed.hash
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == entry.id).values(hash="0" * 64))


def test_sealing_is_incremental_and_verify_counts_both_parts(app, db, lifecycle, system_actor):
    from lims.audit.services import head, record, seal, verify
    from lims.models import AuditHead

    total = len(audit_entries(db))
    assert head() is None or head()[0] == 0
    first = verify()
    assert first.ok and (first.sealed, first.unsealed) == (0, total)
    assert seal() == total and seal() == 0
    record(system_actor, "test.note", "test", "1")
    result = verify()
    assert result.ok and (result.sealed, result.unsealed) == (total, 1)
    assert seal() == 1
    top = db.session.get(AuditHead, 1)
    assert head() == (total + 1, top.last_hash)
    code, text = _cli_verify(app)
    assert code == 0 and f"{total + 1} sealed in the chain, 0 not sealed yet" in text


def test_the_cli_and_the_tick_seal(app, db, lifecycle):
    runner = app.test_cli_runner()
    total = len(audit_entries(db))
    out = runner.invoke(args=["lims", "audit", "seal"])
    assert out.exit_code == 0 and f"{total} entries sealed" in out.output
    out = runner.invoke(args=["lims", "audit", "head"])
    assert out.exit_code == 0 and out.output.startswith(f"#{total} ")
    out = runner.invoke(args=["lims", "tick"])
    assert out.exit_code == 0 and "0 audit entries sealed" in out.output


def test_write_requests_seal_what_they_wrote_afterwards(app, db, api, world, now, monkeypatch):
    """AUDIT_SEAL_EVERY=0: sealed right after each write request, in a transaction of its own."""
    from datetime import timedelta

    from tests.lifecycle.conftest import local_iso

    monkeypatch.setitem(app.config, "AUDIT_SEAL_EVERY", 0)
    response = api.register(world.tech, site=world.site_a.code, stall=world.stall_a1.code, food="猪肉",
                            quantity_kg=1, sampled_at=local_iso(now - timedelta(hours=1)), tests=["CLB"])
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    assert len(audit_entries(db, action="batch.create")) == 1
    entries = audit_entries(db)
    assert entries and all(e.pos is not None for e in entries)
    from lims.audit.services import verify

    assert verify().ok
