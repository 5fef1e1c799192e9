"""``lims backup``: one archive with a consistent copy of the database and the files under
LIMS_DATA_DIR. SQLite is copied with its online backup API (a consistent snapshot while the
app runs); PostgreSQL with ``pg_dump`` (a consistent snapshot by design), without the rows of UNLOGGED
tables (the shared page cache: rendered pages, a shortcut and never a source of truth).

``lims restore``: such an archive back into an empty database and data directory. The
secrets are not in the archive (LIMS_AUDIT_KEY, LIMS_SECRET_KEY): see the README."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from lims.database import utcnow
from lims.imports.pending import BACKUP_SKIP

_SKIPPED = tuple(f"data/{path}" for path in BACKUP_SKIP)


def write_backup(out: str) -> str:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    data_dir = Path(current_app.config["DATA_DIR"])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if url.get_backend_name() == "sqlite":
            dump = tmp / "database.sqlite"
            source = sqlite3.connect(url.database)
            target = sqlite3.connect(dump)
            with target:
                source.backup(target)
            source.close()
            target.close()
        elif url.get_backend_name() == "postgresql":
            if shutil.which("pg_dump") is None:
                raise RuntimeError("pg_dump is not installed")
            dump = tmp / "database.pgdump"
            env_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
            # --no-unlogged-table-data: the shared page cache (lims.pagestore) is dumped empty
            subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-unlogged-table-data", f"--file={dump}",
                            env_url], check=True,
                           capture_output=True, timeout=3600)
        else:
            raise RuntimeError(f"backups of {url.get_backend_name()} are not supported")
        manifest = {"created_at": utcnow().isoformat(), "database": dump.name, "backend": url.get_backend_name(),
                    "data_dir": "data"}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        with tarfile.open(out, "w:gz") as tar:
            tar.add(tmp / "manifest.json", arcname="manifest.json")
            tar.add(dump, arcname=dump.name)
            if data_dir.exists():
                tar.add(data_dir, arcname="data", filter=_kept)
    size = Path(out).stat().st_size
    return f"{out}: {dump.name} and {data_dir} ({size} bytes)"


def _kept(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Leave out temporary files and uploads nobody committed (``lims.imports.pending``): a
    directory filtered out is not descended into."""
    if info.name.endswith(".tmp") or info.name in _SKIPPED:
        return None
    return info


class RestoreRefused(RuntimeError):
    """The archive or the target is not fit for a restore; nothing was changed."""


def _database_is_empty(url) -> bool:
    from sqlalchemy import create_engine, inspect

    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _read_archive(archive: str, tmp: Path) -> dict:
    """Unpack the archive into ``tmp`` safely (no absolute paths, no ``..``, no links out) and
    return its manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmp, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise RestoreRefused(f"{archive} is not a readable backup archive ({exc})") from exc
    try:
        manifest = json.loads((tmp / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RestoreRefused(f"{archive} has no readable manifest.json: not a `lims backup` archive") from exc
    name = manifest.get("database")
    if name not in ("database.sqlite", "database.pgdump") or not (tmp / name).is_file():
        raise RestoreRefused(f"{archive}: the database copy named in the manifest is missing")
    return manifest


def restore_backup(archive: str) -> str:
    """``lims restore``: the database and the stored files of a ``lims backup`` archive, into an
    empty database and an empty (or absent) LIMS_DATA_DIR. Refuses — changing nothing — when
    either holds anything, when the archive is not a backup, or when its database is of another
    kind than the target's."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    data_dir = Path(current_app.config["DATA_DIR"])
    backend = url.get_backend_name()
    if not _database_is_empty(url):
        raise RestoreRefused(f"the database {url.render_as_string(hide_password=True)} is not empty: restore only "
                             f"into a new, empty database")
    if data_dir.exists() and any(data_dir.iterdir()):
        raise RestoreRefused(f"the data directory {data_dir} is not empty: restore only into an empty one")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        manifest = _read_archive(archive, tmp)
        if manifest.get("backend") != backend:
            raise RestoreRefused(f"{archive} holds a {manifest.get('backend')} database; the target is {backend}")
        dump = tmp / manifest["database"]
        if backend == "sqlite":
            source = sqlite3.connect(dump)
            target = sqlite3.connect(url.database)
            with target:
                source.backup(target)
            source.close()
            target.close()
        elif backend == "postgresql":
            if shutil.which("pg_restore") is None:
                raise RuntimeError("pg_restore is not installed")
            env_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
            done = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                                   f"--dbname={env_url}", str(dump)], capture_output=True, timeout=3600)
            if done.returncode != 0:
                raise RuntimeError(f"pg_restore failed: {done.stderr.decode(errors='replace').strip()}")
        else:
            raise RestoreRefused(f"restores into {backend} are not supported")
        files = 0
        source_dir = tmp / manifest.get("data_dir", "data")
        if source_dir.is_dir():
            data_dir.mkdir(parents=True, exist_ok=True)
            for path in sorted(source_dir.rglob("*")):
                target_path = data_dir / path.relative_to(source_dir)
                if path.is_dir():
                    target_path.mkdir(parents=True, exist_ok=True)
                else:
                    target_path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target_path)
                    files += 1
    return f"restored {archive} (made {manifest.get('created_at')}): the {backend} database and {files} files " \
           f"into {data_dir}"
