"""Pure hashing of audit entries (no database): canonical JSON, SHA-256, chained."""
from __future__ import annotations

import hashlib
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
               subject_type: str, subject_id: str, batch_id, before, after, reason) -> str:
    payload = {
        "seq": seq, "at": plain(at), "user_id": user_id, "actor": actor, "ip": ip, "action": action,
        "subject_type": subject_type, "subject_id": str(subject_id), "batch_id": batch_id,
        "before": before, "after": after, "reason": reason,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()
