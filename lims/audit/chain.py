"""Pure hashing of audit entries (no database): canonical JSON, chained.

Keyed entries are chained with HMAC-SHA256 under a secret kept outside the database
(``LIMS_AUDIT_KEY``), so someone who can write the database cannot recompute the chain.
Entries written before keyed chaining (the *legacy segment*) used plain SHA-256; they are
still checked that way, and the first keyed entry covers the last legacy hash."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime, timezone
from decimal import Decimal

GENESIS = "0" * 64


def plain(value):
    """Make a value JSON-safe and stable: Decimal → str, datetime → ISO UTC, sets → sorted lists."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    return value


def entry_hash(prev_hash: str, *, seq: int, at: datetime, user_id, actor, ip, action: str,
               subject_type: str, subject_id: str, batch_id, before, after, reason,
               key: bytes | None = None, row_id=None, state=None) -> str:
    """The entry's hash: HMAC-SHA256 under ``key`` over the previous hash and the content
    (including the audited row's state); plain SHA-256 without ``key`` (legacy entries only)."""
    payload = {
        "seq": seq, "at": plain(at), "user_id": user_id, "actor": actor, "ip": ip, "action": action,
        "subject_type": subject_type, "subject_id": str(subject_id), "batch_id": batch_id,
        "before": before, "after": after, "reason": reason,
    }
    if key is None:
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()
    payload["row_id"], payload["state"] = row_id, state
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, (prev_hash + text).encode("utf-8"), hashlib.sha256).hexdigest()


def entry_mac(key: bytes, *, seq: int, at: datetime, user_id, actor, ip, action: str, subject_type: str,
              subject_id: str, batch_id, before, after, reason, row_id=None, state=None, row_seal=None) -> str:
    """The keyed seal of one entry as its writer stores it (no previous hash: writers do not
    wait for one another). It covers the entry's number, so moving an entry is changing it."""
    payload = {
        "seq": seq, "at": plain(at), "user_id": user_id, "actor": actor, "ip": ip, "action": action,
        "subject_type": subject_type, "subject_id": str(subject_id), "batch_id": batch_id,
        "before": before, "after": after, "reason": reason, "row_id": row_id, "state": state,
        "row_seal": row_seal,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, ("entry:" + text).encode("utf-8"), hashlib.sha256).hexdigest()


def link_hash(key: bytes, prev_hash: str, pos: int, mac: str) -> str:
    """The chain link the sealing step gives the entry at position ``pos`` of the chain: it
    covers the entry's own seal and the previous link, so removing, inserting or reordering
    sealed entries breaks the chain from there."""
    return hmac.new(key, f"link:{prev_hash}:{pos}:{mac}".encode("ascii"), hashlib.sha256).hexdigest()
