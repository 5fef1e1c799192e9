"""Audited write throughput with many writers at once (issue 15, design 1).

N threads (default 8), each in its own transaction per operation, for S seconds (default 20):
change a row (the thread's own user) and write an audit entry about it through
``lims.audit.services.record`` — the path every service takes — then hold the transaction open
for ``--hold-ms`` (default 5 ms: the rest of a request after its audit entry, up to the
commit at the request's end) and commit. Prints operations per second, p50/p95 latency and
whether `verify` passes afterwards (after sealing, where the code has a sealing step).

Run it against any checkout of the code (``--root``) to compare designs on the same machine:
  .venv/bin/python bench/audit_write_bench.py --database-url postgresql+psycopg://…/bench_audit
  .venv/bin/python bench/audit_write_bench.py --root /tmp/before --database-url …"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--hold-ms", type=float, default=5)
    args = parser.parse_args()
    sys.path.insert(0, args.root)

    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from lims import create_app
    from lims.accounts.access import Actor
    from lims.audit import services as audit
    from lims.extensions import db
    from lims.models import User
    from tests.conftest import migrate_and_load, reset_database

    tmp = Path(tempfile.mkdtemp(prefix="lims-bench-audit-write-"))
    app = create_app({"TESTING": True, "DATABASE_URL": args.database_url, "DATA_DIR": str(tmp), "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": args.threads + 2}})
    reset_database(app)
    migrate_and_load(app)
    with app.app_context():
        users = [User(username=f"w{i}", display_name=f"写入{i}", role="technician",
                      password_hash=generate_password_hash("x" * 10, method="pbkdf2:sha256:1000"))
                 for i in range(args.threads)]
        db.session.add_all(users)
        db.session.commit()
        ids = [u.id for u in users]

    latencies: list[list[float]] = [[] for _ in range(args.threads)]
    errors: list[BaseException] = []
    start_barrier = threading.Barrier(args.threads + 1)
    stop = threading.Event()

    def writer(i: int) -> None:
        with app.app_context():
            user = db.session.get(User, ids[i])
            actor = Actor(user=user, ip="bench")
            start_barrier.wait()
            n = 0
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    n += 1
                    db.session.execute(sa.update(User).where(User.id == ids[i]).values(display_name=f"写入{i}-{n}"))
                    audit.record(actor, "user.update", "user", ids[i], after={"display_name": f"写入{i}-{n}"})
                    time.sleep(args.hold_ms / 1000)
                    db.session.commit()
                except Exception as exc:  # noqa: BLE001 — counted and shown
                    db.session.rollback()
                    errors.append(exc)
                    continue
                latencies[i].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    start_barrier.wait()
    t0 = time.perf_counter()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    flat = sorted(x for lat in latencies for x in lat)
    with app.app_context():
        sealed = None
        if hasattr(audit, "seal"):
            t1 = time.perf_counter()
            sealed = audit.seal(wait=True)
            db.session.commit()
            seal_s = time.perf_counter() - t1
        result = audit.verify()
    ops = len(flat)
    print(f"root={args.root} db={app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]} threads={args.threads} "
          f"hold={args.hold_ms} ms seconds={elapsed:.1f}")
    print(f"audited writes: {ops} in {elapsed:.1f} s = {ops / elapsed:.0f} ops/s; latency p50 "
          f"{statistics.median(flat) * 1000:.1f} ms, p95 {flat[int(len(flat) * 0.95) - 1] * 1000:.1f} ms; "
          f"errors {len(errors)}")
    if sealed is not None:
        print(f"sealing afterwards: {sealed} entries in {seal_s:.2f} s ({sealed / max(seal_s, 1e-9):.0f} entries/s)")
    print(f"verify: ok={result.ok} entries={result.checked}")
    if errors:
        print("first error:", repr(errors[0])[:300])


if __name__ == "__main__":
    main()
