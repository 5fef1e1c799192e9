"""Writing and verifying the audit trail.

Writers serialise on the single ``audit_head`` row (SELECT … FOR UPDATE on PostgreSQL;
SQLite write transactions are serialised already), so the chain never forks. The key and the
row states do not depend on that lock: an entry's hash covers its own content, its state and
the previous hash, whoever assigns the order.

Every audited row (results, batches, dispositions, reagent lots — :mod:`lims.audit.state`)
carries a keyed seal of its audited fields (:mod:`lims.audit.seal`), rewritten whenever an
entry about it is written. Entries about one row also carry its state as read back (so that
``verify`` can name the field someone changed); rows the ORM changed in a transaction without
an entry of their own (a batch's status moved by a result, say) get a ``<subject>.state``
entry when the transaction commits. Rows written in bulk at the driver (imports) are named by
one entry per chunk (:func:`name_rows`), not one per row. ``verify`` checks the chain, then
streams each table once: every row must be named by the trail and match its seal, and every
row the trail names must still be stored."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event, orm

from lims.audit.chain import GENESIS, entry_hash, plain
from lims.audit.key import audit_key
from lims.audit.seal import checker, digest_of, driver_sql, reseal, sealed_select
from lims.audit.state import AUDITED, TABLES, states
from lims.database import utcnow
from lims.extensions import db
from lims.models import AuditEntry, AuditHead

_PENDING = "audit_pending"  # session.info: {(subject_type, id)} changed by the ORM, not yet snapshotted
_ACTOR = "audit_actor"  # session.info: the last actor that wrote an entry in this transaction


def row_id_of(subject_type: str, subject_id, batch_id):
    """The audited row an entry is about (batches are named by code; their id is batch_id).
    Entries naming many rows (:func:`name_rows`) have none: their ids are in ``after``."""
    if subject_type not in AUDITED:
        return None
    if subject_type == "batch":
        return batch_id
    return int(subject_id)


def _head():
    head = db.session.execute(
        sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, last_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def record(actor, action: str, subject_type: str, subject_id, *, before=None, after=None,
           reason: str | None = None, batch_id: int | None = None, at=None) -> AuditEntry:
    """Append one entry: who (actor), when, from where, what, before, after, why — and, for an
    audited row, its state as now stored."""
    key = audit_key()
    db.session.flush()
    row_id = row_id_of(subject_type, subject_id, batch_id)
    state = states(db.session, subject_type, [row_id]).get(row_id) if row_id is not None else None
    head = _head()
    entry = AuditEntry(
        seq=head.seq + 1, at=at or utcnow(), user_id=actor.user_id, actor=actor.name if actor else None,
        ip=actor.ip if actor else None, action=action, subject_type=subject_type,
        subject_id=str(subject_id), batch_id=batch_id, before=plain(before), after=plain(after),
        reason=reason, prev_hash=head.last_hash, keyed=True, row_id=row_id, state=state,
    )
    entry.hash = _hash_of(entry, key)
    head.seq, head.last_hash = entry.seq, entry.hash
    db.session.add(entry)
    db.session.flush()
    if row_id is not None:
        reseal(db.session, subject_type, [row_id], key)
    _covered(actor, [(subject_type, row_id)] if row_id is not None else [])
    return entry


def record_many(actor, entries: list[dict]) -> int:
    """Append many entries under one lock (bulk imports, demo history): the same chain.

    Each entry is a dict with ``action``, ``subject_type``, ``subject_id`` and optionally
    ``batch_id``, ``before``, ``after``, ``reason``, ``at``. Entries about audited rows get
    the rows' states, read back in bulk (write the rows first)."""
    if not entries:
        return 0
    key = audit_key()
    db.session.flush()
    wanted: dict[str, set] = {}
    for e in entries:
        rid = None if e.get("rows") else row_id_of(e["subject_type"], e["subject_id"], e.get("batch_id"))
        if rid is not None:
            wanted.setdefault(e["subject_type"], set()).add(rid)
    known = {subject: states(db.session, subject, ids) for subject, ids in wanted.items()}
    head = _head()
    seq, prev = head.seq, head.last_hash
    now = utcnow()
    rows = []
    for e in entries:
        seq += 1
        rid = None if e.get("rows") else row_id_of(e["subject_type"], e["subject_id"], e.get("batch_id"))
        row = {
            "seq": seq, "at": e.get("at") or now, "user_id": actor.user_id, "actor": actor.name, "ip": actor.ip,
            "action": e["action"], "subject_type": e["subject_type"], "subject_id": str(e["subject_id"]),
            "batch_id": e.get("batch_id"), "before": plain(e.get("before")), "after": plain(e.get("after")),
            "reason": e.get("reason"), "row_id": rid,
            "state": known[e["subject_type"]].get(rid) if rid is not None else None,
        }
        row["hash"] = prev = entry_hash(prev, key=key, **row)
        row["prev_hash"] = rows[-1]["hash"] if rows else head.last_hash
        row["keyed"] = True
        rows.append(row)
    connection = db.session.connection()  # Core executemany: the ORM's bulk path adds nothing here
    for start in range(0, len(rows), 5000):
        connection.execute(AuditEntry.__table__.insert(), rows[start:start + 5000])
    head.seq, head.last_hash = seq, prev
    db.session.flush()
    for subject, ids in wanted.items():
        reseal(db.session, subject, ids, key)
    _covered(actor, [(subject, rid) for subject, ids in wanted.items() for rid in ids])
    return len(rows)


def _ranges(ids: list[int]) -> list[list[int]]:
    """Sorted ids as [first, last] runs (an import's ids are mostly one run)."""
    out: list[list[int]] = []
    for i in ids:
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def name_rows(actor, subject_type: str, ids, action: str, *, at=None, sealed: bool = False,
              chunk: int = 50_000, seals: dict | None = None) -> int:
    """One keyed entry per chunk of rows written in bulk at the driver (imports, the baseline):
    it names the rows (runs of ids) and carries a digest of their seals. The rows are (re)sealed
    from what is stored first, unless ``sealed`` says their writer sealed them already, or
    ``seals`` gives id → the seal just stored for every row (then nothing is read back). Memory
    stays flat; the trail grows by one entry per chunk, not one per row. Returns the entries."""
    model, _ = AUDITED[subject_type]
    ids = sorted(set(ids))
    if not ids:
        return 0
    if seals is not None and len(seals) < len(ids):
        raise ValueError(f"{subject_type}: seals not given for every row named")
    key = audit_key()
    n = 0
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        if seals is not None:
            known = seals
        elif not sealed:
            known = {}
            reseal(db.session, subject_type, part, key, seals=known)
        else:
            known = {}
            for sub in range(0, len(part), 900):
                known.update(db.session.execute(sa.select(model.id, model.seal)
                                                .where(model.id.in_(part[sub:sub + 900]))).all())
        seals_ = [known.get(i) for i in part]
        ranges = _ranges(part)
        n += record_many(actor, [{
            "action": action, "subject_type": subject_type, "subject_id": f"{part[0]}-{part[-1]}", "at": at, "rows": True,
            "after": {"ids": ranges, "count": len(part), "seals": digest_of(seals_)}}])
    return n


def _hash_of(entry: AuditEntry, key: bytes | None) -> str:
    extra = {"key": key, "row_id": entry.row_id, "state": entry.state} if entry.keyed else {}
    return entry_hash(entry.prev_hash, seq=entry.seq, at=entry.at, user_id=entry.user_id,
                      actor=entry.actor, ip=entry.ip, action=entry.action,
                      subject_type=entry.subject_type, subject_id=entry.subject_id,
                      batch_id=entry.batch_id, before=entry.before, after=entry.after, reason=entry.reason,
                      **extra)


# --- rows the ORM changed without an entry of their own -----------------------------------------

def _covered(actor, keys) -> None:
    info = db.session.info
    info[_ACTOR] = actor
    pending = info.get(_PENDING)
    if pending:
        pending.difference_update(keys)


_SUBJECT_OF = {model: subject for subject, (model, _) in AUDITED.items()}
_FIELDS_OF = {model: fields for (model, fields) in AUDITED.values()}


def _after_flush(session, flush_context) -> None:
    from lims.models import DisposalAction

    pending = session.info.setdefault(_PENDING, set())
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        model = type(obj)
        if model is DisposalAction:  # a disposition's kg
            pending.add(("disposition", obj.disposition_id))
            continue
        subject = _SUBJECT_OF.get(model)
        if subject is None or obj.id is None:
            continue
        if obj in session.dirty:
            attrs = sa.inspect(obj).attrs
            if not any(attrs[f].history.has_changes() for f in _FIELDS_OF[model]):
                continue
        pending.add((subject, obj.id))


def _before_commit(session) -> None:
    from flask import has_app_context

    if (not session.info.get(_PENDING) or session.in_nested_transaction()  # a savepoint: wait for the real commit
            or not has_app_context() or session is not db.session()):
        return
    session.flush()
    pending = session.info.pop(_PENDING, set())
    if not pending:
        return
    from lims.accounts.access import Actor

    actor = session.info.get(_ACTOR) or Actor(user=None, ip=None)
    by_subject: dict[str, list] = {}
    for subject, rid in pending:
        by_subject.setdefault(subject, []).append(rid)
    entries = []
    for subject, ids in sorted(by_subject.items()):
        now = states(session, subject, ids)
        last = _last_states(session, subject, ids)
        for rid in sorted(ids):
            if now.get(rid) == last.get(rid):
                continue  # unchanged, or created and rolled back to a savepoint
            model = AUDITED[subject][0]
            batch_id = (rid if subject == "batch" else
                        session.execute(sa.select(model.batch_id).where(model.id == rid)).scalar()
                        if hasattr(model, "batch_id") else None)
            subject_id = (session.execute(sa.select(model.code).where(model.id == rid)).scalar()
                          if subject == "batch" else rid)
            if subject == "batch" and subject_id is None:
                subject_id = last.get(rid, {}).get("code", rid)
            entries.append({"action": f"{subject}.state" if rid in now else f"{subject}.delete",
                            "subject_type": subject, "subject_id": subject_id, "batch_id": batch_id})
    if entries:
        record_many(actor, entries)
    session.info.pop(_PENDING, None)


def _last_states(session, subject: str, ids) -> dict:
    """row id → the state of its last keyed entry (None for a deleted row)."""
    out = {}
    ids = sorted(set(ids))
    for start in range(0, len(ids), 900):
        part = ids[start:start + 900]
        last = (sa.select(AuditEntry.row_id, sa.func.max(AuditEntry.seq).label("seq"))
                .where(AuditEntry.subject_type == subject, AuditEntry.row_id.in_(part), AuditEntry.keyed.is_(True))
                .group_by(AuditEntry.row_id).subquery())
        for rid, state in session.execute(sa.select(AuditEntry.row_id, AuditEntry.state)
                                          .join(last, AuditEntry.seq == last.c.seq)):
            out[rid] = state
    return out


def _forget(session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint or subtransaction ended: the transaction goes on
        return
    session.info.pop(_PENDING, None)
    session.info.pop(_ACTOR, None)


_installed = False


def install() -> None:
    """Listen to every session's flushes and commits (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(orm.Session, "after_flush", _after_flush)
    event.listen(orm.Session, "before_commit", _before_commit)
    event.listen(orm.Session, "after_transaction_end", _forget)
    _installed = True


def init_app(app) -> None:
    """Refuse to start without an audit key where one is required; install the listeners."""
    from lims.audit.key import audit_key_from

    audit_key_from(app.config)
    install()


# --- verification -------------------------------------------------------------------------------

@dataclass
class Verification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str | None = None  # "hash", "link", "gap", "head", "unkeyed", "state", "seal", "missing", "unaudited"
    legacy: int = 0  # entries #1..legacy are the legacy segment (plain SHA-256, no state)
    keyed_from: int | None = None  # the first keyed entry
    rows: int = 0  # audited rows reconciled
    subject: str | None = None  # the row that differs: "result 42"
    field: str | None = None  # … and its first differing field
    stored: object = None
    audited: object = None


def verify(batch_size: int = 5000) -> Verification:
    """Walk the whole chain in order, then reconcile every audited row with its last audited
    state; report the first entry or row that does not hold. Streams: memory stays flat."""
    chain = _verify_chain(batch_size)
    if not chain.ok:
        return chain
    for subject in AUDITED:
        problem = _reconcile(subject, chain, batch_size)
        if problem is not None:
            return problem
    return chain


def _verify_chain(batch_size: int) -> Verification:
    key = audit_key()
    table = AuditEntry.__table__
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    legacy, keyed_from = 0, None
    while True:
        rows = db.session.execute(
            sa.select(table).where(table.c.seq >= expected_seq).order_by(table.c.seq).limit(batch_size)).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return Verification(False, checked, expected_seq, "gap", legacy, keyed_from)
            if entry.prev_hash != prev_hash:
                return Verification(False, checked, entry.seq, "link", legacy, keyed_from)
            if entry.keyed:
                keyed_from = keyed_from or entry.seq
            elif keyed_from is not None:  # a legacy entry after keyed ones: someone rewrote it unkeyed
                return Verification(False, checked, entry.seq, "unkeyed", legacy, keyed_from)
            else:
                legacy = entry.seq
            if _hash_of(entry, key) != entry.hash:
                return Verification(False, checked, entry.seq, "hash", legacy, keyed_from)
            prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != prev_hash):
        return Verification(False, checked, checked + 1 if head.seq > checked else head.seq, "head",
                            legacy, keyed_from)
    return Verification(True, checked, legacy=legacy, keyed_from=keyed_from)


def _named(subject: str) -> bytearray:
    """Which ``subject`` rows the keyed trail says exist: byte ``id`` is 1 for each (one byte a
    row id). Entries about one row name it (a ``.delete`` entry un-names it); entries of
    :func:`name_rows` name runs of ids. Only the few naming entries' JSON is decoded."""
    table = AuditEntry.__table__
    named = bytearray()

    def grow(upto: int) -> None:
        if upto >= len(named):
            named.extend(bytes(upto + 1 - len(named) + 1024))

    runs = []  # (seq, first, last)
    for seq, after in db.session.execute(
            sa.select(table.c.seq, table.c.after).where(table.c.subject_type == subject, table.c.keyed.is_(True),
                                                         table.c.row_id.is_(None)).order_by(table.c.seq)):
        for first, last in (after.get("ids", []) if isinstance(after, dict) else []):
            grow(last)
            named[first:last + 1] = b"\x01" * (last + 1 - first)
            runs.append((seq, first, last))
    deleted = {}  # row → the seq of its last entry, when that entry deleted it
    last_row, last_seq, last_action = None, None, None
    stmt = (sa.select(table.c.row_id, table.c.seq, table.c.action)
            .where(table.c.subject_type == subject, table.c.keyed.is_(True), table.c.row_id.is_not(None))
            .order_by(table.c.row_id, table.c.seq))
    rows = db.session.connection().execute(stmt, execution_options={"yield_per": 20_000})
    for rid, seq, action in itertools.chain(rows, [(None, None, None)]):
        if rid != last_row and last_row is not None:
            if last_action.endswith(".delete"):
                deleted[last_row] = last_seq
            else:
                grow(last_row)
                named[last_row] = 1
        last_row, last_seq, last_action = rid, seq, action
    for rid, seq in deleted.items():  # named again by a later import (an id SQLite reused)?
        if rid < len(named) and not any(s > seq and a <= rid <= b for s, a, b in runs):
            named[rid] = 0
    return named


def _reconcile(subject: str, chain: Verification, batch_size: int) -> Verification | None:
    """Stream the stored rows by id, as the driver gives them: each must be named by the trail
    and carry the seal its values give; then every row the trail names must have been seen."""
    def differs(rid, problem, field=None, stored=None, audited=None):
        return Verification(False, chain.checked, None, problem, chain.legacy, chain.keyed_from, chain.rows,
                            f"{subject} {rid}", field, stored, audited)

    key = audit_key()
    named = _named(subject)
    size = len(named)
    check = checker(key, subject)
    connection = db.session.connection()
    rows = connection.exec_driver_sql(driver_sql(connection, sealed_select(subject)),
                                      execution_options={"yield_per": batch_size})
    n = 0
    try:
        for row in rows:
            rid = row[0]
            if rid >= size or named[rid] != 1 or row[-1] is None:
                return differs(rid, "unaudited")
            if check(row) != row[-1]:
                return _unsealed(subject, rid, differs)
            named[rid] = 2
            n += 1
    finally:
        rows.close()
        chain.rows += n
    missing = named.find(1)
    return differs(missing, "missing") if missing != -1 else None


def _unsealed(subject: str, rid: int, differs) -> Verification:
    """A row that does not match its seal: name the first field that differs from its last
    snapshot in the trail, if the trail has one (rows written by the services do)."""
    now = states(db.session, subject, [rid]).get(rid) or {}
    then = _last_states(db.session, subject, [rid]).get(rid)
    if then and now != then:
        field = next(f for f in sorted(set(now) | set(then)) if now.get(f) != then.get(f))
        return differs(rid, "state", field, now.get(field), then.get(field))
    return differs(rid, "seal")


def baseline(actor) -> int:
    """Seal and name every audited row that the keyed trail does not name yet, or that has no
    seal (``lims audit baseline``): once, after upgrading a database whose trail began before
    keyed auditing. Returns how many rows were sealed."""
    n = 0
    for subject, (model, _) in AUDITED.items():
        named = _named(subject)
        ids = [rid for rid, seal in db.session.execute(sa.select(model.id, model.seal).order_by(model.id))
               if seal is None or rid >= len(named) or named[rid] != 1]
        name_rows(actor, subject, ids, f"{subject}.baseline")
        n += len(ids)
    return n


def head() -> tuple[int, str] | None:
    """The trail's newest entry (seq, hash) — printed on reports to anchor the trail on paper."""
    row = db.session.execute(sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
                             .limit(1)).first()
    return (row.seq, row.hash) if row else None


__all__ = ["record", "record_many", "name_rows", "verify", "baseline", "head", "Verification", "TABLES"]
