"""Page-cache hit rate under a mixed load with writes (issue 15, design 2).

A district of ``--sites`` markets × 20 stalls with ``--results`` results (loaded untimed),
served by gunicorn (``--workers``, default 4) on the given database. ``--clients`` threads
(default 16) for ``--seconds`` (default 30) each pick, per request: a public stall page (70 %,
a random stall), a market board (20 %, a random market) or a write (10 %: a result of a random
batch reviewed again through the audit service, committed — as any service writes, it marks
the batch's stall and market changed). Stalls and markets are picked with Zipf weights (the
k-th busiest 1/k as often: shoppers crowd some stalls, some markets have screens refreshing). Every page response says ``X-Page-Cache: hit|miss``;
prints the hit rate per page kind, requests/s and p95, and the writes done — once with the cache
keyed per scope and once with ``LIMS_PAGE_CACHE_SCOPED=0`` (one version for everything, as before),
on the same data and load.

With the cache keyed on one global sequence (the design before), every write anywhere made
the next request of every page a miss; now a write marks only its stall and market.

Run: .venv/bin/python bench/cache_bench.py --database-url postgresql+psycopg://…/bench_cache"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_app  # noqa: E402
from report_bench import fill, world  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--results", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--write-share", type=float, default=0.10)
    args = parser.parse_args()

    import sqlalchemy as sa

    app, _tmp = fresh_app("cache", args.database_url)
    _sites, stalls, items = world(app, args.sites)
    now = datetime.now(timezone.utc)
    fill(app, now - timedelta(days=29), 29, args.results, stalls, items, "C")
    from lims.extensions import db
    from lims.models import Batch, Result, Site, Stall

    with app.app_context():
        public = [c for (c,) in db.session.execute(sa.select(Stall.public_code))]
        boards = [c for (c,) in db.session.execute(sa.select(Site.code))]
        pairs = db.session.execute(sa.select(Result.id, Result.batch_id).join(Batch, Batch.id == Result.batch_id)
                                   .where(Result.current.is_(True))).all()
    stall_w = [1 / (k + 1) for k in range(len(public))]
    board_w = [1 / (k + 1) for k in range(len(boards))]
    for scoped in (True, False):
        run(app, args, public, boards, pairs, stall_w, board_w, scoped)


def run(app, args, public, boards, pairs, stall_w, board_w, scoped: bool) -> None:
    import sqlalchemy as sa

    from lims.accounts.access import Actor
    from lims.audit.services import record
    from lims.extensions import db
    from lims.models import User

    port = 5000 + os.getpid() % 1000
    env = {**os.environ, "LIMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "LIMS_DATA_DIR": app.config["DATA_DIR"], "LIMS_SECRET_KEY": "bench", "LIMS_AUDIT_KEY_DEV": "1",
           "LIMS_SESSION_COOKIE_SECURE": "0",
           "LIMS_PAGE_CACHE_SCOPED": "1" if scoped else "0"}
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(args.workers), "--bind",
                               f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        stats = {"stall": {"hit": 0, "miss": 0, "lat": []}, "board": {"hit": 0, "miss": 0, "lat": []}}
        writes, errors = [0], []
        lock = threading.Lock()
        stop = threading.Event()

        def client(seed: int) -> None:
            rng = random.Random(seed)
            with app.app_context():
                actor = Actor(user=db.session.execute(sa.select(User).where(User.username == "bench")).scalar_one(),
                              ip="bench")
                while not stop.is_set():
                    roll = rng.random()
                    try:
                        if roll < args.write_share:
                            rid, bid = rng.choice(pairs)
                            record(actor, "result.review", "result", rid, batch_id=bid, reason="bench")
                            db.session.commit()
                            with lock:
                                writes[0] += 1
                            continue
                        kind = "stall" if roll < args.write_share + 0.7 else "board"
                        url = (f"{base}/public/stalls/{rng.choices(public, stall_w)[0]}" if kind == "stall"
                               else f"{base}/public/sites/{rng.choices(boards, board_w)[0]}/board")
                        t0 = time.perf_counter()
                        with urllib.request.urlopen(url, timeout=30) as r:
                            r.read()
                            state = r.headers.get("X-Page-Cache", "none")
                            state = "hit" if state == "shared" else state  # from the shared level: not rendered
                        lat = time.perf_counter() - t0
                        with lock:
                            stats[kind][state] = stats[kind].get(state, 0) + 1
                            stats[kind]["lat"].append(lat)
                    except Exception as exc:  # noqa: BLE001 — counted and shown
                        db.session.rollback()
                        errors.append(exc)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait()
    print(f"{'PER SCOPE (now)' if scoped else 'ONE GLOBAL VERSION (before)'}: "
          f"{args.sites} markets, {len(public)} stalls, {args.results} results; gunicorn {args.workers} workers; "
          f"{args.clients} clients for {elapsed:.0f} s; database {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    total_hit = total = 0
    for kind, s in stats.items():
        n = s["hit"] + s["miss"]
        total_hit += s["hit"]
        total += n
        lat = sorted(s["lat"])
        if n:
            print(f"{kind:6} pages: {n} ({n / elapsed:.0f}/s), hit rate {s['hit'] / n:.1%}, p50 "
                  f"{statistics.median(lat) * 1000:.0f} ms, p95 {lat[int(len(lat) * 0.95) - 1] * 1000:.0f} ms")
    print(f"all pages: hit rate {total_hit / max(total, 1):.1%}; writes {writes[0]} ({writes[0] / elapsed:.1f}/s); "
          f"errors {len(errors)}" + (f" (first: {errors[0]!r})" if errors else ""))


if __name__ == "__main__":
    main()
