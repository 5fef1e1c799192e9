"""The write path's own cost (issue 15, the mixed load): SQL statements and time per batch
registration (POST /api/v1/batches) and per result post (POST /api/v1/batches/<code>/results).

In process, through Flask's test client on the data of ``bench/scale_bench.py`` (build a slice
first, e.g. ``scale_bench.py --results 1000000 --build-only --database-url …/h_mydb``): ``--n``
registrations at the district-1 markets, then a result for each, as the mixed load sends them.
Every statement the driver runs is counted (SQLAlchemy ``before_cursor_execute``; the
transaction's BEGIN and COMMIT are not statements here); the time of each request is taken
with ``perf_counter`` and the median, p90 and statement counts printed. ``--show-sql`` prints
the statements of one registration and one result post. ``--mixed`` then runs scale_bench's
mixed load (gunicorn, ``--clients`` × ``--seconds``) against its floor route.

Code changes cannot be compared within one run: run it on main's code and on the change,
on the same data, and compare (the figures are in docs/benchmarks.md).

Run: .venv/bin/python bench/write_path_bench.py --database-url postgresql+psycopg://…/h_mydb [--n 300]"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_bench  # noqa: E402


def measure(app, token: str, n: int, show_sql: bool) -> dict:
    import sqlalchemy as sa

    from lims.extensions import db

    with app.app_context():
        sites = db.session.execute(sa.text(
            "SELECT s.code FROM sites s JOIN organisations o ON o.id = s.org_id WHERE o.code = 'C1D01' "
            "ORDER BY s.code")).scalars().all()
        engine = db.engine
    log: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        log.append(statement)

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    runs = {"registration": [], "result": []}
    shown = {}

    def timed(kind, method, path, body):
        log.clear()
        t0 = time.perf_counter()
        r = client.open(path, method=method, json=body, headers=headers)
        took = time.perf_counter() - t0
        assert r.status_code in (200, 201), (kind, r.status_code, r.get_data(as_text=True)[:500])
        runs[kind].append((took, len(log)))
        shown.setdefault(kind, list(log)) if len(runs[kind]) == 5 else None
        return r

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        codes = []
        for i in range(n):
            now = datetime.now(timezone.utc).isoformat()
            body = {"site": sites[i % len(sites)], "stall": f"A-{i % scale_bench.STALLS_PER_SITE + 1:02d}",
                    "food": "青菜", "sampled_at": now, "tests": ["OPC"], "quantity_kg": 5}
            codes.append(timed("registration", "POST", "/api/v1/batches", body).get_json()["code"])
        for code in codes:
            now = datetime.now(timezone.utc).isoformat()
            timed("result", "POST", f"/api/v1/batches/{code}/results",
                  {"item": "OPC", "value": 12.5, "tested_at": now})
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    out = {}
    for kind, rows in runs.items():
        rows = rows[5:] or rows  # the first few warm the process (compiled statements, caches)
        ms = sorted(t * 1000 for t, _ in rows)
        stmts = [s for _, s in rows]
        out[kind] = {"median_ms": statistics.median(ms), "p90_ms": ms[int(len(ms) * 0.9) - 1],
                     "statements_median": statistics.median(stmts), "statements_min": min(stmts),
                     "statements_max": max(stmts), "n": len(rows)}
        print(f"  {kind:12} {out[kind]['median_ms']:6.1f} ms median, p90 {out[kind]['p90_ms']:6.1f} ms; "
              f"statements {out[kind]['statements_median']:.0f} (min {min(stmts)}, max {max(stmts)}); "
              f"n = {len(rows)}", flush=True)
        if show_sql:
            for s in shown.get(kind, []):
                print("      " + " ".join(s.split())[:220])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), required=False)
    parser.add_argument("--n", type=int, default=300, help="registrations (and as many result posts)")
    parser.add_argument("--repeat", type=int, default=1, help="measure the in-process figures this many times")
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--mixed", action="store_true", help="also run scale_bench's mixed load")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (a database scale_bench.py built) is required")
    print(f"load average at the start: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}", flush=True)
    app, tmp = scale_bench.existing_app(args.database_url)
    tokens = scale_bench.new_tokens(app)
    for k in range(args.repeat):
        print(f"in process, run {k + 1} of {args.repeat}:", flush=True)
        measure(app, tokens["tech"], args.n, args.show_sql and k == 0)
    if args.mixed:
        servers = scale_bench.Servers(app, tmp, args.workers)
        try:
            print(f"mixed load, {args.clients} clients × {args.seconds:.0f} s (gunicorn {args.workers} workers):",
                  flush=True)
            scale_bench.mixed(app, servers, tokens, args.clients, args.seconds)
        finally:
            servers.stop()
    print(f"load average at the end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}", flush=True)


if __name__ == "__main__":
    main()
