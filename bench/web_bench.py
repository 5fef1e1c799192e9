"""Public and list pages under load (issue: market managers, public pages).

Loads 1,000,000 results (untimed), serves the app with gunicorn (2 workers) and drives, with
wrk and 20 concurrent connections for 30 s each, in the same run:
  - /health (the trivial baseline),
  - the public stall page (一摊一码) of a busy stall,
  - the public market board of a busy market,
  - the batch list (signed in as a regulator).
Prints requests/s, p95 latency and errors for each, and each page's throughput as a share
of the health route's. Targets: no errors, p95 < 100 ms, throughput ≥ 30 % of /health.

Needs wrk (apt-get install wrk). Run: .venv/bin/python bench/web_bench.py [--results N]"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_app  # noqa: E402
from report_bench import fill, world  # noqa: E402

LUA = """
done = function(summary, latency, requests)
  io.write(string.format("STATS %d %d %d %d %.1f\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(95), summary.duration / 1e6))
end
"""


def today_at_busy_site(app, stalls, items, n: int = 400) -> None:
    """A market morning: ``n`` reviewed results today at the first site."""
    now = datetime.now(timezone.utc)
    first_site = stalls[0][1]
    fill(app, now - timedelta(hours=5), 0.2, n, [s for s in stalls if s[1] == first_site], items, "T")


def login_cookie(base: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"username": "bench", "password": "x" * 10, "csrf_token": token}).encode()
    opener.open(f"{base}/login", data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(url: str, seconds: int, connections: int, header: str | None = None) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA)
    cmd = ["wrk", "-t", "4", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s", "-s", lua.name, url]
    if header:
        cmd[1:1] = ["-H", header]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    requests, errors, status_errors, p95_us, duration = re.search(r"STATS (\d+) (\d+) (\d+) (\d+) ([\d.]+)", out).groups()
    return {"rps": int(requests) / float(duration), "errors": int(errors) + int(status_errors),
            "p95_ms": int(p95_us) / 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    app, tmp = fresh_app("web")
    _sites, stalls, items = world(app, 50)
    t0 = time.perf_counter()
    fill(app, datetime.now(timezone.utc) - timedelta(days=365), 364, args.results, stalls, items, "H")
    today_at_busy_site(app, stalls, items)
    print(f"loaded {args.results} results ({time.perf_counter() - t0:.0f} s, untimed)")
    from lims.extensions import db
    from lims.models import Site, Stall

    with app.app_context():
        site = db.session.get(Site, stalls[0][1])
        stall = db.session.get(Stall, stalls[0][0])
        site_code, public_code = site.code, stall.public_code
    port = 5077
    env = {**os.environ, "LIMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "LIMS_DATA_DIR": app.config["DATA_DIR"], "LIMS_SECRET_KEY": "bench", "LIMS_SESSION_COOKIE_SECURE": "0"}
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "2", "--bind",
                               f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        cookie = login_cookie(base)
        targets = [("health", f"{base}/health", None),
                   ("public stall page", f"{base}/public/stalls/{public_code}", None),
                   ("market board", f"{base}/public/sites/{site_code}/board", None),
                   ("batch list", f"{base}/batches", f"Cookie: {cookie}")]
        results = {}
        for name, url, header in targets:
            urllib.request.urlopen(urllib.request.Request(url, headers=dict([header.split(": ", 1)]) if header else {}))
            results[name] = wrk(url, args.seconds, args.connections, header)
        health = results["health"]["rps"]
        print(f"{'route':<20}{'req/s':>9}{'p95 ms':>9}{'errors':>8}{'of /health':>12}")
        for name, r in results.items():
            share = r["rps"] / health
            print(f"{name:<20}{r['rps']:>9.0f}{r['p95_ms']:>9.1f}{r['errors']:>8}{share:>11.0%}")
        print("targets: no errors, p95 < 100 ms, throughput ≥ 30 % of /health")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
