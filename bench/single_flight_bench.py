"""Single flight of the shared page cache (issue 15, lims.pagestore): a write invalidates a slow
page, then ``--clients`` clients ask for it at once. How many renders does the burst cost, and
how long does its slowest client wait — with the shared level off (each gunicorn worker's own
LRU, the design before) and on, in the same run, on the same data.

Data: bench/scale_bench.py's province slice, built into a database of your own first, e.g.
  .venv/bin/python bench/scale_bench.py --database-url postgresql+psycopg://…/h_mine --results 3000000 --build-only
(then `flask db upgrade` on it if it predates the page_cache table). The page: the city
regulator's dashboard (scale_city), one browser session for all clients — a signed-in page is
kept per user and session, so only requests of one session share it (a public page is shared
by everyone). The write: a change mark at one of the city's markets (``cache_bumps``), which is
what an audited write there commits, so the dashboard's key moves.

Run: .venv/bin/python bench/single_flight_bench.py --database-url postgresql+psycopg://…/h_mine
     [--workers 4] [--clients 20] [--rounds 5]"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT  # noqa: E402
from scale_bench import free_port, sign_in  # noqa: E402


class Server:
    """gunicorn serving the app with the shared level on or off."""

    def __init__(self, url: str, workers: int, shared: bool, tmp: Path):
        env = dict(os.environ, LIMS_DATABASE_URL=url, LIMS_DATA_DIR=str(tmp / "data"), LIMS_SECRET_KEY="bench",
                   LIMS_AUDIT_KEY_DEV="1", LIMS_SESSION_COOKIE_SECURE="0",
                   LIMS_PAGE_CACHE_SHARED="1" if shared else "0", LIMS_PAGE_CACHE_WAIT_SECONDS="10")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--timeout", "120", "--log-level",
             "warning", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"], cwd=ROOT, env=env,
            start_new_session=True, stdout=open(tmp / f"app-{int(shared)}.log", "wb"), stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        import requests

        for _ in range(300):
            try:
                requests.get(self.base + "/health", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        import signal

        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=60)


def burst(session, url: str, clients: int) -> list[tuple]:
    """``clients`` requests at once with the session's cookies: (status, X-Page-Cache, seconds)."""
    import requests

    cookies = session.cookies.get_dict()
    start = threading.Barrier(clients)
    out: list = [None] * clients

    def ask(i):
        s = requests.Session()
        s.cookies.update(cookies)
        start.wait()
        t0 = time.perf_counter()
        r = s.get(url, timeout=120)
        out[i] = (r.status_code, r.headers.get("X-Page-Cache"), time.perf_counter() - t0)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def run(url: str, workers: int, clients: int, rounds: int, shared: bool, engine, site_id: int, tmp: Path) -> list:
    import sqlalchemy as sa

    server = Server(url, workers, shared, tmp)
    try:
        session = sign_in(server.base, "scale_city")
        t0 = time.perf_counter()
        first = session.get(server.base + "/dashboard", timeout=120)
        assert first.status_code == 200, first.status_code
        print(f"  one render alone: {time.perf_counter() - t0:.2f} s", flush=True)
        out = []
        for n in range(rounds):
            with engine.begin() as conn:  # a write at one of the city's markets: the dashboard's version moves
                conn.execute(sa.text("INSERT INTO cache_bumps (scope) VALUES (:s)"), {"s": f"site:{site_id}"})
            answers = burst(session, server.base + "/dashboard", clients)
            renders = sum(1 for a in answers if a[1] == "miss")
            errors = sum(1 for a in answers if a[0] != 200)
            slowest = max(a[2] for a in answers)
            sources = {k: sum(1 for a in answers if a[1] == k) for k in ("miss", "shared", "hit")}
            out.append({"renders": renders, "slowest": slowest, "median": statistics.median(a[2] for a in answers),
                        "errors": errors})
            print(f"  round {n + 1}: {renders:2d} renders, slowest {slowest:5.2f} s, median "
                  f"{out[-1]['median']:5.2f} s, errors {errors}; {sources}", flush=True)
            time.sleep(0.5)
        return out
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), required=False)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="off/on pairs, alternating")
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        sys.exit("--database-url: a PostgreSQL database built by bench/scale_bench.py (your own)")
    import sqlalchemy as sa

    engine = sa.create_engine(args.database_url)
    with engine.connect() as conn:
        site_id = conn.execute(sa.text(
            "SELECT s.id FROM sites s JOIN organisations d ON d.id = s.org_id JOIN organisations c "
            "ON c.id = d.parent_id WHERE c.code = 'C1' ORDER BY s.id LIMIT 1")).scalar_one()
        results = conn.execute(sa.text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'results'")).scalar()
    tmp = Path(tempfile.mkdtemp(prefix="lims-bench-flight-"))
    print(f"~{results:,} results; gunicorn {args.workers} workers; {args.clients} clients at once × {args.rounds} "
          f"rounds of write → burst; the city regulator's dashboard; load {os.getloadavg()[0]:.2f}", flush=True)
    summary: dict = {False: [], True: []}
    for _ in range(args.repeat):
        for shared in (False, True):
            print(f"shared level {'on' if shared else 'off'}:", flush=True)
            summary[shared] += run(args.database_url, args.workers, args.clients, args.rounds, shared, engine,
                                   site_id, tmp)
    engine.dispose()
    off, on = summary[False], summary[True]

    def mean(rows, k):
        return statistics.mean(r[k] for r in rows)

    print(f"renders per burst: off {mean(off, 'renders'):.1f} → on {mean(on, 'renders'):.1f}; slowest answer: off "
          f"{mean(off, 'slowest'):.2f} s → on {mean(on, 'slowest'):.2f} s (on/off {mean(on, 'slowest') / mean(off, 'slowest'):.2f}); "
          f"median answer off {mean(off, 'median'):.2f} s → on {mean(on, 'median'):.2f} s; errors "
          f"{sum(r['errors'] for r in off)} / {sum(r['errors'] for r in on)}; load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
