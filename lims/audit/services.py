"""Writing and verifying the audit trail.

Writers serialise on the single ``audit_head`` row (SELECT … FOR UPDATE on PostgreSQL;
SQLite write transactions are serialised already), so the chain never forks."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from lims.audit.chain import GENESIS, entry_hash, plain
from lims.database import utcnow
from lims.extensions import db
from lims.models import AuditEntry, AuditHead


def record(actor, action: str, subject_type: str, subject_id, *, before=None, after=None,
           reason: str | None = None, batch_id: int | None = None, at=None) -> AuditEntry:
    """Append one entry: who (actor), when, from where, what, before, after, why."""
    head = db.session.execute(
        sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, last_hash=GENESIS)
        db.session.add(head)
    entry = AuditEntry(
        seq=head.seq + 1, at=at or utcnow(), user_id=actor.user_id, actor=actor.name if actor else None,
        ip=actor.ip if actor else None, action=action, subject_type=subject_type,
        subject_id=str(subject_id), batch_id=batch_id, before=plain(before), after=plain(after),
        reason=reason, prev_hash=head.last_hash,
    )
    entry.hash = _hash_of(entry)
    head.seq, head.last_hash = entry.seq, entry.hash
    db.session.add(entry)
    db.session.flush()
    return entry


def _hash_of(entry: AuditEntry) -> str:
    return entry_hash(entry.prev_hash, seq=entry.seq, at=entry.at, user_id=entry.user_id,
                      actor=entry.actor, ip=entry.ip, action=entry.action,
                      subject_type=entry.subject_type, subject_id=entry.subject_id,
                      batch_id=entry.batch_id, before=entry.before, after=entry.after, reason=entry.reason)


@dataclass
class Verification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str | None = None  # "hash", "link", "gap", "head"


def verify(batch_size: int = 5000) -> Verification:
    """Walk the whole chain in order; report the first entry that does not hold."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    while True:
        rows = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.seq >= expected_seq).order_by(AuditEntry.seq)
            .limit(batch_size)).scalars().all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return Verification(False, checked, expected_seq, "gap")
            if entry.prev_hash != prev_hash:
                return Verification(False, checked, entry.seq, "link")
            if _hash_of(entry) != entry.hash:
                return Verification(False, checked, entry.seq, "hash")
            prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        db.session.expunge_all()
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != prev_hash):
        return Verification(False, checked, checked + 1 if head.seq > checked else head.seq, "head")
    return Verification(True, checked)


def record_many(actor, entries: list[dict]) -> int:
    """Append many entries under one lock (bulk imports, demo history): the same chain.

    Each entry is a dict with ``action``, ``subject_type``, ``subject_id`` and optionally
    ``batch_id``, ``before``, ``after``, ``reason``, ``at``."""
    if not entries:
        return 0
    head = db.session.execute(
        sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, last_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    seq, prev = head.seq, head.last_hash
    now = utcnow()
    rows = []
    for e in entries:
        seq += 1
        row = {
            "seq": seq, "at": e.get("at") or now, "user_id": actor.user_id, "actor": actor.name, "ip": actor.ip,
            "action": e["action"], "subject_type": e["subject_type"], "subject_id": str(e["subject_id"]),
            "batch_id": e.get("batch_id"), "before": plain(e.get("before")), "after": plain(e.get("after")),
            "reason": e.get("reason"), "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(prev, **{k: v for k, v in row.items() if k not in ("prev_hash",)})
        rows.append(row)
    db.session.execute(sa.insert(AuditEntry), rows)
    head.seq, head.last_hash = seq, prev
    db.session.flush()
    return len(rows)
