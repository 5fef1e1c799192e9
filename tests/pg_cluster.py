"""A PostgreSQL primary and its streaming replica (hot standby), started for a test or a
benchmark: ``initdb`` on a free port, ``pg_basebackup -R`` for the replica on another, in a
temporary directory removed afterwards. Run as root (CI), the servers run as the ``postgres`` OS
user — initdb refuses root — in a directory it owns.

Server binaries: ``/usr/lib/postgresql/15/bin`` or ``LIMS_PG_BIN``."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

PG_BIN = Path(os.environ.get("LIMS_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A primary and its streaming replica in a temporary directory, stopped and removed at the end."""

    def __init__(self):
        self.as_root = os.geteuid() == 0
        # As root, under /tmp itself: a TMPDIR of root's own may not let the postgres user through.
        self.base = Path(tempfile.mkdtemp(prefix="lims-replica-", dir="/tmp" if self.as_root else None))
        if self.as_root:
            shutil.chown(self.base, "postgres", "postgres")
        self.primary, self.replica = self.base / "primary", self.base / "replica"
        self.primary_port, self.replica_port = _free_port(), _free_port()
        self.started: list[Path] = []

    def run(self, *args, timeout=60):
        cmd = [str(PG_BIN / args[0]), *map(str, args[1:])]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.base)
        if done.returncode != 0:
            logs = "".join(p.read_text(errors="replace")[-2000:] for p in self.base.glob("*.log"))
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stdout}{done.stderr}{logs}")
        return done.stdout

    def _settings(self, datadir: Path, port: int) -> None:
        with open(datadir / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.base}'\n"
                       "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
                       "full_page_writes = off\nshared_buffers = 32MB\nmax_connections = 30\n")

    def start(self) -> None:
        self.run("initdb", "-D", self.primary, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                 "--no-sync")
        self._settings(self.primary, self.primary_port)
        self.run("pg_ctl", "-D", self.primary, "-l", self.base / "primary.log", "-w", "start")
        self.started.append(self.primary)
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", self.primary_port, "-U", "postgres", "-D", self.replica,
                 "-R", "-X", "stream", "-c", "fast", "--no-sync")
        self._settings(self.replica, self.replica_port)  # the copied file named the primary's port: this one wins
        self.run("pg_ctl", "-D", self.replica, "-l", self.base / "replica.log", "-w", "start")
        self.started.append(self.replica)

    def stop(self) -> None:
        for datadir in reversed(self.started):
            try:
                self.run("pg_ctl", "-D", datadir, "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"


def missing() -> str | None:
    for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres"):
        if not (PG_BIN / tool).exists():
            return f"PostgreSQL server binaries not found: {PG_BIN / tool} (set LIMS_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root needs a 'postgres' OS user to run the servers (initdb refuses root)"
        if shutil.which("runuser") is None:
            return "running as root needs runuser (util-linux) to start the servers as postgres"
    return None


def wait_caught_up(cluster, timeout=30.0) -> None:
    primary = sa.create_engine(cluster.url(cluster.primary_port))
    replica = sa.create_engine(cluster.url(cluster.replica_port))
    try:
        with primary.connect() as p:
            target = p.execute(sa.text("SELECT pg_current_wal_lsn()")).scalar_one()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with replica.connect() as r:
                if r.execute(sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"), {"t": target}).scalar_one():
                    return
            time.sleep(0.1)
        raise AssertionError("the replica did not catch up")
    finally:
        primary.dispose()
        replica.dispose()
