"""Uploaded files waiting between preview and commit, kept under LIMS_DATA_DIR (not in the
worker's memory) so that the commit may reach any app server."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from flask import current_app

SHA = re.compile(r"^[0-9a-f]{64}$")
KEEP_SECONDS = 24 * 3600


def _dir() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "imports" / "pending"
    path.mkdir(parents=True, exist_ok=True)
    return path


def put(sha: str, data: bytes, filename: str, user_id: int | None) -> None:
    """Keep an upload for its preview and commit; only its uploader may use it."""
    base = _dir()
    (base / f"{sha}.bin.tmp").write_bytes(data)
    (base / f"{sha}.bin.tmp").replace(base / f"{sha}.bin")
    meta = {"filename": filename, "users": sorted(set(_meta(base, sha).get("users", [])) | {user_id})}
    (base / f"{sha}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    _sweep(base)


def _meta(base: Path, sha: str) -> dict:
    path = base / f"{sha}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def get(sha: str, user_id: int | None) -> tuple[bytes, str] | None:
    if not SHA.match(sha or ""):
        return None
    base = _dir()
    data_path = base / f"{sha}.bin"
    meta = _meta(base, sha)
    if not data_path.exists() or user_id not in meta.get("users", []):
        return None
    return data_path.read_bytes(), meta.get("filename", "")


def drop(sha: str) -> None:
    if SHA.match(sha or ""):
        for suffix in (".bin", ".json"):
            (_dir() / f"{sha}{suffix}").unlink(missing_ok=True)


def _sweep(base: Path) -> None:
    """Forget previews nobody committed within a day."""
    cutoff = time.time() - KEEP_SECONDS
    for path in base.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            pass
