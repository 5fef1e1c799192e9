"""A large file is previewed and imported by a job: the request returns at once with the job's
page, the page's JSON shows the rows processed, the outcome is the import's own pages, and a
job run again changes nothing."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from tests.imports.conftest import PESTICIDE_HEADER, make_csv, pesticide_row
from tests.imports.test_import_web import hidden, upload


@pytest.fixture
def web(world, batches, client, db):
    db.session.commit()
    client.login(world.tech)
    return client


@pytest.fixture
def small_threshold(app, monkeypatch):
    """Every file counts as large: it goes through a job."""
    monkeypatch.setitem(app.config, "IMPORT_JOB_BYTES", 1)


def big_file() -> bytes:
    rows = [pesticide_row(1 + n % 12, f"S-20261120-{1 + n % 12:03d}", when=f"2026-11-20 09:{10 + n // 60:02d}:{n % 60:02d}")
            for n in range(12)]
    rows.append(pesticide_row(4, "S-20261120-003", value="62.3", word="不合格", when="2026-11-20 09:40:00"))
    rows.append(pesticide_row(5, "X-NOPE-0009", when="2026-11-20 09:41:00"))  # unmatched
    return make_csv(rows, PESTICIDE_HEADER)


def job_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    path = urlparse(response.headers["Location"]).path
    assert re.fullmatch(r"/jobs/\d+", path), path
    return int(path.rsplit("/", 1)[1])


def test_a_large_file_is_previewed_then_imported_by_jobs(web, db, small_threshold):
    from lims.models import Import, Job, Result

    data = big_file()
    r = upload(web, data, "big.csv")
    preview_job = job_id_of(r)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one() == 0
    state = web.get(f"/jobs/{preview_job}.json").get_json()
    assert state["status"] == "done" and state["kind"] == "import.preview"
    assert state["rows_done"] == 14 and state["rows_total"] == 14  # rows processed, of the estimate
    page = web.get(f"/jobs/{preview_job}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "import-counts" in html and 'name="assign-15"' in html  # the preview, with the unmatched row
    sha = hidden(html, "sha256")

    r = web.post_form("/imports/commit", {"sha256": sha, "action": "commit", "assign-15": "s-20261120-011"},
                      csrf_from="/imports/new")
    commit_job = job_id_of(r)
    job = db.session.get(Job, commit_job)
    assert (job.kind, job.status, job.attempts, job.data) == ("import.commit", "done", 1, None)
    done = web.get(f"/jobs/{commit_job}")
    assert done.status_code == 302
    target = urlparse(done.headers["Location"]).path
    entry = db.session.get(Import, int(target.rsplit("/", 1)[1]))
    assert (entry.status, entry.imported, entry.unmatched) == ("committed", 14, 0)
    results = db.session.execute(sa.select(sa.func.count()).select_from(Result)
                                 .where(Result.import_id == entry.id)).scalar_one()
    assert results == 14
    assert "S-20261120-011" in web.get(target).get_data(as_text=True)
    from lims.imports import pending

    assert pending.get(sha, job.created_by_id) is None  # the kept upload went with the commit

    # Run again (a retry after the commit, a stalled job put back): nothing changes.
    from lims.jobs.services import execute

    execute(commit_job)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one() == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(Result)).scalar_one() == 14
    assert db.session.get(Job, commit_job).attempts == 1


def test_the_job_page_shows_progress_while_running(web, db, world, app):
    from lims.accounts.access import Actor
    from lims.jobs import services
    from lims.models import Job

    job = Job(kind="import.commit", status="running", params={"options": {"filename": "x.csv"}}, rows_total=180_000,
              created_by_id=world.tech.id, attempts=1)
    db.session.add(job)
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        services.report_progress(job.id, 42_000)  # beside the database: the import holds the write lock
    else:  # written on a connection of its own, which cannot see this test's uncommitted job
        job.rows_done = 42_000  # (test_worker_killed_mid_import sees it written for real)
        db.session.commit()
    state = web.get(f"/jobs/{job.id}.json").get_json()
    assert (state["status"], state["rows_done"], state["rows_total"]) == ("running", 42_000, 180_000)
    html = web.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'aria-valuenow="42000"' in html and "180000" in html and "js/jobs.js" in html
    # Not someone else's job.
    with pytest.raises(services.NotFound):
        services.get_job(Actor(user=world.manager, ip="t"), job.id)
    assert web.get("/jobs/999999.json").status_code == 404
    assert web.get("/jobs/abc").status_code == 404


def test_a_failed_attempt_is_shown_and_retried(db, world, monkeypatch, ctx):
    from lims.accounts.access import Actor
    from lims.imports.services import ImportOptions
    from lims.jobs import services
    from lims.models import Job

    calls = []

    def flaky(job):
        calls.append(job.id)
        if len(calls) == 1:
            raise OSError("disk full")
        job.result = {"status": "ok"}

    monkeypatch.setitem(services.HANDLERS, "import.commit", flaky)
    monkeypatch.setattr(services.engine, "after_commit", lambda: None)
    job = services.start_import(Actor(user=world.tech, ip="t"), b"x,y\n", ImportOptions(filename="a.csv"))
    services.engine.discard()  # run it by hand below
    db.session.commit()
    with pytest.raises(OSError):
        services.execute(job.id)  # raised: the queue retries it with backoff
    row = db.session.get(Job, job.id)
    assert (row.status, row.attempts, row.error) == ("failed", 1, "OSError: disk full")
    assert services.state(row)["finished"] is False  # shown as "tried again shortly"
    services.execute(job.id)
    row = db.session.get(Job, job.id)
    assert (row.status, row.attempts, row.error, row.data) == ("done", 2, None, None)


def test_a_job_the_user_may_no_longer_do_fails_for_good(db, world, make_user, ctx):
    from lims.accounts.access import Actor
    from lims.imports.services import ImportOptions
    from lims.jobs import services
    from lims.models import Job

    job = services.start_import(Actor(user=world.tech, ip="t"), big_file(), ImportOptions(filename="b.csv"))
    services.engine.discard()
    world.tech.role = "market_manager"  # lost the right to import before the job ran
    db.session.commit()
    services.execute(job.id)  # no exception: nothing to retry
    row = db.session.get(Job, job.id)
    assert row.status == "failed" and row.attempts == 1 and services.state(row)["finished"] and row.error


def test_bad_monthly_report_requests_are_refused(web, db):
    from lims.models import Job

    r = web.post_form("/jobs/monthly-report", {"month": "2026-13", "format": "pdf"}, csrf_from="/reports")
    assert r.status_code in (400, 422)
    r = web.post_form("/jobs/monthly-report", {"month": "2026-11", "format": "docx"}, csrf_from="/reports")
    assert r.status_code in (400, 422)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one() == 0


def test_a_monthly_report_is_made_by_a_job(web, db, app, monkeypatch):
    from lims.models import Job

    r = web.post_form("/jobs/monthly-report", {"month": "2026-11", "format": "pdf"}, csrf_from="/reports")
    job = db.session.get(Job, job_id_of(r))  # no issuer configured: the job fails for good, saying why
    assert job.status == "failed" and "LIMS_REPORT_ISSUER" in job.error
    page = web.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "LIMS_REPORT_ISSUER" in page and "alert-danger" in page and "js/jobs.js" in page

    monkeypatch.setitem(app.config, "REPORT_ISSUER", "测试区市场监督管理局")
    reports = web.get("/reports").get_data(as_text=True)  # offered on the reports page
    assert 'action="/jobs/monthly-report"' in reports and 'name="format" value="xlsx"' in reports
    r = web.post_form("/jobs/monthly-report", {"month": "2026-11", "format": "xlsx"}, csrf_from="/reports")
    xlsx = db.session.get(Job, job_id_of(r))
    assert xlsx.status == "done" and xlsx.output.startswith(b"PK")
    r = web.post_form("/jobs/monthly-report", {"month": "2026-11", "format": "pdf"}, csrf_from="/reports")
    job_id = job_id_of(r)
    job = db.session.get(Job, job_id)
    assert job.status == "done", job.error
    page = web.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f"/jobs/{job_id}/file" in page
    pdf = web.get(f"/jobs/{job_id}/file")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF") and pdf.mimetype == "application/pdf"


def test_lims_worker_says_what_it_needs(app, db, tmp_path_factory, worker_id):
    """SQLite: the web process runs jobs itself; PostgreSQL without the queue's tables: run init.

    On PostgreSQL a database of its own, migrated but without the queue's tables (another test
    in this process may have run `lims init` on the shared one). Invoked in a thread of its own,
    as `lims worker` always runs in a process of its own: a browser test earlier in this test
    process may leave Playwright's event loop running in the main thread."""
    import threading

    from tests.conftest import make_test_app, migrate_and_load, scratch_database

    if db.engine.dialect.name != "sqlite":
        app = make_test_app(scratch_database(tmp_path_factory, worker_id, "noqueue"), tmp_path_factory.mktemp("noqueue"))
        migrate_and_load(app)
    results = []
    runner = threading.Thread(target=lambda: results.append(
        app.test_cli_runner().invoke(args=["lims", "worker", "--once"])))
    runner.start()
    runner.join()
    result = results[0]
    assert result.exit_code == 1
    if db.engine.dialect.name == "sqlite":
        assert "needs PostgreSQL" in result.output
    else:
        assert "lims init" in result.output
        with app.app_context():  # its scratch database is dropped at the end of the session
            from lims.extensions import db as own

            own.engine.dispose()


def test_emails_are_sent_by_a_job_and_retried_while_the_server_refuses(app, db, world, monkeypatch, ctx):
    import smtplib

    from lims.jobs import engine
    from lims.notifications.services import notify
    from lims.models import Notification

    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 1)  # nothing listens: refused
    world.manager.email = "m@example.org"
    notify([world.manager], "positive", "positive:job-test", {"site": "s", "food": "f", "item": "i", "code": "c"})
    assert ("send_emails", {}, "notices", "send_emails") in engine._pending()
    db.session.commit()
    with pytest.raises(RuntimeError, match="1 notices not yet e-mailed"):
        engine.send_emails()  # the queue retries it with backoff
    sent = []

    class Inbox:
        def __init__(self, *a, **kw):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, message):
            sent.append(message["To"])

    monkeypatch.setattr(smtplib, "SMTP", Inbox)
    engine.send_emails()  # the server is back: sent, and nothing left to retry
    assert sent == ["m@example.org"]
    engine.discard()
    assert db.session.query(Notification).filter_by(dedupe_key="positive:job-test").one().emailed_at is not None
