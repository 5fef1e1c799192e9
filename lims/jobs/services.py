"""Tracked jobs: create one (its row and its deferral), run it (``execute``), tell how far it got.

A job is idempotent: its outcome and its ``done`` mark are written in the same transaction as
its work, so a job killed mid-way left nothing and runs again from the start, and a job run
again after it finished (a retry racing a slow commit, a stalled job put back) does nothing."""
from __future__ import annotations

import dataclasses
import json
import logging
import os
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from lims.i18n import speaking
from lims.accounts.access import Actor
from lims.database import utcnow
from lims.errors import Conflict, LimsError, NotFound
from lims.extensions import db
from lims.jobs import engine
from lims.models import Job

log = logging.getLogger(__name__)


# --- creating -------------------------------------------------------------------------

def _create(actor: Actor, kind: str, params: dict, data: bytes | None = None, rows_total: int | None = None) -> Job:
    job = Job(kind=kind, status="queued", params=params, data=data, rows_total=rows_total,
              created_by_id=actor.user_id, created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    engine.defer_job(job.id, kind)
    return job


def import_runs_as_job(data: bytes) -> bool:
    """A file this large (``IMPORT_JOB_BYTES``) is checked and imported by a background job,
    not in the request — whichever door it came through (the import pages, the API)."""
    return len(data) >= current_app.config["IMPORT_JOB_BYTES"]


def estimated_rows(data: bytes, filename: str | None) -> int | None:
    """A text file's rows, less its header (an estimate the job replaces with the count);
    None for a workbook, whose rows are only known once it is read."""
    if (filename or "").lower().endswith((".csv", ".txt")):
        return max(data.count(b"\n") - 1, 1)
    return None


def start_import(actor: Actor, data: bytes, options, rows_total: int | None = None) -> Job:
    """A preview (``options.dry_run``) or a commit of an instrument file, as a job; its rows
    estimated from the file unless given."""
    actor.require("import.create")
    if rows_total is None:
        rows_total = estimated_rows(data, options.filename)
    params = {"options": {"filename": options.filename, "format": options.format, "strict": options.strict,
                          "create_batches": options.create_batches, "source": options.source,
                          "assignments": {str(k): v for k, v in options.assignments.items()}},
              "sha256": _sha(data)}
    return _create(actor, "import.preview" if options.dry_run else "import.commit", params, data, rows_total)


def start_monthly_report(actor: Actor, month: date, site_code: str | None, fmt: str, locale: str,
                         org_code: str | None = None) -> Job:
    """The monthly report of a wide scope, generated off the request."""
    actor.require("report.read")
    if fmt not in ("pdf", "xlsx"):
        raise LimsError(gettext("Unknown format %(f)s.", f=fmt))
    from lims.reporting.figures import scope_for

    scope_for(actor, site_code, org_code)  # an unknown site or organisation is refused now, not in the job
    return _create(actor, "report.monthly", {"month": month.isoformat(), "site": site_code, "format": fmt,
                                             "locale": locale, **({"org": org_code} if org_code else {})})


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


# --- reading --------------------------------------------------------------------------

def get_job(actor: Actor, job_id: int) -> Job:
    """A job its creator (or the deployment's administrator, who reaches every site) may see;
    NotFound otherwise."""
    job = db.session.get(Job, job_id)
    everywhere = actor.role == "admin" and actor.site_ids is None
    if job is None or actor.user is None or (job.created_by_id != actor.user_id and not everywhere):
        raise NotFound(gettext("No such job."))
    return job


def state(job: Job) -> dict:
    """What the job page polls: status, rows processed, the outcome's link when done."""
    done = max(job.rows_done or 0, _file_progress(job.id))
    if job.rows_total:
        done = min(done, job.rows_total)
    return {"id": job.id, "kind": job.kind, "status": job.status, "rows_done": done, "rows_total": job.rows_total,
            "attempts": job.attempts, "max_attempts": engine.MAX_ATTEMPTS, "error": job.error,
            "finished": job.status == "done" or (job.status == "failed" and (
                job.attempts >= engine.MAX_ATTEMPTS or bool((job.result or {}).get("final"))))}


# --- progress -----------------------------------------------------------------------
# Progress must be seen while the job's own transaction is still open: on PostgreSQL it is
# written through a connection of its own; on SQLite (one writer at a time) to a small file.

def _progress_path(job_id: int) -> Path:
    return Path(current_app.config["DATA_DIR"]) / "jobs" / f"{int(job_id)}.progress"


def _file_progress(job_id: int) -> int:
    try:
        return int(_progress_path(job_id).read_text())
    except (OSError, ValueError):
        return 0


def report_progress(job_id: int, rows: int) -> None:
    if db.engine.dialect.name == "sqlite":
        path = _progress_path(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(str(int(rows)))
        os.replace(tmp, path)
        return
    with db.engine.connect() as conn:
        conn.execute(sa.update(Job).where(Job.id == job_id).values(rows_done=int(rows)))
        conn.commit()


# --- running --------------------------------------------------------------------------

def execute(job_id: int) -> None:
    """Run tracked job ``job_id`` (called by the queue's task). Raises on an unexpected failure
    so that the queue retries it; a failure the user must fix (LimsError) is final."""
    job = db.session.get(Job, job_id)
    if job is None or job.status == "done":
        return  # finished already (or its creating transaction was rolled back)
    job.status, job.attempts, job.started_at, job.error = "running", job.attempts + 1, utcnow(), None
    db.session.commit()
    try:
        then = HANDLERS[job.kind](job)
        job.status, job.finished_at, job.data = "done", utcnow(), None
        db.session.commit()
        if then is not None:
            then()
    except LimsError as exc:
        db.session.rollback()
        engine.discard()
        transient = isinstance(exc, Conflict)  # others were saving the same thing: try again
        _failed(job_id, str(exc.message), final=not transient)
        if transient:
            raise
        return
    except Exception as exc:
        db.session.rollback()
        engine.discard()
        _failed(job_id, f"{type(exc).__name__}: {exc}", final=False)
        raise
    finally:
        try:
            _progress_path(job_id).unlink(missing_ok=True)
        except OSError:
            pass
    engine.after_commit()  # e.g. the e-mails of the positives an import announced


def _failed(job_id: int, message: str, final: bool) -> None:
    job = db.session.get(Job, job_id)
    if job is None:
        return
    job.status, job.error, job.finished_at = "failed", message[:500], utcnow()
    job.result = {"final": final}  # final: not tried again (the user must change something)
    db.session.commit()


def _actor(job: Job) -> Actor:
    return Actor(user=job.created_by, ip="job")


def _import(job: Job) -> None:
    from lims.imports.services import ImportOptions, run_import

    o = job.params["options"]
    options = ImportOptions(filename=o["filename"], format=o["format"], strict=o["strict"],
                            create_batches=o["create_batches"], source=o["source"],
                            assignments={int(k): v for k, v in (o.get("assignments") or {}).items()},
                            dry_run=job.kind == "import.preview")
    user = job.created_by
    with speaking((user.locale if user else None) or current_app.config["DEFAULT_LOCALE"]):
        report = run_import(_actor(job), job.data, options, progress=lambda rows: report_progress(job.id, rows))
    job.rows_done = job.rows_total = report.rows_total  # the estimate made way for the count
    job.result = report_to_json(report)
    if report.status == "committed":
        from lims.imports import pending

        sha, user_id = job.params["sha256"], job.created_by_id
        return lambda: pending.drop(sha, user_id)  # the upload kept for the commit: no longer needed
    return None


def _monthly(job: Job) -> None:
    from lims.reporting.monthly import monthly_pdf, monthly_xlsx

    p = job.params
    with speaking(p.get("locale") or current_app.config["DEFAULT_LOCALE"]):
        make = monthly_xlsx if p["format"] == "xlsx" else monthly_pdf
        job.output = make(_actor(job), date.fromisoformat(p["month"]), p.get("site"), p.get("org"))
    job.result = {"bytes": len(job.output)}
    return None


#: kind → handler(job): does the work in the open transaction; returns what to do once it has
#: committed (or None).
HANDLERS = {"import.preview": _import, "import.commit": _import, "report.monthly": _monthly}


# --- an import report kept as JSON ------------------------------------------------

def report_to_json(report) -> dict:
    def plain(value):
        if isinstance(value, datetime):
            return {"$dt": value.isoformat()}
        raise TypeError(type(value).__name__)

    return json.loads(json.dumps(dataclasses.asdict(report), default=plain))


def report_from_json(data: dict):
    from lims.imports.services import ImportReport, RowReport

    def revive(value):
        return datetime.fromisoformat(value["$dt"]) if isinstance(value, dict) and "$dt" in value else value

    fields = {k: revive(v) for k, v in data.items() if k in {f.name for f in dataclasses.fields(ImportReport)}}
    row_fields = {f.name for f in dataclasses.fields(RowReport)}
    fields["rows"] = [RowReport(**{k: v for k, v in r.items() if k in row_fields}) for r in data.get("rows", [])]
    return ImportReport(**fields)
