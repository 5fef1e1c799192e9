"""POST /api/v1/imports above the size that runs as a job: 202 Accepted with the job, whose
address (``GET /api/v1/jobs/<id>``) tells rows processed of the total and, once done, the same
summary with row problems that a small file gets at once. Files refused or imported before are
still answered at once; nobody sees another user's job."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.imports.test_import_api import api, assert_error_shape, problem_file  # noqa: F401
from tests.jobs.test_import_jobs import big_file


@pytest.fixture
def small_threshold(app, monkeypatch):
    """Every file counts as large: it goes through a job."""
    monkeypatch.setitem(app.config, "IMPORT_JOB_BYTES", 1)


def count(db, model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def accepted_job(response) -> tuple[int, str]:
    assert response.status_code == 202, response.get_data(as_text=True)[:1000]
    body = response.get_json()
    location = response.headers["Location"]
    assert location.endswith(f"/api/v1/jobs/{body['id']}") and body["url"] == f"/api/v1/jobs/{body['id']}"
    return body["id"], body["url"]


def test_a_large_file_answers_202_and_its_job_gives_the_summary(api, db, client, small_threshold, world):
    from lims.models import Import, Job, Result

    r = api(big_file(), "big.csv")
    job_id, url = accepted_job(r)
    first = r.get_json()
    assert first["kind"] == "import.commit" and first["rows_total"] == 14  # the text file's rows, estimated
    headers = {"Authorization": r.request.headers["Authorization"]}
    state = client.get(url, headers=headers)
    assert state.status_code == 200
    body = state.get_json()
    assert (body["status"], body["finished"], body["rows_done"], body["rows_total"]) == ("done", True, 14, 14)
    summary = body["summary"]
    assert summary["state"] == "committed" and summary["format"] == "pesticide-csv"
    assert (summary["rows"], summary["imported"], summary["unmatched"], summary["positives"]) == (14, 13, 1, 1)
    assert [(p["row"], p["status"]) for p in summary["problems"]] == [(15, "unmatched")]
    assert "X-NOPE-0009" in summary["problems"][0]["messages"][0]
    entry = db.session.get(Import, summary["id"])
    assert (entry.status, entry.source, entry.imported) == ("committed", "api", 13)
    assert count(db, Result) == 13
    job = db.session.get(Job, job_id)
    assert (job.status, job.attempts, job.data, job.created_by_id) == ("done", 1, None, world.tech.id)

    # The same large file again: answered at once, without a job.
    again = api(big_file(), "big.csv")
    assert again.status_code == 409
    assert_error_shape(again.get_json(), 409)
    assert again.get_json()["state"] == "already_imported" and count(db, Job) == 1


def test_a_large_dry_run_is_a_preview_job_that_saves_nothing(api, db, client, small_threshold):
    from lims.models import Import, Result

    r = api(big_file(), "big.csv", dry_run="true")
    job_id, url = accepted_job(r)
    assert r.get_json()["kind"] == "import.preview"
    body = client.get(url, headers={"Authorization": r.request.headers["Authorization"]}).get_json()
    summary = body["summary"]
    assert body["status"] == "done" and summary["state"] == "preview" and summary["dry_run"] is True
    assert summary["id"] is None and (summary["ready"], summary["imported"], summary["unmatched"]) == (13, 0, 1)
    assert len(summary["row_details"]) == 14
    assert count(db, Import) == 0 and count(db, Result) == 0


def test_small_files_are_still_answered_at_once(api, db, app):
    from lims.models import Job

    assert len(problem_file()) < app.config["IMPORT_JOB_BYTES"]
    r = api(problem_file(), "problems.csv")
    assert r.status_code == 200 and r.get_json()["state"] == "committed"
    assert count(db, Job) == 0


def test_a_large_file_no_format_reads_is_refused_at_once(api, db, small_threshold):
    from lims.models import Import, Job

    r = api(b"\x00\x01 not an instrument file " * 100, "junk.csv")
    assert r.status_code == 422
    body = r.get_json()
    assert_error_shape(body, 422)
    assert body["state"] == "rejected" and body["message"]
    assert count(db, Job) == 0
    assert db.session.execute(sa.select(Import.status)).scalars().all() == ["rejected"]  # its log entry, as before


def test_a_job_is_seen_by_its_maker_and_administrators_only(api, db, client, small_threshold, world, api_token,
                                                            make_user):
    r = api(big_file(), "big.csv", dry_run="true")
    _job_id, url = accepted_job(r)
    db.session.commit()
    assert client.get(url).status_code == 401
    for other in (world.manager, make_user("technician"), make_user("regulator")):
        answer = client.get(url, headers=api_token(other))
        assert answer.status_code == 404, other.role
        assert_error_shape(answer.get_json(), 404)
    assert client.get(url, headers=api_token(make_user("admin"))).status_code == 200
    headers = api_token(world.tech)
    for missing in ("/api/v1/jobs/999999", "/api/v1/jobs/0", "/api/v1/jobs/99999999999", "/api/v1/jobs/x"):
        assert client.get(missing, headers=headers).status_code == 404, missing


def test_a_running_job_shows_rows_processed_and_no_summary_yet(client, db, world, api_token):
    from lims.jobs import services
    from lims.models import Job

    job = Job(kind="import.commit", status="running", params={"options": {"filename": "x.csv"}},
              rows_total=180_000, created_by_id=world.tech.id, attempts=1)
    db.session.add(job)
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        services.report_progress(job.id, 42_000)
    else:
        job.rows_done = 42_000
        db.session.commit()
    body = client.get(f"/api/v1/jobs/{job.id}", headers=api_token(world.tech)).get_json()
    assert (body["status"], body["finished"], body["rows_done"], body["rows_total"], body["summary"]) == (
        "running", False, 42_000, 180_000, None)
