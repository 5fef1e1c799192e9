"""Shared set-up for the benchmarks: a fresh migrated database and a district to fill."""
from __future__ import annotations

import os
import resource
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_app(name: str, database_url: str | None = None):
    """An app on a new SQLite file (or the given URL), migrated, with reference data."""
    from lims import create_app
    from tests.conftest import migrate_and_load, reset_database

    tmp = Path(tempfile.mkdtemp(prefix=f"lims-bench-{name}-"))
    url = database_url or os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "DATA_DIR": str(tmp / "data"), "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "IMPORT_MAX_ROWS": 500_000})
    reset_database(app)
    migrate_and_load(app)
    return app, tmp


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (VmHWM: unlike ru_maxrss it is not
    inherited from the parent that started the process)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
