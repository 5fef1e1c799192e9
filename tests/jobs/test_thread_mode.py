"""`make run` (SQLite) needs nothing but the web process: the same jobs run there, in a thread,
after the request that made them has committed — and the request does not wait for them."""
from __future__ import annotations

import io
import re
import threading
import time
from types import SimpleNamespace

import pytest

from tests.jobs.test_worker_pg import counts, job_row, pesticide_csv, seed
from tests.conftest import Client
from tests.live import dispose, live_app

pytestmark = pytest.mark.live


def test_a_large_import_runs_in_a_thread_of_the_web_process(tmp_path_factory, worker_id, monkeypatch):
    from lims.jobs import services

    gate, seen = threading.Event(), []
    report_progress = services.report_progress

    def held(job_id, rows):  # the job's first progress waits until the test has its answer
        seen.append(rows)
        assert gate.wait(60)
        report_progress(job_id, rows)

    monkeypatch.setattr(services, "report_progress", held)
    app = live_app(tmp_path_factory, worker_id, "jobthread", JOBS_MODE="thread", IMPORT_JOB_BYTES=1024)
    try:
        rows = 4000
        seed(app, rows)
        client = Client(app.test_client())
        client.login(SimpleNamespace(username="killer"), password="x" * 10)
        token = client.csrf("/imports/new")
        r = client.post("/imports/preview", data={"csrf_token": token, "file": (io.BytesIO(pesticide_csv(rows)), "t.csv")},
                        content_type="multipart/form-data")
        assert r.status_code == 302 and re.fullmatch(r"/jobs/\d+", r.headers["Location"]), r.status_code
        job_id = int(r.headers["Location"].rsplit("/", 1)[1])
        # Answered while the job is still at work (held at its first progress report). Asked as the
        # page asks (a read): the job's import may already hold SQLite's write lock.
        assert client.get(f"/jobs/{job_id}.json").get_json()["status"] in ("queued", "running")
        assert not gate.is_set()
        page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
        assert "js/jobs.js" in page and "progress" in page
        gate.set()
        deadline = time.monotonic() + 120
        while job_row(app, job_id)[0] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen and seen[-1] == rows
        assert job_row(app, job_id)[:2] == ("done", rows)
        assert counts(app) == (0, 0)  # a preview: nothing saved
        state = client.get(f"/jobs/{job_id}.json").get_json()
        assert (state["status"], state["rows_done"]) == ("done", rows)
        assert "import-counts" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    finally:
        dispose(app)
