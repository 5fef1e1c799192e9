"""``lims backup``: one archive with a consistent copy of the database and the files under
LIMS_DATA_DIR. SQLite is copied with its online backup API (a consistent snapshot while the
app runs); PostgreSQL with ``pg_dump`` (a consistent snapshot by design)."""
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
            subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", env_url], check=True,
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
