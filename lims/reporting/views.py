"""Report pages and downloads: the batch test report, the monthly report (PDF and Excel),
the market board, the results export."""
from __future__ import annotations

import io
from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from lims.accounts.access import requires, web_actor
from lims.batches.services import find_site, get_batch
from lims.database import utcnow
from lims.errors import InvalidInput, LimsError
from lims.i18n import local_today
from lims.inputs import check_year
from lims.reporting.batch import batch_report_pdf
from lims.reporting.board import board_pdf
from lims.reporting.exports import export_results
from lims.reporting.choices import report_choices
from lims.reporting.monthly import issue_monthly, monthly_pdf, monthly_xlsx

bp = Blueprint("reports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_response(data: bytes, filename: str, inline: bool = True) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{filename}"',
                             "Cache-Control": "private, no-store"})


def xlsx_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                  "Cache-Control": "private, no-store"})


def parse_month(raw: str | None) -> date:
    try:
        year, month = (raw or "").split("-")
        value = date(int(year), int(month), 1)
    except ValueError:
        raise InvalidInput("month must look like 2026-11", {"month": ["YYYY-MM"]}) from None
    return check_year(value, "month")


def parse_day(raw: str | None, name: str) -> date:
    try:
        value = date.fromisoformat(raw or "")
    except ValueError:
        raise InvalidInput(f"{name} must look like 2026-11-20", {name: ["YYYY-MM-DD"]}) from None
    return check_year(value, name)


@bp.route("/batches/<code>/report.pdf")
@requires("report.read")
def batch_pdf(code):
    batch = get_batch(web_actor(), code)
    draft = request.args.get("draft") == "1"
    return pdf_response(batch_report_pdf(batch, draft=draft), f"report-{batch.code}{'-draft' if draft else ''}.pdf")


@bp.route("/reports")
@requires("report.read")
def index():
    actor = web_actor()
    today = local_today(utcnow())
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return render_template("reports/index.html", choice=report_choices(actor), today=today, last_month=last_month,
                           may_issue=actor.can("report.issue"))


@bp.route("/reports/monthly/issue", methods=["POST"])
@requires("report.issue")
def issue():
    """签发: issue the monthly report of a month and scope (a new version if it was issued
    before and its figures changed)."""
    try:
        month = parse_month(request.form.get("month"))
        row = issue_monthly(web_actor(), month, request.form.get("site") or None, request.form.get("org") or None)
    except LimsError as exc:  # refused before anything changed
        flash(str(exc.message), "danger")
    else:
        flash(gettext("Issued %(number)s, version %(version)d.", number=row.number, version=row.version), "success")
    return redirect(url_for("reports.index"))


@bp.route("/reports/monthly.pdf")
@requires("report.read")
def monthly():
    month = parse_month(request.args.get("month"))
    site, org = request.args.get("site") or None, request.args.get("org") or None
    return pdf_response(monthly_pdf(web_actor(), month, site, org), f"monthly-{month:%Y-%m}{_suffix(site, org)}.pdf")


def _suffix(site, org) -> str:
    return "".join(f"-{code}" for code in (org, site) if code)


@bp.route("/reports/monthly.xlsx")
@requires("report.read")
def monthly_workbook():
    month = parse_month(request.args.get("month"))
    site, org = request.args.get("site") or None, request.args.get("org") or None
    return xlsx_response(monthly_xlsx(web_actor(), month, site, org), f"monthly-{month:%Y-%m}{_suffix(site, org)}.xlsx")


@bp.route("/reports/board.pdf")
@requires("report.read")
def board():
    actor = web_actor()
    site = find_site(actor, request.args.get("site") or "")
    day = parse_day(request.args.get("day"), "day") if request.args.get("day") else local_today(utcnow())
    paper = request.args.get("paper", "A4")
    if paper not in ("A4", "A3"):
        abort(400)
    return pdf_response(board_pdf(site, day, paper, landscape=paper == "A3"), f"board-{site.code}-{day}.pdf")


@bp.route("/reports/results.xlsx")
@requires("report.read")
def results_export():
    first = parse_day(request.args.get("from"), "from")
    last = parse_day(request.args.get("to"), "to")
    if last < first or (last - first).days > 400:
        raise InvalidInput("the period must be 1 to 400 days", {"to": ["1–400 days after from"]})
    buffer = io.BytesIO()
    export_results(web_actor(), first, last, buffer, request.args.get("org") or None)
    return xlsx_response(buffer.getvalue(), f"results-{first}-{last}.xlsx")
