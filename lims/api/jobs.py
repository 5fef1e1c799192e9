"""/api/v1/jobs/<id>: how far a background job got (an import sent to ``POST /api/v1/imports``
above the size that runs as a job), and, once done, what came of it."""
from __future__ import annotations

from flask import jsonify, url_for
from flask.views import MethodView
from marshmallow import Schema, fields

from lims.api.auth import allowed, api_blueprint, current_actor
from lims.api.fields import LocalDateTime
from lims.jobs import services

blp = api_blueprint("api_jobs", __name__, url_prefix="/api/v1/jobs", description="Background jobs")


def _summary(job):
    """The import report of a finished import job (with its row problems); None otherwise."""
    if job.status != "done" or not job.kind.startswith("import.") or not job.result:
        return None
    return services.report_from_json(job.result)


class JobSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "import.preview (a dry run), import.commit, report.monthly"})
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    finished = fields.Boolean(metadata={"description": "true once nothing more will happen: done, or failed for "
                                                       "good (a failed job with attempts left is tried again)"})
    rows_done = fields.Integer(metadata={"description": "rows processed so far"})
    rows_total = fields.Integer(allow_none=True, metadata={"description": "the file's rows (an estimate until done; "
                                                                          "null when not yet known)"})
    attempts = fields.Integer()
    max_attempts = fields.Integer()
    error = fields.String(allow_none=True)
    created_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)
    url = fields.String(metadata={"description": "this job's own address, to poll"})
    # By name: lims.api.imports (which answers with this schema) defines it.
    summary = fields.Nested("ImportReportSchema", allow_none=True, metadata={
        "description": "an import job once done: the import summary with every row problem (the body "
                       "POST /api/v1/imports answers for a small file); null before"})


def job_body(job) -> dict:
    """What the API says of a job (for JobSchema): its state (the job page's), when it was made and ended, its
    address and, once done, the import summary."""
    return {**services.state(job), "created_at": job.created_at, "finished_at": job.finished_at,
            "url": url_for("api_jobs.JobResource", job_id=job.id), "summary": _summary(job)}


def accepted(job):
    """202 Accepted for work handed to a job: its state now, and where to follow it."""
    response = jsonify(JobSchema().dump(job_body(job)))
    response.status_code = 202
    response.headers["Location"] = url_for("api_jobs.JobResource", job_id=job.id)
    return response


@blp.route("/<int:job_id>")
class JobResource(MethodView):
    @allowed("report.read")
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """A job of yours (an administrator: anyone's): its state, rows processed of the total and,
        once an import is done, its summary with row problems. Another user's job answers 404."""
        return job_body(services.get_job(current_actor(), job_id))
