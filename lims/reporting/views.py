"""Report downloads: the batch test report (more report kinds live beside it)."""
from __future__ import annotations

from flask import Blueprint, Response, request

from lims.accounts.access import requires, web_actor
from lims.batches.services import get_batch
from lims.reporting.batch import batch_report_pdf

bp = Blueprint("reports", __name__)


def pdf_response(data: bytes, filename: str, inline: bool = True) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{filename}"',
                             "Cache-Control": "private, no-store"})


@bp.route("/batches/<code>/report.pdf")
@requires("report.read")
def batch_pdf(code):
    batch = get_batch(web_actor(), code)
    draft = request.args.get("draft") == "1"
    return pdf_response(batch_report_pdf(batch, draft=draft), f"report-{batch.code}{'-draft' if draft else ''}.pdf")
