"""Import pages: upload → preview → assign unmatched rows → commit → summary."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext

from instruments import FORMATS
from lims.accounts.access import requires, scope_to_sites, web_actor
from lims.database import utcnow
from lims.errors import InvalidInput
from lims.extensions import db
from lims.imports import pending
from lims.imports.labels import format_label
from lims.imports.round_match import round_suggestions
from lims.imports.services import ImportOptions, get_import, run_import, sha256_of, stored_file, visible_imports
from lims.listing import kept_args, page_number, paginate
from lims.jobs.services import import_runs_as_job, start_import
from lims.inputs import parse_id
from lims.models import Import, ImportRow
from lims.rounds.services import get_round, round_batches
from lims.web import serve_upload, writes_on_get

bp = Blueprint("imports", __name__, url_prefix="/imports")


@bp.app_context_processor
def _names():
    return {"format_label": format_label}


def _round():
    round_id = parse_id(request.values.get("round"), "round")
    return get_round(web_actor(), round_id) if round_id is not None else None


@bp.route("/new")
@requires("import.create")
def new():
    actor = web_actor()
    stmt = visible_imports(sa.select(Import).order_by(Import.id.desc()), actor)
    page = paginate(stmt, page_number(request.args.get("page")), 20, kept_args(request.args))
    return render_template("imports/new.html", formats=list(FORMATS), rnd=_round(), recent=page.items, page=page)


@bp.route("/preview", methods=["POST"])
@requires("import.create")
def preview():
    actor = web_actor()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("imports/new.html", formats=list(FORMATS), rnd=_round(), recent=[],
                               error=gettext("Choose a file to import.")), 422
    data = upload.read()
    options = _options(upload.filename, dry_run=True)
    if import_runs_as_job(data):
        pending.check(data, upload.filename, options.format)  # random bytes are not kept
        pending.put(sha256_of(data), data, upload.filename, actor.user_id)
        return _as_job(actor, data, options)
    report, options, matches = _first_preview(actor, data, options)
    if report.status == "preview":
        pending.put(report.sha256, data, upload.filename, actor.user_id)
    return _preview_page(report, options, matches)


def _first_preview(actor, data: bytes, options: ImportOptions):
    """The first dry run of a file: (report, options, round matches). From a round, the rows the
    file leaves unmatched are given the round's batch of the same stall and food (in order,
    lims.imports.round_match) and the preview shows the file so matched — the counts, the
    positives and the commit button as committing would do it, each choice on the page to
    check or change (then "preview again") before the commit confirms them."""
    report = run_import(actor, data, options)
    rnd = _round()
    if rnd is None or report.status != "preview":
        return report, options, None
    matches = {row: code for row, code in round_suggestions(report.rows, round_batches(rnd)).items()
               if row not in options.assignments}
    if not matches:
        return report, options, None
    options = replace(options, assignments={**options.assignments, **matches})
    return run_import(actor, data, options), options, matches


def _as_job(actor, data: bytes, options: ImportOptions):
    """Start the preview or the commit as a job; its page shows the rows processed."""
    job = start_import(actor, data, options)
    return redirect(url_for("jobs.show", job_id=job.id))


def render_job_preview(report, stored_options: dict):
    """The preview a background job made, with the options it was made with."""
    options = ImportOptions(filename=stored_options["filename"], format=stored_options["format"], dry_run=True,
                            strict=stored_options["strict"], create_batches=stored_options["create_batches"],
                            assignments={int(k): v for k, v in (stored_options.get("assignments") or {}).items()},
                            source=stored_options["source"])
    return _preview_page(report, options)


def _preview_page(report, options, matches=None):
    """The preview; a file refused as a whole leads back to the upload form with the reason."""
    if report.status == "rejected" and not report.rows:
        return render_template("imports/new.html", formats=list(FORMATS), rnd=_round(), recent=[],
                               error=gettext("%(file)s was refused; nothing was saved. %(reason)s",
                                             file=report.filename, reason=report.error or "")), 422
    status = 200 if report.status in ("preview", "already_imported") else 422
    return _render_preview(report, options, matches), status


STALE_AFTER = timedelta(days=2)  # a file tested this long ago is usually an old export picked by mistake


def _render_preview(report, options, matches=None):
    """The preview page; ``matches``: the rows given a round's batch by the first preview
    (otherwise the round's batches still offered for the rows left unmatched)."""
    oldest = report.oldest_tested_at
    stale_days = (utcnow() - oldest).days if oldest is not None and utcnow() - oldest >= STALE_AFTER else None
    rnd = _round()
    offered = round_batches(rnd) if rnd else []
    return render_template("imports/preview.html", report=report, options=options, rnd=rnd,
                           suggestions=[b.code for b in offered], round_batches=offered,
                           matches=_not_declined(matches if matches is not None
                                                 else round_suggestions(report.rows, offered)),
                           stale_days=stale_days)


def _not_declined(matches: dict[int, str]) -> dict[int, str]:
    """The round's matches but those the user set to "not assigned" on the page previewed
    again: a choice declined is not offered back as if chosen (the commit would take it)."""
    declined = {int(k[7:]) for k, v in request.form.items() if k.startswith("assign-") and k[7:].isdigit()
                and not v.strip()}
    return {row: code for row, code in matches.items() if row not in declined}


@bp.route("/upload", methods=["POST"])
@requires("import.create")
def upload():
    """The page's script uploads here (with a progress bar) and then opens the preview."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput(gettext("Choose a file to import."))
    data = upload.read()
    options = _options(upload.filename, dry_run=True)
    pending.check(data, upload.filename, options.format)  # random bytes are not kept
    sha = sha256_of(data)
    pending.put(sha, data, upload.filename, web_actor().user_id)
    args = {k: request.form[k] for k in ("format", "strict", "create_batches", "round") if request.form.get(k)}
    return {"url": url_for("imports.preview_stored", sha=sha, **args)}


@bp.route("/preview/<sha>")
@requires("import.create")
@writes_on_get  # the preview is the import run and rolled back: it needs its transaction
def preview_stored(sha):
    stored = pending.get(sha, web_actor().user_id)
    if stored is None:
        return render_template("imports/new.html", formats=list(FORMATS), rnd=_round(), recent=[],
                               error=gettext("The preview has expired. Upload the file again.")), 404
    data, filename = stored
    options = _options(filename, dry_run=True)
    if import_runs_as_job(data):
        return _as_job(web_actor(), data, options)
    return _preview_page(*_first_preview(web_actor(), data, options))


def _options(filename: str, dry_run: bool) -> ImportOptions:
    fmt = request.values.get("format") or None
    if fmt and fmt not in FORMATS:
        raise InvalidInput(gettext("Unknown format %(f)s.", f=fmt))
    assignments = {}
    for key, value in request.values.items():
        if key.startswith("assign-") and key[7:].isdigit() and value.strip():
            assignments[int(key[7:])] = value.strip().upper()
    return ImportOptions(filename=filename, format=fmt, dry_run=dry_run, strict=bool(request.values.get("strict")),
                         create_batches=bool(request.values.get("create_batches")), assignments=assignments,
                         source="web")


@bp.route("/commit", methods=["POST"])
@requires("import.create")
def commit():
    actor = web_actor()
    sha = request.form.get("sha256", "")
    stored = pending.get(sha, actor.user_id)
    if stored is None:
        return render_template("imports/new.html", formats=list(FORMATS), rnd=_round(), recent=[],
                               error=gettext("The preview has expired. Upload the file again.")), 409
    data, filename = stored
    options = _options(filename, dry_run=request.form.get("action") == "preview")
    if import_runs_as_job(data):
        return _as_job(actor, data, options)
    report = run_import(actor, data, options)
    if options.dry_run:
        return _render_preview(report, options)
    if report.status == "committed":
        pending.drop(sha, actor.user_id)
        target = url_for("imports.show", import_id=report.import_id)
        rnd = _round()
        return redirect(target + (f"?round={rnd.id}" if rnd else ""))
    return _render_preview(report, options), 409 if report.status == "already_imported" else 422


@bp.route("/<int:import_id>")
@requires("import.read")
def show(import_id):
    actor = web_actor()
    entry = get_import(actor, import_id)
    rows = db.session.execute(sa.select(ImportRow).where(ImportRow.import_id == entry.id)
                              .order_by(ImportRow.row_no).limit(5000)).scalars().all()
    from lims.models import Batch, Result

    batch_codes = db.session.execute(scope_to_sites(
        sa.select(Batch.code).join(Result, Result.batch_id == Batch.id).where(Result.import_id == entry.id),
        Batch.site_id, actor).distinct().limit(300)).scalars().all()
    # Positives are announced as when typed: the sale is stopped, the stall must be told now.
    positives = db.session.execute(scope_to_sites(
        sa.select(Batch, Result).join(Result, Result.batch_id == Batch.id)
        .where(Result.import_id == entry.id, Result.outcome == "positive"), Batch.site_id, actor)
        .order_by(Result.id).limit(300)).all()
    return render_template("imports/show.html", entry=entry, rows=rows, batch_codes=batch_codes, rnd=_round(),
                           positives=positives)


@bp.route("/<int:import_id>/file")
@requires("import.read")
def original(import_id):
    entry = get_import(web_actor(), import_id)
    path = stored_file(entry)
    if path is None or not path.exists():
        abort(404)
    return serve_upload(path, entry.filename)


@bp.route("/template.xlsx")
@requires("batch.read")
def template():
    from lims.reporting.common import report_text
    from reports.excel.template import import_template

    return Response(import_template(report_text()), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=\"import-template.xlsx\"; "
                                                    "filename*=UTF-8''%E5%BF%AB%E6%A3%80%E7%BB%93%E6%9E%9C%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"})
