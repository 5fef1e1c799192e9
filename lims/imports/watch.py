"""``lims watch DIR``: import files dropped into a folder, as instrument PCs do.

Each file is imported once, then moved to ``done/`` or ``failed/`` with ``<name>.log``
beside it. Restarting is safe: a file imported just before a crash (but not yet moved) is
recognised by its SHA-256 and only moved; partially written files are left until their
size stops changing."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from lims.extensions import db
from lims.imports.cli import report_lines, run_cli_import

SUFFIXES = {".csv", ".txt", ".xlsx", ".xls", ".tsv"}
SETTLE_SECONDS = 1.0


def _settled(paths: list[Path]) -> list[Path]:
    """The files whose size and time did not change while we waited a moment: a file still
    being copied onto the share (Windows copies keep the source's old time) is left alone."""
    def look(path):
        try:
            st = path.stat()
            return st.st_size, st.st_mtime_ns
        except FileNotFoundError:
            return None

    before = {p: look(p) for p in paths}
    if not paths:
        return []
    time.sleep(SETTLE_SECONDS)
    return [p for p in paths if before[p] is not None and look(p) == before[p]]


def _move(path: Path, target_dir: Path, log: list[str]) -> Path:
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    n = 1
    while target.exists():
        target = target_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(str(path), target)
    target.with_name(target.name + ".log").write_text("\n".join(log) + "\n", encoding="utf-8")
    return target


def import_one(path: Path, username=None, create_batches=False) -> tuple[str, list[str]]:
    try:
        report = run_cli_import(path, username=username, create_batches=create_batches, source="watch")
    except Exception as exc:  # noqa: BLE001 — a broken file must not stop the watcher
        db.session.rollback()
        return "failed", [f"{path.name}: FAILED: {exc}"]
    lines = report_lines(report)
    return ("failed" if report.status == "rejected" else "done"), lines


def scan(folder: Path, username=None, create_batches=False, echo=print) -> int:
    """Import every settled file in ``folder`` once; return how many were handled."""
    handled = 0
    candidates = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                        and not p.name.startswith("."))
    for path in _settled(candidates):
        outcome, lines = import_one(path, username, create_batches)
        _move(path, folder / outcome, lines)
        for line in lines:
            echo(line)
        handled += 1
    return handled


def watch(folder: Path, username=None, interval=5.0, once=False, create_batches=False, echo=print) -> None:
    from lims.imports.cli import import_actor

    import_actor(username)  # an unknown user stops the watcher now, not file by file
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "done").mkdir(exist_ok=True)
    (folder / "failed").mkdir(exist_ok=True)
    echo(f"watching {folder} (Ctrl+C to stop)" if not once else f"importing what is in {folder}")
    while True:
        scan(folder, username, create_batches, echo)
        if once:
            return
        time.sleep(interval)
