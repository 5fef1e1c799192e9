"""The job page (progress, then the outcome), its small JSON for polling, a generated file."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import get_locale

from lims.accounts.access import requires, web_actor
from lims.jobs import services
from lims.reporting.views import parse_month

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

_TYPES = {"pdf": "application/pdf",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.route("/<int:job_id>")
@requires("report.read")
def show(job_id):
    job = services.get_job(web_actor(), job_id)
    if job.status == "done" and job.kind.startswith("import."):
        report = services.report_from_json(job.result or {})
        if job.kind == "import.commit" and report.status == "committed":
            return redirect(url_for("imports.show", import_id=report.import_id))
        from lims.imports.views import render_job_preview

        return render_job_preview(report, job.params["options"])
    return render_template("jobs/show.html", job=job, state=services.state(job))


@bp.route("/<int:job_id>.json")
@requires("report.read")
def status(job_id):
    return services.state(services.get_job(web_actor(), job_id))


@bp.route("/<int:job_id>/file")
@requires("report.read")
def output(job_id):
    job = services.get_job(web_actor(), job_id)
    if job.status != "done" or job.output is None:
        return redirect(url_for("jobs.show", job_id=job.id))
    fmt = job.params.get("format", "pdf")
    name = f"monthly-{job.params['month'][:7]}{'-' + job.params['site'] if job.params.get('site') else ''}.{fmt}"
    return Response(job.output, mimetype=_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/monthly-report", methods=["POST"])
@requires("report.read")
def monthly_report():
    """The monthly report of a wide scope, made by a job; the job page offers the file."""
    month = parse_month(request.form.get("month", ""))
    job = services.start_monthly_report(web_actor(), month, request.form.get("site") or None,
                                        request.form.get("format", "pdf"), str(get_locale() or ""),
                                        request.form.get("org") or None)
    return redirect(url_for("jobs.show", job_id=job.id))
