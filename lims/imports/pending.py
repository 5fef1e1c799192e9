"""Uploaded files waiting between preview and commit, kept under LIMS_DATA_DIR (not in the
worker's memory) so that the commit may reach any app server.

They live apart from everything else, in ``DATA_DIR/pending/<user id>/``: only files an
instrument format recognises are kept, a user keeps at most a few (the oldest go first),
nothing is used or kept after a day, and a backup leaves the directory out (``BACKUP_SKIP``)."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app

from instruments import ParseError, iter_file
from lims.errors import InvalidInput

SHA = re.compile(r"^[0-9a-f]{64}$")
KEEP_SECONDS = 24 * 3600
PER_USER_FILES = 5
PER_USER_BYTES = 50 * 1024 * 1024

PENDING_DIR = "pending"
#: Directories under LIMS_DATA_DIR that a backup must leave out: uploads nobody committed
#: (and where they lived before they had their own directory).
BACKUP_SKIP = (PENDING_DIR, "imports/pending")


def _root() -> Path:
    return Path(current_app.config["DATA_DIR"]) / PENDING_DIR


def _dir(user_id: int | None) -> Path:
    path = _root() / str(int(user_id or 0))
    path.mkdir(parents=True, exist_ok=True)
    return path


def check(data: bytes, filename: str, format: str | None = None) -> str:
    """The format of an upload, or InvalidInput (in the user's words) for a file no
    instrument format reads: only such files are worth keeping for a preview."""
    from lims.imports.services import _limits, problem_message

    try:
        fmt, stream = iter_file(data, filename=filename or None, format=format, now=datetime.now(timezone.utc),
                                tz=current_app.config["TIMEZONE"], limits=_limits())
    except ParseError as exc:
        message = problem_message(exc)
        raise InvalidInput(message, {"file": [message]}) from None
    stream.close()
    return fmt


def put(sha: str, data: bytes, filename: str, user_id: int | None) -> None:
    """Keep an upload for its preview and commit; only its uploader may use it."""
    if not SHA.match(sha or ""):
        raise ValueError("not a sha256")
    base = _dir(user_id)
    (base / f"{sha}.json").write_text(json.dumps({"filename": filename}, ensure_ascii=False), encoding="utf-8")
    (base / f"{sha}.bin.tmp").write_bytes(data)
    (base / f"{sha}.bin.tmp").replace(base / f"{sha}.bin")
    _limit(base, keep=sha)
    sweep()


def get(sha: str, user_id: int | None) -> tuple[bytes, str] | None:
    if not SHA.match(sha or ""):
        return None
    base = _dir(user_id)
    data_path = base / f"{sha}.bin"
    try:
        if data_path.stat().st_mtime < time.time() - KEEP_SECONDS:
            drop(sha, user_id)
            return None
        data = data_path.read_bytes()
        meta = json.loads((base / f"{sha}.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data, meta.get("filename", "")


def drop(sha: str, user_id: int | None) -> None:
    if SHA.match(sha or ""):
        base = _dir(user_id)
        for suffix in (".bin", ".json"):
            (base / f"{sha}{suffix}").unlink(missing_ok=True)


def _limit(base: Path, keep: str) -> None:
    """The newest few of one user's uploads stay; older ones beyond the count or the bytes go."""
    files = []
    for path in base.glob("*.bin"):
        try:
            files.append((path.stat(), path))
        except FileNotFoundError:
            pass
    files.sort(key=lambda f: (f[1].stem != keep, -f[0].st_mtime))
    total = 0
    for n, (stat, path) in enumerate(files):
        total += stat.st_size
        if n > 0 and (n >= PER_USER_FILES or total > PER_USER_BYTES):
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)


def sweep(now: float | None = None) -> int:
    """Delete uploads nobody committed within a day (and left-over temporary files); the
    number of files removed. Runs on every upload."""
    cutoff = (now or time.time()) - KEEP_SECONDS
    removed = 0
    for root in (_root(), Path(current_app.config["DATA_DIR"]) / "imports" / "pending"):
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed += 1
            except FileNotFoundError:
                pass
    return removed
