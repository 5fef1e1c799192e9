"""/api/v1/imports: an instrument file over HTTP (multipart ``file``)."""
from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from lims.api.auth import allowed, api_blueprint, current_actor
from lims.api.fields import LocalDateTime
from lims.api.jobs import JobSchema, accepted
from lims.errors import Conflict, InvalidInput
from lims.imports.services import ImportOptions, answered_at_once, run_import
from lims.jobs.services import import_runs_as_job, start_import

blp = api_blueprint("api_imports", __name__, url_prefix="/api/v1/imports", description="Instrument file imports")


class ImportQueryArgs(Schema):
    format = fields.String()
    dry_run = fields.Boolean(load_default=False)
    strict = fields.Boolean(load_default=False)
    create_batches = fields.Boolean(load_default=False)


class ImportFileArgs(Schema):
    file = Upload(required=True, metadata={"description": "the instrument's export (CSV or XLSX)"})


class RowSchema(Schema):
    row = fields.Integer()
    status = fields.String()
    sample_code = fields.String(allow_none=True)
    item = fields.String(allow_none=True)
    reading = fields.String()
    outcome = fields.String(allow_none=True)
    instrument_outcome = fields.String(allow_none=True)
    disagrees = fields.Boolean()
    batch = fields.String(allow_none=True)
    creates_batch = fields.Boolean()
    messages = fields.List(fields.String())
    warnings = fields.List(fields.String())


class ImportReportSchema(Schema):
    id = fields.Integer(attribute="import_id", allow_none=True)
    state = fields.String(attribute="status", metadata={"description": "preview, committed, rejected or already_imported"})
    dry_run = fields.Boolean()
    strict = fields.Boolean()
    filename = fields.String()
    sha256 = fields.String()
    format = fields.String(allow_none=True)
    message = fields.String(attribute="error", allow_none=True)
    previous_at = LocalDateTime(allow_none=True)
    previous_by = fields.String(allow_none=True)
    rows = fields.Integer(attribute="rows_total")
    imported = fields.Function(lambda r: r.ok if r.status == "committed" else 0)
    ready = fields.Integer(attribute="ok")
    rejected = fields.Integer()
    no_data = fields.Integer()
    unmatched = fields.Integer()
    duplicates = fields.Integer()
    positives = fields.Integer()
    disagreements = fields.Integer()
    created_batches = fields.Integer()
    batches = fields.List(fields.String())
    problems = fields.Function(lambda r: RowSchema(many=True).dump(
        [x for x in r.rows if x.status != "ok" or x.warnings]), metadata={
        "description": "every row not imported, and imported rows with warnings"})
    row_details = fields.Function(lambda r: RowSchema(many=True).dump(r.rows) if r.dry_run else [])


@blp.route("")
class Imports(MethodView):
    @allowed("import.create")
    @blp.arguments(ImportQueryArgs, location="query")
    @blp.arguments(ImportFileArgs, location="files")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(202, schema=JobSchema, headers={"Location": {
        "description": "the job's address (GET /api/v1/jobs/{id})", "schema": {"type": "string"}}},
        description="A large file (from LIMS_IMPORT_JOB_BYTES on, 1 MiB by default) is checked and imported by "
                    "a background job: the body is the job; poll its ``url`` until ``finished``, when its "
                    "``summary`` is the report a small file gets at once.")
    @blp.alt_response(422, description="The file was refused (nothing imported); the body is the report.")
    @blp.alt_response(409, description="The same file was already imported.")
    def post(self, args, files):
        """Import (or, with ``dry_run``, preview) a multipart ``file``. Returns the summary with
        every row problem; a refused file answers 422 and a file imported before 409. A large
        file answers 202 with the job that imports it (refused or already imported files are
        still answered at once)."""
        actor = current_actor()
        upload = files["file"]
        data = upload.read()
        options = ImportOptions(filename=upload.filename or "upload", format=args.get("format"),
                                dry_run=args["dry_run"], strict=args["strict"],
                                create_batches=args["create_batches"], source="api")
        if import_runs_as_job(data) and not answered_at_once(data, options):
            return accepted(start_import(actor, data, options))
        report = run_import(actor, data, options)
        if report.status in ("rejected", "already_imported"):
            # The error shape of interfaces.md, with the whole report beside it. Returned, not
            # raised: the refused file's own log entry is kept (the request commits).
            error = (InvalidInput if report.status == "rejected" else Conflict)(
                report.error, {"file": [report.error]})
            response = jsonify({**ImportReportSchema().dump(report), **error.to_dict()})
            response.status_code = error.status
            return response
        return report
