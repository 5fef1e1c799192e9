"""Province scale on PostgreSQL (issue 15).

Builds (untimed, generated inside PostgreSQL with INSERT … SELECT generate_series, in chunks)
a province slice: 2 cities, 12 districts, 600 sites, 30,000 stalls, a quick-test room per
site, and ``--results`` results (default 10,000,000: two tests per batch) over three years,
≈1.5 % positive with their dispositions closed. Then, in one run, each beside a floor measured
in the same run:

  pages   20 concurrent clients (wrk) for ``--page-seconds`` each: public stall page, market
          board, batch list and batch page of a district regulator, district and city
          dashboards — p95 under 100 ms each; the floor is a minimal Flask route (one indexed
          read, one insert with commit) served the same way (gunicorn, same workers).
  reports the monthly report PDF of a district and of a city — under 5 s and 15 s.
  mixed   ``--clients`` threads for ``--seconds``: 45 % API reads, 15 % public pages, 20 %
          batch registration, 20 % result posting — no errors, nothing lost, p95 under 300 ms,
          throughput at least 25 % of the floor route driven by the same clients.
  import  a 100,000-row file uploaded through the web and run by `lims worker` (the request
          answers at once with the job) — at most 3× the floor: the same rows parsed with the
          csv module and inserted with psycopg executemany in one transaction.

Needs PostgreSQL, wrk (apt-get install wrk) and a few GB of disk for 10 M results.
Run: .venv/bin/python bench/scale_bench.py [--results N] [--database-url postgresql+psycopg://…/db]
(the database is created, or emptied when it exists; with --reuse, data an earlier run built
is measured again: build once, measure when the machine is quiet)."""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_app  # noqa: E402

CITIES, DISTRICTS_PER_CITY, SITES_PER_DISTRICT, STALLS_PER_SITE = 2, 6, 50, 50
SITES = CITIES * DISTRICTS_PER_CITY * SITES_PER_DISTRICT
ITEMS = ("OPC", "CLB", "RAC", "MG", "NF", "NO2", "SO2", "HCHO", "CAP", "ENR")
PASSWORD = "scale-bench-pw"
CHUNK = 1_000_000
SHANGHAI = timezone(timedelta(hours=8))

WRK_LUA = """
paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
done = function(summary, latency, requests)
  io.write(string.format("STATS %d %d %d %d %.1f\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(95), summary.duration / 1e6))
end
"""

FLOOR_APP = """
import os
import sqlalchemy as sa
from flask import Flask, request

engine = sa.create_engine(os.environ["FLOOR_DATABASE_URL"], pool_size=5)
app = Flask(__name__)


@app.get("/floor")
def floor():
    with engine.begin() as conn:
        row = conn.execute(sa.text("SELECT id, status FROM batches WHERE code = :c"),
                           {"c": request.args.get("code", "SC000000001")}).first()
        conn.execute(sa.text("INSERT INTO bench_floor (batch_id) VALUES (:b)"), {"b": row[0] if row else None})
    return {"status": row[1] if row else None}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the data (untimed) -------------------------------------------------------------------


def build_tree(app) -> dict:
    """The organisation tree, sites, stalls, stations, suppliers and the people measured."""
    import sqlalchemy as sa

    from lims.accounts.access import Actor
    from lims.accounts.services import create_token, create_user
    from lims.extensions import db
    from lims.orgs.services import create_org

    system = Actor(user=None, ip="bench")
    with app.app_context():
        create_org(system, code="ZJ", name="浙江省", kind="province")
        districts = []
        for c in range(1, CITIES + 1):
            create_org(system, code=f"C{c}", name=f"基准市{c}", kind="city", parent="ZJ",
                       issuer_name=f"基准市{c}市场监督管理局")
            for d in range(1, DISTRICTS_PER_CITY + 1):
                code = f"C{c}D{d:02d}"
                create_org(system, code=code, name=f"基准市{c}第{d}区", kind="district", parent=f"C{c}",
                           issuer_name=f"基准市{c}第{d}区市场监督管理局")
                create_org(system, code=f"T{code}", name=f"基准市{c}第{d}区快检中心", kind="testing", parent=code)
                districts.append(code)
        conn = db.session.connection()
        for n, code in enumerate(districts):
            conn.execute(sa.text("""
                INSERT INTO sites (code, name, kind, district, org_id, planned_monthly_batches, active, created_at)
                SELECT :d || '-S' || lpad(k::text, 2, '0'), o.name || '市场' || k, 'market', o.name, o.id, 700, true, now()
                FROM organisations o, generate_series(1, CAST(:n AS integer)) k WHERE o.code = :d ORDER BY k"""),
                         {"d": code, "n": SITES_PER_DISTRICT})
        conn.execute(sa.text("""
            INSERT INTO stalls (site_id, code, operator, public_code, active, created_at)
            SELECT s.id, 'A-' || lpad(k::text, 2, '0'), '经营户' || k, 'p' || s.id || 'k' || k, true, now()
            FROM sites s, generate_series(1, CAST(:n AS integer)) k ORDER BY s.id, k"""), {"n": STALLS_PER_SITE})
        conn.execute(sa.text("""
            INSERT INTO stations (code, name, kind, org_id, site_id, active)
            SELECT 'R-' || s.code, s.name || '快检室', 'room', t.id, s.id, true
            FROM sites s JOIN organisations d ON d.id = s.org_id JOIN organisations t ON t.code = 'T' || d.code
            ORDER BY s.id"""))
        conn.execute(sa.text("INSERT INTO station_sites (station_id, site_id) SELECT id, site_id FROM stations"))
        conn.execute(sa.text("INSERT INTO suppliers (name, created_at) SELECT '供货商' || k, now() "
                             "FROM generate_series(1, 30) k"))
        layout = conn.execute(sa.text("SELECT min(id), max(id), count(*) FROM sites")).one()
        stalls = conn.execute(sa.text("SELECT min(id), max(id), count(*) FROM stalls")).one()
        stations = conn.execute(sa.text("SELECT min(id), max(id) FROM stations")).one()
        assert tuple(layout) == (1, SITES, SITES) and tuple(stalls) == (1, SITES * STALLS_PER_SITE, SITES * STALLS_PER_SITE) \
            and tuple(stations) == (1, SITES), (layout, stalls, stations)
        d1_stations = [f"R-C1D01-S{k:02d}" for k in range(1, SITES_PER_DISTRICT + 1)]
        users = {
            "admin": create_user(system, username="scale_admin", role="admin", password=PASSWORD),
            "district": create_user(system, username="scale_district", role="regulator", password=PASSWORD,
                                    org_codes=["C1D01"]),
            "city": create_user(system, username="scale_city", role="regulator", password=PASSWORD, org_codes=["C1"]),
            "tech": create_user(system, username="scale_tech", role="technician", password=PASSWORD,
                                station_codes=d1_stations),
        }
        tokens = {k: create_token(system, u, "bench") for k, u in users.items()}
        db.session.commit()
        return {"tokens": tokens, "users": {k: u.username for k, u in users.items()}}


def fill(app, results: int) -> int:
    """``results`` results, two per batch, spread evenly over the three years before now."""
    import sqlalchemy as sa

    from lims.extensions import db

    batches = results // 2
    seconds = 3 * 365 * 86400
    with app.app_context():
        items = [db.session.execute(sa.text("SELECT id FROM test_items WHERE code = :c"), {"c": c}).scalar_one()
                 for c in ITEMS]
    arr = "ARRAY[" + ",".join(map(str, items)) + "]"
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    t0 = time.perf_counter()
    for start in range(1, batches + 1, CHUNK):
        end = min(batches, start + CHUNK - 1)
        with engine.begin() as conn:
            conn.execute(sa.text(f"""
                INSERT INTO batches (id, code, site_id, stall_id, station_id, food, supplier_id, quantity_kg,
                                     sampled_at, status, verdict, created_at, row_version)
                SELECT g, 'SC' || lpad(g::text, 9, '0'), s, (s - 1) * {STALLS_PER_SITE} + (g / {SITES}) % {STALLS_PER_SITE} + 1,
                       s, '青菜', g % 30 + 1, 10, ts,
                       CASE WHEN g % 67 = 0 THEN 'disposed' ELSE 'passed' END,
                       CASE WHEN g % 67 = 0 THEN 'positive' ELSE 'negative' END, ts, 1
                FROM (SELECT g, g % {SITES} + 1 AS s,
                             now() - interval '{seconds} seconds' + g * interval '{seconds / batches:.6f} seconds' AS ts
                      FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) g) x"""), {"a": start, "b": end})
            for k in (0, 1):
                conn.execute(sa.text(f"""
                    INSERT INTO batch_tests (batch_id, item_id) SELECT g, ({arr})[(g + {k * 3}) % 10 + 1]
                    FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) g"""), {"a": start, "b": end})
                conn.execute(sa.text(f"""
                    INSERT INTO results (batch_id, site_id, item_id, version, current, value, unit, outcome, disagrees,
                                         signal_mismatch, station_id, tested_at, created_at, reviewed_at, row_version,
                                         rejected)
                    SELECT b.id, b.site_id, ({arr})[(b.id + {k * 3}) % 10 + 1], 1, true,
                           CASE WHEN {k} = 0 AND b.id % 67 = 0 THEN 62.3 ELSE 12.5 END, '%',
                           CASE WHEN {k} = 0 AND b.id % 67 = 0 THEN 'positive' ELSE 'negative' END, false, false,
                           b.station_id, b.sampled_at + interval '1 hour', b.sampled_at + interval '1 hour',
                           b.sampled_at + interval '2 hours', 1, false
                    FROM batches b WHERE b.id BETWEEN :a AND :b"""), {"a": start, "b": end})
            conn.execute(sa.text("""
                INSERT INTO dispositions (batch_id, status, opened_at, notified_at, objection_deadline, disposal_due_at,
                                          closed_at, row_version)
                SELECT id, 'disposed', sampled_at + interval '1 hour', sampled_at + interval '70 minutes',
                       sampled_at + interval '310 minutes', sampled_at + interval '1 day', sampled_at + interval '20 hours', 1
                FROM batches WHERE id BETWEEN :a AND :b AND verdict = 'positive'"""), {"a": start, "b": end})
        print(f"  … {end * 2:,} results ({time.perf_counter() - t0:.0f} s)", flush=True)
    with engine.begin() as conn:
        conn.execute(sa.text("""
            INSERT INTO disposal_actions (disposition_id, action, quantity_kg, done_at, supervisor, created_at)
            SELECT id, 'destroy', 10, closed_at, '监督员', closed_at FROM dispositions"""))
        conn.execute(sa.text("SELECT setval('batches_id_seq', (SELECT max(id) FROM batches))"))
        conn.execute(sa.text("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, batch_id bigint, "
                             "at timestamptz DEFAULT now())"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return batches


# --- serving and driving ------------------------------------------------------------------


class Servers:
    """gunicorn serving the app, gunicorn serving the floor route, `lims worker`."""

    def __init__(self, app, tmp: Path, workers: int):
        self.url = app.config["SQLALCHEMY_DATABASE_URI"]
        env = dict(os.environ, LIMS_DATABASE_URL=self.url, LIMS_DATA_DIR=app.config["DATA_DIR"],
                   LIMS_SECRET_KEY="bench", LIMS_AUDIT_KEY_DEV="1", LIMS_SESSION_COOKIE_SECURE="0",
                   LIMS_IMPORT_MAX_ROWS="500000", LIMS_JOBS_MODE="procrastinate",
                   FLOOR_DATABASE_URL=self.url, PYTHONPATH=str(tmp))
        (tmp / "floor_app.py").write_text(FLOOR_APP)
        self.port, self.floor_port = free_port(), free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--log-level", "warning"]
        self.procs = [
            subprocess.Popen([*gunicorn, "--bind", f"127.0.0.1:{self.port}", "wsgi:app"], cwd=ROOT, env=env,
                             start_new_session=True, stdout=open(tmp / "app.log", "wb"), stderr=subprocess.STDOUT),
            subprocess.Popen([*gunicorn, "--bind", f"127.0.0.1:{self.floor_port}", "floor_app:app"], cwd=tmp, env=env,
                             start_new_session=True, stdout=open(tmp / "floor.log", "wb"), stderr=subprocess.STDOUT),
            subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "lims", "worker"], cwd=ROOT, env=env,
                             start_new_session=True, stdout=open(tmp / "worker.log", "wb"), stderr=subprocess.STDOUT),
        ]
        self.base, self.floor = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.floor_port}"
        import requests

        for base, path in ((self.base, "/health"), (self.floor, "/floor")):
            for _ in range(300):
                try:
                    requests.get(base + path, timeout=5)
                    break
                except requests.RequestException:
                    time.sleep(0.2)

    def stop(self) -> None:
        """Stop the servers and cancel what they left running in the database (a page that
        takes seconds keeps its query going after its client has gone), so that one phase's
        backlog does not weigh on the next."""
        import sqlalchemy as sa

        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            p.wait(timeout=60)
        engine = sa.create_engine(self.url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"))
        engine.dispose()


def sign_in(base: str, username: str):
    import requests

    s = requests.Session()
    page = s.get(base + "/login").text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = s.post(base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf},
               allow_redirects=False)
    assert r.status_code == 302, (username, r.status_code)
    return s


def wrk(base: str, paths: list[str], seconds: float, cookie: str | None, tmp: Path) -> dict:
    (tmp / "paths.txt").write_text("\n".join(paths) + "\n")
    (tmp / "stats.lua").write_text(WRK_LUA)
    cmd = ["wrk", "-t2", "-c20", f"-d{seconds:.0f}s", "--timeout", "30s", "-s", str(tmp / "stats.lua"), base]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, env=dict(os.environ, BENCH_PATHS=str(tmp / "paths.txt")), capture_output=True,
                         text=True, check=True).stdout
    n, errors, status_errors, p95_us, secs = re.search(r"STATS (\d+) (\d+) (\d+) (\d+) ([\d.]+)", out).groups()
    return {"rps": int(n) / float(secs), "errors": int(errors) + int(status_errors), "p95": int(p95_us) / 1000}


def pages(app, servers: Servers, seconds: float, tmp: Path) -> list[tuple]:
    import requests
    import sqlalchemy as sa

    engine = sa.create_engine(servers.url)
    with engine.connect() as conn:
        d1 = "SELECT s.id FROM sites s JOIN organisations o ON o.id = s.org_id WHERE o.code = 'C1D01'"
        stalls = conn.execute(sa.text("SELECT public_code FROM stalls ORDER BY random() LIMIT 2000")).scalars().all()
        sites = conn.execute(sa.text("SELECT code FROM sites")).scalars().all()
        batches = conn.execute(sa.text(f"SELECT code FROM batches WHERE site_id IN ({d1}) "
                                       "ORDER BY random() LIMIT 2000")).scalars().all()
    engine.dispose()

    def cookie(username):
        return "; ".join(f"{c.name}={c.value}" for c in sign_in(servers.base, username).cookies)

    district, city = cookie("scale_district"), cookie("scale_city")
    floor_codes = [f"/floor?code={c}" for c in batches]
    runs = [
        ("floor route (one indexed read + one insert)", servers.floor, floor_codes, None),
        ("public stall page (一摊一码)", servers.base, [f"/public/stalls/{c}" for c in stalls], None),
        ("market board", servers.base, [f"/public/sites/{c}/board" for c in sites], None),
        ("batch list, district regulator", servers.base, ["/batches"], district),
        ("batch page, district regulator", servers.base, [f"/batches/{c}" for c in batches], district),
        ("dashboard, district regulator", servers.base, ["/dashboard"], district),
        ("dashboard, city regulator", servers.base, ["/dashboard"], city),
    ]
    out = []
    for name, base, paths, ck in runs:
        # Warm-up: the first address asked once before the clock starts, as a page someone
        # already opened (a dashboard's first render, 1-2 s here, is timed on its own: prof
        # figures in docs/benchmarks.md); wrk's 20 connections would otherwise all queue
        # behind it, and the tail measured would be the first render's, not the page's.
        requests.get(base + paths[0], headers={"Cookie": ck} if ck else {}, timeout=60)
        r = wrk(base, paths, seconds, ck, tmp)
        out.append((name, r))
        print(f"  {name:48} {r['rps']:7.1f} req/s  p95 {r['p95']:7.0f} ms  errors {r['errors']}", flush=True)
    return out


def reports(app) -> list[tuple]:
    import sqlalchemy as sa

    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.models import User
    from lims.reporting.monthly import monthly_pdf

    today = datetime.now(SHANGHAI).date()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    app.config.setdefault("REPORT_ISSUER", None)
    app.config["REPORT_ISSUER"] = app.config["REPORT_ISSUER"] or "基准市场监督管理局"  # until a node issues its own
    out = []
    with app.test_request_context():
        for who, target in (("scale_district", 5.0), ("scale_city", 15.0)):
            user = db.session.execute(sa.select(User).where(User.username == who)).scalar_one()
            t0 = time.perf_counter()
            pdf = monthly_pdf(Actor(user=user, ip="bench"), month)
            took = time.perf_counter() - t0
            out.append((who, took, target, len(pdf)))
            print(f"  monthly report {month:%Y-%m}, {who:15} {took:6.2f} s (target < {target:.0f} s), "
                  f"{len(pdf) // 1024} KB", flush=True)
            db.session.rollback()
    return out


def drive(clients: int, seconds: float, step) -> dict:
    """``clients`` threads calling ``step(session, rng, state)`` until time is up; each call
    returns (kind, ok)."""
    import requests

    stats: dict = {"lat": [], "kinds": {}, "errors": []}
    lock = threading.Lock()
    stop = threading.Event()

    def client(seed):
        rng, s, state = random.Random(seed), requests.Session(), {"pending": []}
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                kind, ok, detail = step(s, rng, state)
            except Exception as exc:  # noqa: BLE001 — counted and shown
                kind, ok, detail = "exception", False, repr(exc)
            lat = time.perf_counter() - t0
            with lock:
                stats["lat"].append(lat)
                stats["kinds"][kind] = stats["kinds"].get(kind, 0) + 1
                if not ok:
                    stats["errors"].append(detail)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    lat = sorted(stats["lat"])
    return {"rps": len(lat) / elapsed, "p95": lat[int(len(lat) * 0.95) - 1] * 1000 if lat else 0,
            "errors": stats["errors"], "kinds": stats["kinds"], "n": len(lat)}


def mixed(app, servers: Servers, tokens: dict, clients: int, seconds: float) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(servers.url)
    with engine.connect() as conn:
        d1_sites = conn.execute(sa.text(
            "SELECT s.code FROM sites s JOIN organisations o ON o.id = s.org_id WHERE o.code = 'C1D01'")).scalars().all()
        codes = conn.execute(sa.text("SELECT b.code FROM batches b JOIN sites s ON s.id = b.site_id "
                                     "JOIN organisations o ON o.id = s.org_id WHERE o.code = 'C1D01' "
                                     "ORDER BY random() LIMIT 5000")).scalars().all()
        stalls = conn.execute(sa.text("SELECT public_code FROM stalls ORDER BY random() LIMIT 5000")).scalars().all()
    read_h = {"Authorization": f"Bearer {tokens['district']}"}
    write_h = {"Authorization": f"Bearer {tokens['tech']}"}
    acked = {"batches": set(), "results": set()}
    cache: dict[str, int] = {}  # the public pages' X-Page-Cache: hit / shared / stale / miss
    lock = threading.Lock()
    base = servers.base

    def step(s, rng, state):
        roll = rng.random()
        now = datetime.now(timezone.utc).isoformat()
        if roll < 0.45:
            if rng.random() < 0.5:
                r = s.get(f"{base}/api/v1/batches", params={"site": rng.choice(d1_sites)}, headers=read_h, timeout=60)
            else:
                r = s.get(f"{base}/api/v1/batches/{rng.choice(codes)}", headers=read_h, timeout=60)
            return "api read", r.status_code == 200, f"read {r.status_code}"
        if roll < 0.60:
            r = s.get(f"{base}/public/stalls/{rng.choice(stalls)}", timeout=60)
            with lock:
                cache[r.headers.get("X-Page-Cache", "none")] = cache.get(r.headers.get("X-Page-Cache", "none"), 0) + 1
            return "public page", r.status_code == 200, f"public {r.status_code}"
        if roll < 0.80 or not state["pending"]:
            body = {"site": rng.choice(d1_sites), "stall": f"A-{rng.randint(1, STALLS_PER_SITE):02d}", "food": "青菜",
                    "sampled_at": now, "tests": ["OPC"], "quantity_kg": 5}
            r = s.post(f"{base}/api/v1/batches", json=body, headers=write_h, timeout=60)
            if r.status_code in (200, 201):
                code = r.json()["code"]
                state["pending"].append(code)
                with lock:
                    acked["batches"].add(code)
            return "registration", r.status_code in (200, 201), f"register {r.status_code} {r.text[:200]}"
        code = state["pending"].pop(0)
        r = s.post(f"{base}/api/v1/batches/{code}/results", json={"item": "OPC", "value": 12.5, "tested_at": now},
                   headers=write_h, timeout=60)
        if r.status_code in (200, 201):
            with lock:
                acked["results"].add(code)
        return "result", r.status_code in (200, 201), f"result {r.status_code} {r.text[:200]}"

    run = drive(clients, seconds, step)
    floor_codes = codes

    def floor_step(s, rng, state):
        r = s.get(f"{servers.floor}/floor", params={"code": rng.choice(floor_codes)}, timeout=60)
        return "floor", r.status_code == 200, f"floor {r.status_code}"

    floor = drive(clients, min(seconds, 30), floor_step)
    with engine.connect() as conn:
        stored = set(conn.execute(sa.text("SELECT code FROM batches WHERE code = ANY(:c)"),
                                  {"c": list(acked["batches"])}).scalars()) if acked["batches"] else set()
        with_results = set(conn.execute(sa.text(
            "SELECT DISTINCT b.code FROM batches b JOIN results r ON r.batch_id = b.id WHERE b.code = ANY(:c)"),
            {"c": list(acked["results"])}).scalars()) if acked["results"] else set()
    engine.dispose()
    lost = len(acked["batches"] - stored) + len(acked["results"] - with_results)
    share = run["rps"] / floor["rps"] if floor["rps"] else 0
    print(f"  mixed: {run['n']} requests, {run['rps']:.1f} req/s, p95 {run['p95']:.0f} ms, errors {len(run['errors'])}"
          f"{' (first: ' + run['errors'][0] + ')' if run['errors'] else ''}; {run['kinds']}", flush=True)
    hits = cache.get("hit", 0) + cache.get("shared", 0) + cache.get("stale", 0)  # not rendered for this request
    print(f"  public pages from the page cache: {hits} of {sum(cache.values())} "
          f"({hits / max(1, sum(cache.values())):.0%}; shared level {cache.get('shared', 0)})", flush=True)
    print(f"  floor route, same clients: {floor['rps']:.1f} req/s, p95 {floor['p95']:.0f} ms; mixed/floor = "
          f"{share:.0%} (target ≥ 25 %); acknowledged {len(acked['batches'])} batches, {len(acked['results'])} "
          f"results; lost {lost}", flush=True)
    return {**run, "floor": floor, "share": share, "lost": lost, "public_cache": cache}


# --- the import ---------------------------------------------------------------------------

HEADER = "通道号,样品编号,样品名称,被检单位,检测项目,检测结果,单位,检测依据,标准值,结论,检测员,检测时间"


def existing_app(url: str):
    from lims import create_app

    tmp = Path(tempfile.mkdtemp(prefix="lims-bench-scale-"))
    return create_app({"TESTING": True, "DATABASE_URL": url, "DATA_DIR": str(tmp / "data"), "SECRET_KEY": "bench",
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "IMPORT_MAX_ROWS": 500_000}), tmp


def new_tokens(app) -> dict:
    import sqlalchemy as sa

    from lims.accounts.access import Actor
    from lims.accounts.services import create_token
    from lims.extensions import db
    from lims.models import User

    with app.app_context():
        tokens = {k: create_token(Actor(user=None, ip="bench"), db.session.execute(
            sa.select(User).where(User.username == f"scale_{k}")).scalar_one(), "bench")
            for k in ("admin", "district", "city", "tech")}
        db.session.commit()
    return tokens


def import_file(app, rows: int) -> bytes:
    """``rows`` batches registered today at a district-1 site (untimed) and their pesticide CSV,
    under a tag of their own (a run on reused data imports new batches)."""
    import sqlalchemy as sa

    tag = f"{int(time.time()) % 100000:05d}"
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:
        site_id, site_name = conn.execute(sa.text("SELECT id, name FROM sites WHERE code = 'C1D01-S01'")).one()
        opc = conn.execute(sa.text("SELECT id FROM test_items WHERE code = 'OPC'")).scalar_one()
        conn.execute(sa.text(f"""
            INSERT INTO batches (code, site_id, stall_id, station_id, food, sampled_at, status, created_at, row_version)
            SELECT 'IMP' || :tag || '-' || lpad(g::text, 6, '0'), {site_id}, (SELECT min(id) FROM stalls WHERE site_id = {site_id}),
                   {site_id}, '青菜', now() - interval '2 hours', 'registered', now(), 1
            FROM generate_series(0, CAST(:n AS integer) - 1) g"""), {"n": rows, "tag": tag})
        conn.execute(sa.text(f"INSERT INTO batch_tests (batch_id, item_id) SELECT id, {opc} FROM batches "
                             "WHERE code LIKE :like"), {"like": f"IMP{tag}-%"})
    engine.dispose()
    start = datetime.now(SHANGHAI) - timedelta(hours=1, seconds=rows)
    out = io.StringIO()
    out.write(HEADER + "\r\n")
    for n in range(rows):
        value = (n * 37) % 600 / 10 if n % 67 == 0 else (n * 37) % 450 / 10
        out.write(f"{n % 12 + 1},IMP{tag}-{n:06d},青菜,{site_name} A-01,农药残留,{value:.1f},%,GB/T 5009.199-2003,50,"
                  f"{'不合格' if value >= 50 else '合格'},王丽,{start + timedelta(seconds=n):%Y-%m-%d %H:%M:%S}\r\n")
    return out.getvalue().encode("gb18030")


def import_floor(url: str, data: bytes) -> float:
    """The same rows parsed with csv and inserted with psycopg executemany in one transaction
    (rolled back): every column the import writes."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        ids = {code: (bid, site) for code, bid, site in conn.execute(
            "SELECT code, id, site_id FROM batches WHERE code LIKE 'IMP%' AND status = 'registered'").fetchall()}
        opc = conn.execute("SELECT id FROM test_items WHERE code = 'OPC'").fetchone()[0]
        t0 = time.perf_counter()
        rows = []
        for rec in csv.reader(io.StringIO(data.decode("gb18030"))):
            if rec[0] == "通道号":
                continue
            value = float(rec[5])
            tested = datetime.strptime(rec[11], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI).astimezone(timezone.utc)
            outcome = "positive" if value >= 50 else "negative"
            rows.append((*ids[rec[1]], opc, 1, True, f"{rec[1]}|OPC|{rec[0]}|{rec[11]}", value, rec[5], "%", value, 50,
                         rec[7], outcome, "enzyme_inhibition", rec[9], outcome, False, False, rec[0], tested, rec[10],
                         datetime.now(timezone.utc), 1, int(rec[1].split("-")[1]) + 2, "0" * 32, False))
        with conn.cursor() as cur:
            cur.executemany("""
                INSERT INTO results (batch_id, site_id, item_id, version, current, record_key, value, value_text, unit,
                    computed_value, cutoff, method, outcome, reason, instrument_word, instrument_outcome, disagrees,
                    signal_mismatch, channel, tested_at, tester_name, created_at, row_version, import_id, import_row,
                    seal, rejected)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                        NULL, %s, %s, %s)""", rows)
        took = time.perf_counter() - t0
        conn.rollback()
    return took


def run_import(servers: Servers, data: bytes) -> dict:
    s = sign_in(servers.base, "scale_tech")

    def token(path):
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(servers.base + path).text).group(1)

    def job(response, started):
        answered = time.perf_counter() - started
        assert response.status_code in (200, 302), response.status_code
        if "/jobs/" not in response.headers.get("Location", ""):  # a small file is done within the request
            return answered, answered, {"status": "done (in the request)", "rows_done": None}, None
        location = response.headers["Location"]
        while True:
            state = s.get(servers.base + location + ".json").json()
            if state["status"] in ("done", "failed"):
                return answered, time.perf_counter() - started, state, location
            time.sleep(0.25)

    t0 = time.perf_counter()
    r = s.post(servers.base + "/imports/preview", files={"file": ("scale.csv", data)},
               data={"csrf_token": token("/imports/new")}, allow_redirects=False)
    p_answer, p_total, p_state, location = job(r, t0)
    page = r.text if location is None else s.get(servers.base + location).text
    sha = re.search(r'name="sha256" value="([0-9a-f]+)"', page).group(1)
    t1 = time.perf_counter()
    r = s.post(servers.base + "/imports/commit", data={"sha256": sha, "action": "commit",
                                                       "csrf_token": token("/imports/new")}, allow_redirects=False)
    c_answer, c_total, c_state, _ = job(r, t1)
    return {"preview_answer": p_answer, "preview": p_total, "commit_answer": c_answer, "commit": c_total,
            "status": c_state["status"], "rows_done": c_state["rows_done"]}


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--results", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--page-seconds", type=float, default=20)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="measure the data an earlier run built")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    parser.add_argument("--phases", default="pages,reports,mixed,import",
                        help="which measurements to run (comma-separated; all by default)")
    args = parser.parse_args()
    import sqlalchemy as sa

    url = args.database_url or os.environ.get("BENCH_DATABASE_URL") or \
        "postgresql+psycopg://postgres@127.0.0.1:5432/lims_scale_bench"
    t0 = time.perf_counter()
    if args.reuse:
        app, tmp = existing_app(url)
        people = {"tokens": new_tokens(app)}
        with app.app_context():
            from lims.extensions import db

            args.results = db.session.execute(sa.text("SELECT count(*) FROM results")).scalar_one()
        print(f"measuring the {args.results:,} results built before", flush=True)
    else:
        u = sa.engine.make_url(url)
        admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{u.database}"')
        admin.dispose()
        app, tmp = fresh_app("scale", url)
        with app.app_context():
            from lims.jobs.engine import apply_schema

            apply_schema()
        people = build_tree(app)
        print(f"building {args.results:,} results over 3 years in {SITES} sites (untimed) …", flush=True)
        fill(app, args.results)
        print(f"data ready in {time.perf_counter() - t0:.0f} s", flush=True)
        if args.build_only:
            return
    phases = set(args.phases.split(","))
    data = import_file(app, args.import_rows) if "import" in phases else b""

    servers = Servers(app, tmp, args.workers)
    summary = {"results": args.results}
    try:
        if "pages" in phases:
            print(f"pages, 20 connections × {args.page_seconds:.0f} s each (gunicorn {args.workers} workers):",
                  flush=True)
            summary["pages"] = pages(app, servers, args.page_seconds, tmp)
        if "reports" in phases:
            servers.stop()  # each phase starts from idle servers and an idle database
            print("monthly reports:", flush=True)
            summary["reports"] = reports(app)
            servers = Servers(app, tmp, args.workers)
        if "mixed" in phases:
            print(f"mixed load, {args.clients} clients × {args.seconds:.0f} s:", flush=True)
            summary["mixed"] = {k: v for k, v in mixed(app, servers, people["tokens"], args.clients,
                                                       args.seconds).items() if k != "errors"}
        if "import" in phases:
            print(f"import of {args.import_rows:,} rows:", flush=True)
            floor = import_floor(url, data)
            imp = run_import(servers, data)
            ratio = imp["commit"] / floor
            print(f"  upload answered in {imp['preview_answer']:.2f} s (preview job {imp['preview']:.1f} s); commit "
                  f"answered in {imp['commit_answer']:.2f} s, job {imp['status']} after {imp['commit']:.1f} s "
                  f"({imp['rows_done']} rows)", flush=True)
            print(f"  floor (csv + psycopg executemany, one transaction): {floor:.1f} s; commit/floor = {ratio:.2f} "
                  f"(target ≤ 3); preview+commit/floor = {(imp['preview'] + imp['commit']) / floor:.2f}", flush=True)
            summary["import"] = {**imp, "floor": floor, "ratio": ratio}
            timeouts = (tmp / "app.log").read_text(errors="replace").count("WORKER TIMEOUT")
            print(f"gunicorn WORKER TIMEOUTs: {timeouts}")
    finally:
        servers.stop()
    (tmp / "summary.json").write_text(json.dumps(summary, default=str, indent=1))
    print(f"summary: {tmp / 'summary.json'}")


if __name__ == "__main__":
    main()
