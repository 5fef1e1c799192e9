"""Report routes of the API: the monthly report and a batch's test report as PDF."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from lims.api.auth import allowed, api_blueprint, current_actor
from lims.batches.services import get_batch
from lims.reporting.batch import batch_report_pdf
from lims.reporting.monthly import monthly_pdf
from lims.reporting.views import parse_month, pdf_response

blp = api_blueprint("api_reports", __name__, url_prefix="/api/v1", description="Reports as PDF")


class MonthlyArgs(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    site = fields.String(metadata={"description": "a site code; default the caller's whole scope"})
    org = fields.String(metadata={"description": "the code of a node of the organisation tree (a city, a district…); "
                                                 "default the caller's own node"})


@blp.route("/reports/monthly.pdf")
class MonthlyReport(MethodView):
    @allowed("report.read")
    @blp.arguments(MonthlyArgs, location="query")
    @blp.response(200, content_type="application/pdf")
    def get(self, args):
        """The monthly report (月度快检报告) as PDF."""
        actor = current_actor()
        month = parse_month(args["month"])
        return pdf_response(monthly_pdf(actor, month, args.get("site"), args.get("org")), f"monthly-{month:%Y-%m}.pdf")


@blp.route("/batches/<code>/report.pdf")
class BatchReport(MethodView):
    @allowed("report.read")
    @blp.response(200, content_type="application/pdf")
    def get(self, code):
        """The test report (检测报告单) of a batch: reviewed results only (409 before review)."""
        actor = current_actor()
        return pdf_response(batch_report_pdf(get_batch(actor, code)), f"report-{code}.pdf")
