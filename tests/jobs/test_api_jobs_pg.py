"""The real engine behind the API: a large file posted to /api/v1/imports is queued in
procrastinate's tables (202, the request holds nothing open), `lims worker` imports it, and
GET /api/v1/jobs/<id> follows it from queued to done with the summary.

Needs PostgreSQL (LIMS_TEST_DATABASE_URL or LIMS_TEST_PG_URL), as tests/jobs/test_worker_pg.py."""
from __future__ import annotations

import io

import pytest

from tests.jobs.test_worker_pg import counts, pesticide_csv, pg_app, seed, start_worker, stop  # noqa: F401

pytestmark = pytest.mark.live


def test_an_api_import_is_queued_and_run_by_a_worker(pg_app):
    from lims.accounts.access import Actor
    from lims.accounts.services import create_token
    from lims.extensions import db
    from lims.jobs import engine
    from lims.models import User

    rows = 400
    user_id = seed(pg_app, rows)
    with pg_app.app_context():
        engine.apply_schema()
        token = create_token(Actor(user=None, ip="test"), db.session.get(User, user_id), "test")
        db.session.commit()
        db.session.remove()
    data = pesticide_csv(rows, positives={3})
    pg_app.config["IMPORT_JOB_BYTES"] = len(data)  # this file is large; one byte less would not be
    headers = {"Authorization": f"Bearer {token}"}
    client = pg_app.test_client()
    r = client.post("/api/v1/imports", data={"file": (io.BytesIO(data), "api.csv")}, headers=headers,
                    content_type="multipart/form-data")
    assert r.status_code == 202, r.get_data(as_text=True)[:2000]
    url = r.headers["Location"]
    assert r.get_json()["status"] == "queued" and r.get_json()["rows_total"] == rows
    with pg_app.app_context():
        queued = db.session.execute(db.text("SELECT task_name, status FROM procrastinate_jobs")).all()
        db.session.remove()
    assert [tuple(q) for q in queued] == [("lims:run_job", "todo")]
    assert counts(pg_app) == (0, 0)  # nothing imported in the request
    body = client.get(url, headers=headers).get_json()
    assert (body["status"], body["finished"], body["summary"]) == ("queued", False, None)

    worker = start_worker(pg_app, "--once")
    try:
        assert worker.wait(timeout=240) == 0, worker.log.read_text(errors="replace")[-3000:]
    finally:
        stop(worker)
    body = client.get(url, headers=headers).get_json()
    assert (body["status"], body["finished"], body["rows_done"], body["rows_total"]) == ("done", True, rows, rows)
    summary = body["summary"]
    assert (summary["state"], summary["imported"], summary["positives"], summary["problems"]) == (
        "committed", rows, 1, [])
    assert counts(pg_app) == (1, rows)
