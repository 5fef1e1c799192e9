"""A large file through the web on PostgreSQL (issue 15: long work off the request).

Serves the app with gunicorn (default 30 s worker timeout) and runs `lims worker`, then as a user
uploads an N-row pesticide file (default 180,000): times the upload's answer (the job page), the
preview job, the commit's answer and the import job; checks every row landed once.

Run: BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/lims_bench_jobs \\
     .venv/bin/python bench/job_import_bench.py [--rows N]   (the database must exist and is emptied)"""
from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_app  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=180_000)
    args = parser.parse_args()
    url = os.environ["BENCH_DATABASE_URL"]
    import requests
    import sqlalchemy as sa

    from tests.jobs.test_worker_pg import pesticide_csv, seed

    app, tmp = fresh_app("jobs", url)
    with app.app_context():
        from lims.jobs.engine import apply_schema

        apply_schema()
    seed(app, args.rows)
    data = pesticide_csv(args.rows)
    env = dict(os.environ, LIMS_DATABASE_URL=url, LIMS_DATA_DIR=app.config["DATA_DIR"], LIMS_SECRET_KEY="bench",
               LIMS_AUDIT_KEY_DEV="1", LIMS_SESSION_COOKIE_SECURE="0", LIMS_IMPORT_MAX_ROWS="500000", LIMS_UNBOUND_STAFF_SEE_ALL="1")
    port = free_port()
    procs = [subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "wsgi:app"], cwd=ROOT, env=env, start_new_session=True,
                              stdout=open(tmp / "gunicorn.log", "wb"), stderr=subprocess.STDOUT),
             subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "lims", "worker"], cwd=ROOT, env=env,
                              start_new_session=True, stdout=open(tmp / "worker.log", "wb"), stderr=subprocess.STDOUT)]
    base = f"http://127.0.0.1:{port}"
    try:
        s = requests.Session()
        for _ in range(100):
            try:
                s.get(base + "/health", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)

        def token(path):
            return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(base + path).text).group(1)

        r = s.post(base + "/login", data={"username": "killer", "password": "x" * 10, "csrf_token": token("/login")},
                   allow_redirects=False)
        assert r.status_code == 302, r.status_code

        def run_job(response, started):
            answered = time.perf_counter() - started
            assert response.status_code == 302 and "/jobs/" in response.headers["Location"], response.status_code
            job = response.headers["Location"]
            last = None
            while True:
                state = s.get(base + job + ".json").json()
                if state["rows_done"] != last:
                    last = state["rows_done"]
                if state["status"] in ("done", "failed"):
                    return answered, time.perf_counter() - started, state, job
                time.sleep(0.5)

        started = time.perf_counter()
        r = s.post(base + "/imports/preview", files={"file": ("big.csv", data)},
                   data={"csrf_token": token("/imports/new")}, allow_redirects=False)
        answered, total, state, job = run_job(r, started)
        print(f"preview: answered in {answered:.2f} s; job {state['status']} after {total:.1f} s, "
              f"{state['rows_done']} rows processed")
        page = s.get(base + job).text
        sha = re.search(r'name="sha256" value="([0-9a-f]+)"', page).group(1)
        started = time.perf_counter()
        r = s.post(base + "/imports/commit", data={"sha256": sha, "action": "commit", "csrf_token": token("/imports/new")},
                   allow_redirects=False)
        answered, total, state, job = run_job(r, started)
        print(f"commit: answered in {answered:.2f} s; job {state['status']} after {total:.1f} s, "
              f"{state['rows_done']} rows processed, attempts {state['attempts']}")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            results = conn.execute(sa.text("SELECT count(*) FROM results")).scalar_one()
            imports = conn.execute(sa.text("SELECT count(*) FROM imports")).scalar_one()
        engine.dispose()
        print(f"results {results} (rows {args.rows}), imports {imports}")
        timeouts = (tmp / "gunicorn.log").read_text(errors="replace").count("WORKER TIMEOUT")
        print(f"gunicorn WORKER TIMEOUTs: {timeouts}")
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)


if __name__ == "__main__":
    main()
