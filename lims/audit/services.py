"""Writing, sealing and verifying the audit trail.

Writers never queue on one row. Each entry is numbered from a database sequence
(``audit_entry_seq`` on PostgreSQL; SQLite serialises write transactions already and numbers
from the highest entry) and stored with ``mac``, a keyed seal (HMAC under LIMS_AUDIT_KEY) of
its content, its number and the audited row's seal after it. The sealing step (:func:`seal`:
``lims audit seal``, ``lims tick``, and opportunistically after write requests, never while
a writer waits) takes the entries nobody has chained yet, in number order, and gives each the
next chain position and a link hash over the previous link and its ``mac``; only the sealing
step touches ``audit_head`` (the sealed head), under an advisory lock writers never take.
An entry committed late with a lower number is simply chained in a later round.

``verify`` walks the sealed chain by position (links, seals, the head), checks every unsealed
entry's own seal, then reconciles the data with the trail (below). Editing, inserting or
renumbering an entry breaks its seal; deleting, inserting or reordering sealed entries breaks
the chain; deleting an unsealed entry about a row leaves that row unnamed or newer than its
last entry's row seal (``stale``).

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

import functools

import itertools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event, orm

import logging
import time

from lims.audit.chain import GENESIS, entry_hash, entry_mac, link_hash, plain
from lims.audit.key import audit_key
from lims.audit.seal import (checker, digest_of, driver_sql, new_seals, read_and_reseal, reseal, run_new_seals,
                             sealed_select)
from lims.audit.state import AUDITED, TABLES, states
from lims.database import utcnow
from lims.extensions import db
from lims.models import AuditEntry, AuditHead, Batch, Result

log = logging.getLogger(__name__)

_PENDING = "audit_pending"  # session.info: {(subject_type, id)} changed by the ORM, not yet snapshotted
_ACTOR = "audit_actor"  # session.info: the last actor that wrote an entry in this transaction
_LATER = "seals to write"  # in a read dict (_state_entries → _write): the UPDATEs of seals not yet run
_HELD = "audit_held"  # session.info: {(subject_type, id)} this transaction inserted or updated (row locked)


def row_id_of(subject_type: str, subject_id, batch_id):
    """The audited row an entry is about (batches are named by code; their id is batch_id).
    Entries naming many rows (:func:`name_rows`) have none: their ids are in ``after``."""
    if subject_type not in AUDITED:
        return None
    if subject_type == "batch":
        return batch_id
    return int(subject_id)


def _next_seqs(n: int) -> list[int]:
    """``n`` fresh entry numbers: from the sequence on PostgreSQL (no lock, never reused; a
    rolled-back transaction leaves a hole, which the chain does not mind); on SQLite, whose
    write transactions are serialised (BEGIN IMMEDIATE), after the highest entry."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return sorted(connection.execute(sa.text("SELECT nextval('audit_entry_seq') FROM generate_series(1, :n)"),
                                         {"n": n}).scalars())
    top = connection.execute(sa.select(sa.func.coalesce(sa.func.max(AuditEntry.seq), 0))).scalar()
    return list(range(top + 1, top + 1 + n))


def _lock_rows(subject_type: str, ids) -> None:
    """Hold the audited rows (PostgreSQL) so that entries about one row are numbered in the
    order their transactions commit: a writer that changed the row holds it already; one that
    only writes an entry about it waits for the row, never for the whole trail."""
    if db.session.connection().dialect.name != "postgresql":
        return
    model, _ = AUDITED[subject_type]
    held = db.session.info.get(_HELD, ())
    # A row this transaction inserted or updated is locked already, until it ends.
    ids = sorted(i for i in set(ids) if (subject_type, i) not in held)
    for start in range(0, len(ids), 900):
        db.session.execute(sa.select(model.id).where(model.id.in_(ids[start:start + 900]))
                           .order_by(model.id).with_for_update())


def _mac_fields(row) -> dict:
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
    return {name: get(name) for name in ("seq", "at", "user_id", "actor", "ip", "action", "subject_type",
                                         "subject_id", "batch_id", "before", "after", "reason", "row_id",
                                         "state", "row_seal")}


def _mac_of(row, key: bytes) -> str:
    return entry_mac(key, **_mac_fields(row))


_REFERENCE = frozenset({"test_item", "test_item_override", "food", "food_category"})  # names every page shows


def _touch(subject_type: str, subject_id, row_id, batch_id, after=None, rows: bool = False,
           state: dict | None = None) -> None:
    """Tell the page cache what this entry changed (:func:`lims.pagecache.touch`); a batch's
    state, read just now, gives its stall and market (no query needed when committing)."""
    from lims import pagecache

    session = db.session
    if subject_type == "batch" and batch_id is not None and state and "site_id" in state:
        pagecache.touch(session, "batch", [batch_id], place=(state.get("stall_id"), state["site_id"]))
    elif rows:  # a bulk entry (name_rows): runs of ids
        if subject_type in ("batch", "result", "disposition") and isinstance(after, dict):
            pagecache.touch(session, subject_type, after.get("ids", []))
    elif batch_id is not None:
        pagecache.touch(session, "batch", [batch_id])
    elif subject_type in ("result", "disposition") and row_id is not None:
        pagecache.touch(session, subject_type, [row_id])
    elif subject_type in ("stall", "site") and str(subject_id).isdigit():
        pagecache.touch(session, subject_type, [int(subject_id)])
    elif subject_type in _REFERENCE:
        pagecache.touch(session, "all")


def _wrote() -> None:
    from flask import g, has_request_context

    if has_request_context():
        g._audit_wrote = True


def record(actor, action: str, subject_type: str, subject_id, *, before=None, after=None,
           reason: str | None = None, batch_id: int | None = None, at=None) -> int:
    """Append one entry: who (actor), when, from where, what, before, after, why — and, for an
    audited row, its state as now stored. Rows of another kind this transaction changed
    without an entry of their own so far (a result's batch, whose status moved) get theirs in
    the same write, instead of at the commit (two statements less). Returns the entry's number."""
    db.session.flush()
    entry = {"action": action, "subject_type": subject_type, "subject_id": subject_id, "batch_id": batch_id,
             "before": before, "after": after, "reason": reason, "at": at}
    others = {(subject, rid) for subject, rid in db.session.info.get(_PENDING, ()) if subject != subject_type}
    entries, read = _state_entries(db.session, others, audit_key()) if others else ([], {})
    written = _write(actor, [entry, *entries], read)
    _covered(actor, others)  # those unchanged since their last entry need none
    return written[0]["seq"]


def record_many(actor, entries: list[dict], _read: dict | None = None) -> int:
    """Append many entries at once (bulk imports, demo history), numbered in list order.

    Each entry is a dict with ``action``, ``subject_type``, ``subject_id`` and optionally
    ``batch_id``, ``before``, ``after``, ``reason``, ``at``. Entries about audited rows get
    the rows' states, read back in bulk (write the rows first)."""
    return len(_write(actor, entries, _read))


def _write(actor, entries: list[dict], _read: dict | None) -> list[dict]:
    """The entries written, as stored (numbered in list order)."""
    if not entries:
        return []
    key = audit_key()
    db.session.flush()
    wanted: dict[str, set] = {}
    for e in entries:
        rid = None if e.get("rows") else row_id_of(e["subject_type"], e["subject_id"], e.get("batch_id"))
        if rid is not None:
            wanted.setdefault(e["subject_type"], set()).add(rid)
    known, sealed = {}, {}
    later = list((_read or {}).get(_LATER, ()))  # seals changed, to write with the entries
    for subject, ids in wanted.items():
        if _read is not None and subject in _read:  # locked, read and resealed by the caller
            known[subject], sealed[subject] = _read[subject]
            continue
        _lock_rows(subject, ids)
        if len(ids) <= 900:
            known[subject], sealed[subject] = read_and_reseal(db.session, subject, ids, key, later=later)
            continue
        known[subject] = states(db.session, subject, ids)
        sealed[subject] = {}
        reseal(db.session, subject, ids, key, seals=sealed[subject])
    seqs = _next_seqs(len(entries))
    now = utcnow()
    rows = []
    for seq, e in zip(seqs, entries):
        rid = None if e.get("rows") else row_id_of(e["subject_type"], e["subject_id"], e.get("batch_id"))
        row = {
            "seq": seq, "at": e.get("at") or now, "user_id": actor.user_id, "actor": actor.name, "ip": actor.ip,
            "action": e["action"], "subject_type": e["subject_type"], "subject_id": str(e["subject_id"]),
            "batch_id": e.get("batch_id"), "before": plain(e.get("before")), "after": plain(e.get("after")),
            "reason": e.get("reason"), "row_id": rid,
            "state": known[e["subject_type"]].get(rid) if rid is not None else None,
            "row_seal": sealed[e["subject_type"]].get(rid) if rid is not None else None,
        }
        row["mac"] = _mac_of(row, key)
        row["keyed"] = True
        rows.append(row)
        _touch(row["subject_type"], row["subject_id"], rid, row["batch_id"], row["after"], bool(e.get("rows")),
               state=row["state"])
    connection = db.session.connection()  # Core: the ORM's bulk path adds nothing here
    seals_changed = sum(len(changes) for _, changes in later)
    if connection.dialect.name == "postgresql" and len(rows) <= 20 and seals_changed <= 20:
        # the rows' new seals and the entries in one statement (UPDATEs as CTEs): a round trip
        # less for every audited write
        connection.execute(AuditEntry.__table__.insert().values(rows).add_cte(*new_seals(later)))
    else:
        run_new_seals(db.session, later)
        for start in range(0, len(rows), 5000):
            connection.execute(AuditEntry.__table__.insert(), rows[start:start + 5000])
    _covered(actor, [(subject, rid) for subject, ids in wanted.items() for rid in ids])
    _wrote()
    return rows


def _ranges(ids: list[int]) -> list[list[int]]:
    """Sorted ids as [first, last] runs (an import's ids are mostly one run)."""
    if ids and ids[-1] - ids[0] + 1 == len(ids) == len(set(ids)):  # one run (the usual import)
        return [[ids[0], ids[-1]]]
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
        n += _name_part(actor, subject_type, action, at, part, [known.get(i) for i in part])
    return n


def name_sealed_rows(actor, subject_type: str, rows, action: str, *, at=None, chunk: int = 50_000) -> int:
    """:func:`name_rows` for rows whose seals were just stored: ``rows`` yields (id, seal) in
    ascending id order (e.g. streamed from the database), named ``chunk`` at a time — the same
    entries as ``name_rows(…, seals=…)``, without holding every row at once. Returns the entries."""
    n = 0
    ids: list[int] = []
    seals: list = []
    last = None
    for rid, seal_ in rows:
        if last is not None and rid <= last:
            raise ValueError(f"{subject_type}: rows to name must come in ascending id order")
        last = rid
        ids.append(rid)
        seals.append(seal_)
        if len(ids) == chunk:
            n += _name_part(actor, subject_type, action, at, ids, seals)
            ids, seals = [], []
    if ids:
        n += _name_part(actor, subject_type, action, at, ids, seals)
    return n


def _name_part(actor, subject_type: str, action: str, at, part: list[int], seals: list) -> int:
    """The one entry naming ``part`` (sorted ids) with the digest of their seals, in that order."""
    return record_many(actor, [{
        "action": action, "subject_type": subject_type, "subject_id": f"{part[0]}-{part[-1]}", "at": at, "rows": True,
        "after": {"ids": _ranges(part), "count": len(part), "seals": digest_of(seals)}}])


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
    held = session.info.setdefault(_HELD, set())
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        model = type(obj)
        subject = _SUBJECT_OF.get(model)
        if subject is not None and obj.id is not None and (
                obj in session.new or (obj in session.dirty and session.is_modified(obj, include_collections=False))):
            held.add((subject, obj.id))  # inserted or updated: its row is locked until the transaction ends
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
    entries, read = _state_entries(session, pending, audit_key())
    if entries:
        record_many(actor, entries, _read=read)
    session.info.pop(_PENDING, None)


def _state_entries(session, pending, key: bytes) -> tuple[list[dict], dict]:
    """The entries for rows changed without an entry of their own (``pending``: (subject,
    id) pairs) — only those whose state differs from their last entry's — and the states and
    seals read for them (subject → (states, seals)), for :func:`record_many`."""
    by_subject: dict[str, list] = {}
    for subject, rid in pending:
        by_subject.setdefault(subject, []).append(rid)
    entries = []
    read = {}
    for subject, ids in sorted(by_subject.items()):
        _lock_rows(subject, ids)
        # the rows' states and seals from one read (record_many takes them as they are)
        last = _last_states(session, subject, ids)
        now, seals = read[subject] = read_and_reseal(  # resealing only the rows that get an entry
            session, subject, ids, key, write=lambda now, last=last: [r for r in now if now[r] != last.get(r)],
            later=read.setdefault(_LATER, []))
        for rid in sorted(ids):
            if now.get(rid) == last.get(rid):
                continue  # unchanged, or created and rolled back to a savepoint
            model = AUDITED[subject][0]
            state = now.get(rid) or {}
            batch_id = rid if subject == "batch" else (state.get("batch_id") if hasattr(model, "batch_id") else None)
            if batch_id is None and subject != "batch" and hasattr(model, "batch_id") and rid in now:
                batch_id = session.execute(sa.select(model.batch_id).where(model.id == rid)).scalar()
            subject_id = state.get("code") if subject == "batch" else rid
            if subject == "batch" and subject_id is None:
                subject_id = last.get(rid, {}).get("code", rid)
            entries.append({"action": f"{subject}.state" if rid in now else f"{subject}.delete",
                            "subject_type": subject, "subject_id": subject_id, "batch_id": batch_id})
    return entries, read


def _last_states(session, subject: str, ids) -> dict:
    """row id → the state of its last keyed entry (None for a deleted row)."""
    out = {}
    ids = sorted(set(ids))
    for start in range(0, len(ids), 900):
        out.update(session.execute(_last_states_statement(), {"subject": subject, "ids": ids[start:start + 900]}).all())
    return out


@functools.cache
def _last_states_statement() -> sa.Select:
    """Made once, its values bound when run (at every audited write)."""
    last = (sa.select(AuditEntry.row_id, sa.func.max(AuditEntry.seq).label("seq"))
            .where(AuditEntry.subject_type == sa.bindparam("subject"),
                   AuditEntry.row_id.in_(sa.bindparam("ids", expanding=True)), AuditEntry.keyed.is_(True))
            .group_by(AuditEntry.row_id).subquery())
    return sa.select(AuditEntry.row_id, AuditEntry.state).join(last, AuditEntry.seq == last.c.seq)


def _forget(session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint or subtransaction ended: the transaction goes on
        return
    session.info.pop(_PENDING, None)
    session.info.pop(_ACTOR, None)
    session.info.pop(_HELD, None)


def _rolled_back(session) -> None:
    """A rollback (of a savepoint too) gives up the row locks taken since: lock them again."""
    session.info.pop(_HELD, None)


_installed = False


def install() -> None:
    """Listen to every session's flushes and commits (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(orm.Session, "after_flush", _after_flush)
    event.listen(orm.Session, "before_commit", _before_commit)
    event.listen(orm.Session, "after_transaction_end", _forget)
    event.listen(orm.Session, "after_rollback", _rolled_back)
    from lims import pagecache

    pagecache.install()  # after the listeners above: entries they add are marked too
    _installed = True


def init_app(app) -> None:
    """Refuse to start without an audit key where one is required; install the listeners."""
    from lims.audit.key import audit_key_from

    audit_key_from(app.config)
    install()
    app.teardown_request(_seal_after_request)


# --- verification -------------------------------------------------------------------------------

@dataclass
class Verification:
    ok: bool
    checked: int  # entries checked (sealed and unsealed)
    broken_seq: int | None = None  # the entry (its number) where the trail breaks
    problem: str | None = None  # "hash", "link", "gap", "head", "unkeyed", "missing-entry", "state", "seal",
    #                             "missing", "unaudited", "stale", "site" (a result's site is not its batch's)
    legacy: int = 0  # entries #1..legacy are the legacy segment (plain SHA-256, no state)
    keyed_from: int | None = None  # the first keyed entry
    rows: int = 0  # audited rows reconciled
    subject: str | None = None  # the row that differs: "result 42"
    field: str | None = None  # … and its first differing field
    stored: object = None
    audited: object = None
    sealed: int = 0  # entries in the sealed chain
    unsealed: int = 0  # entries not chained yet (each checked by its own keyed seal)
    broken_pos: int | None = None  # the chain position where the sealed chain breaks


# --- sealing ---------------------------------------------------------------------------------------

_SEAL_LOCK = 0x4C494D53_4155  # the advisory lock sealing steps take (writers never do)


def seal(batch_size: int = 5000, *, wait: bool = False, limit: int | None = None) -> int:
    """Chain the entries not sealed yet, in number order, after the sealed head; return how
    many. Run in its own short transaction (the caller commits). Another sealing step running
    at the same time makes this one return 0 at once (``wait``: queue behind it instead);
    writers are never held: they neither read ``audit_head`` nor lock sealed entries."""
    key = audit_key()
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        if wait:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEAL_LOCK})
        elif not connection.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _SEAL_LOCK}).scalar():
            return 0
    head = db.session.execute(sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, last_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    table = AuditEntry.__table__
    update = table.update().where(table.c.id == sa.bindparam("eid")).values(
        pos=sa.bindparam("p"), prev_hash=sa.bindparam("ph"), hash=sa.bindparam("h"))
    pos, prev, n = head.seq, head.last_hash, 0
    while limit is None or n < limit:
        size = batch_size if limit is None else min(batch_size, limit - n)
        rows = connection.execute(sa.select(table.c.id, table.c.mac).where(table.c.pos.is_(None))
                                  .order_by(table.c.seq).limit(size)).all()
        changes = []
        for eid, mac in rows:
            if mac is None:  # not written by this code: leave it unsealed for verify to name
                break
            pos += 1
            h = link_hash(key, prev, pos, mac)
            changes.append({"eid": eid, "p": pos, "ph": prev, "h": h})
            prev = h
        if changes:
            connection.execute(update, changes)
            n += len(changes)
        if len(changes) < size:
            break
    if n:
        head.seq, head.last_hash = pos, prev
        db.session.flush()
    return n


_last_seal = [0.0]  # when this process last sealed after a request (monotonic seconds)


def _seal_after_request(exc) -> None:
    """Opportunistic sealing: after a request that wrote entries has committed, at most once
    every AUDIT_SEAL_EVERY seconds per process, in a transaction of its own. Skipped when
    another sealing step is running; a failure is logged, never shown to the user."""
    from flask import current_app, g

    every = current_app.config.get("AUDIT_SEAL_EVERY")
    if exc is not None or every is None or every < 0 or not g.pop("_audit_wrote", False):
        return
    now = time.monotonic()
    if now - _last_seal[0] < every:
        return
    _last_seal[0] = now
    from lims.database import write_intent

    token = write_intent.set(True)
    try:
        db.session.rollback()  # whatever the request left: it has committed already
        seal(limit=50_000)
        db.session.commit()
    except Exception:  # noqa: BLE001 — sealing later is always possible; the response is sent
        db.session.rollback()
        log.warning("opportunistic audit sealing failed", exc_info=True)
    finally:
        write_intent.reset(token)


# --- verification -------------------------------------------------------------------------------

def verify(batch_size: int = 5000) -> Verification:
    """Walk the sealed chain in order, check every unsealed entry's own seal, then reconcile
    every audited row with the trail; report the first entry or row that does not hold.
    Streams: memory stays flat."""
    chain = _verify_chain(batch_size)
    if not chain.ok:
        return chain
    chain = _verify_unsealed(chain, batch_size)
    if not chain.ok:
        return chain
    for subject in AUDITED:
        problem = _reconcile(subject, chain, batch_size)
        if problem is not None:
            return problem
    return _astray(chain) or chain


def _astray(chain: Verification) -> Verification | None:
    """A result whose site is not its batch's (results carry their batch's site, which the
    batch's seal covers): one such result (any: no order, so that the database may hash-join
    the two tables once), or None."""
    row = db.session.execute(
        sa.select(Result.id, Result.site_id, Batch.site_id).join(Batch, Batch.id == Result.batch_id)
        .where(Result.site_id != Batch.site_id).limit(1)).first()
    if row is None:
        return None
    return Verification(False, chain.checked, None, "site", chain.legacy, chain.keyed_from, chain.rows,
                        f"result {row[0]}", "site_id", row[1], row[2])


def _verify_chain(batch_size: int) -> Verification:
    key = audit_key()
    table = AuditEntry.__table__
    prev_hash, expected, checked = GENESIS, 1, 0
    legacy, keyed_from, macs = 0, None, False

    def broken(entry, problem, pos=None):
        return Verification(False, checked, entry.seq if entry is not None else None, problem, legacy, keyed_from,
                            sealed=checked, broken_pos=pos if pos is not None else entry.pos)

    while True:
        rows = db.session.execute(
            sa.select(table).where(table.c.pos >= expected).order_by(table.c.pos).limit(batch_size)).all()
        if not rows:
            break
        for entry in rows:
            if entry.pos != expected:
                return broken(entry, "gap", expected)
            if entry.prev_hash != prev_hash:
                return broken(entry, "link")
            if entry.mac is not None:  # sealed by the sealing step: its own seal, then the link
                macs = True
                keyed_from = keyed_from or entry.seq
                if not entry.keyed:
                    return broken(entry, "unkeyed")
                if _mac_of(entry, key) != entry.mac or link_hash(key, prev_hash, entry.pos, entry.mac) != entry.hash:
                    return broken(entry, "hash")
            else:  # written before the sealing step: the hash covers content and previous hash
                if macs:
                    return broken(entry, "hash")  # an old-style entry after sealed ones: inserted
                if entry.keyed:
                    keyed_from = keyed_from or entry.seq
                elif keyed_from is not None:  # a legacy entry after keyed ones: someone rewrote it unkeyed
                    return broken(entry, "unkeyed")
                else:
                    legacy = entry.seq
                if _hash_of(entry, key) != entry.hash:
                    return broken(entry, "hash")
            prev_hash, expected, checked = entry.hash, expected + 1, checked + 1
    head = db.session.get(AuditHead, 1)
    top = head.seq if head is not None else 0
    if top != checked or (head is not None and top and head.last_hash != prev_hash):
        return Verification(False, checked, None, "head", legacy, keyed_from, sealed=checked,
                            broken_pos=checked + 1 if top > checked else top)
    return Verification(True, checked, legacy=legacy, keyed_from=keyed_from, sealed=checked)


def _verify_unsealed(chain: Verification, batch_size: int) -> Verification:
    """Every entry not chained yet must carry its own keyed seal, and nothing of a link."""
    key = audit_key()
    table = AuditEntry.__table__
    after = None
    while True:
        stmt = sa.select(table).where(table.c.pos.is_(None)).order_by(table.c.seq).limit(batch_size)
        if after is not None:
            stmt = stmt.where(table.c.seq > after)
        rows = db.session.execute(stmt).all()
        if not rows:
            return chain
        for entry in rows:
            problem = ("unkeyed" if entry.mac is None or not entry.keyed else
                       "link" if entry.prev_hash is not None or entry.hash is not None else
                       "hash" if _mac_of(entry, key) != entry.mac else None)
            if problem:
                return Verification(False, chain.checked, entry.seq, problem, chain.legacy, chain.keyed_from,
                                    sealed=chain.sealed, unsealed=chain.unsealed)
            chain.keyed_from = chain.keyed_from or entry.seq
            chain.unsealed += 1
            chain.checked += 1
            after = entry.seq


def _named(subject: str, runs: list | None = None) -> bytearray:
    """Which ``subject`` rows the keyed trail says exist: byte ``id`` is 1 for each (one byte a
    row id). Entries about one row name it (a ``.delete`` entry un-names it); entries of
    :func:`name_rows` name runs of ids. Only the few naming entries' JSON is decoded."""
    table = AuditEntry.__table__
    named = bytearray()

    def grow(upto: int) -> None:
        if upto >= len(named):
            named.extend(bytes(upto + 1 - len(named) + 1024))

    runs = [] if runs is None else runs  # (seq, first, last)
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
    runs: list = []
    named = _named(subject, runs)
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
    if missing != -1:
        return differs(missing, "missing")
    stale = _stale(subject, runs)
    return differs(stale, "stale") if stale is not None else None


def _stale(subject: str, runs: list) -> int | None:
    """A row whose stored seal is not the row seal its newest entry recorded — an entry about
    it is missing (deleted before it was sealed, say) — unless a later bulk entry named it
    (bulk writers record a digest of the seals, not each one). Rows with entries from before
    row seals were recorded are not judged here."""
    model, _ = AUDITED[subject]
    rows = model.__table__
    e = AuditEntry.__table__.alias("e")
    x = AuditEntry.__table__.alias("x")
    newest = (sa.select(sa.func.max(x.c.seq)).where(x.c.subject_type == subject, x.c.row_id == e.c.row_id)
              .scalar_subquery())
    stmt = (sa.select(e.c.row_id, e.c.seq).join(rows, rows.c.id == e.c.row_id)
            .where(e.c.subject_type == subject, e.c.row_seal.is_not(None), e.c.seq == newest,
                   rows.c.seal != e.c.row_seal)
            .order_by(e.c.row_id))
    for rid, seq in db.session.execute(stmt):
        if not any(s > seq and a <= rid <= b for s, a, b in runs):
            return rid
    return None


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
    """The sealed chain's newest link (position, hash) — printed on reports to anchor the
    trail on paper. Entries not sealed yet are not in it (``lims audit head`` seals first)."""
    row = db.session.execute(sa.select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    return (row.seq, row.last_hash) if row and row.seq else None


__all__ = ["record", "record_many", "name_rows", "name_sealed_rows", "seal", "verify", "baseline", "head", "Verification", "TABLES"]
