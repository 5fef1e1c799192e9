"""Public pages: small, fast, cacheable, readable on a phone and on a market screen."""
from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, make_response, render_template, request

from lims.database import utcnow
from lims.i18n import local_today
from lims.public import services
from lims.pagecache import cache_headers, cached
from lims.reporting.board import board_pdf
from lims.reporting.common import accepts_verify_token, report_lang
from lims.reporting.views import pdf_response
from lims.sites.services import public_stall_url
from reports.svg import qr_code_svg

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.route("/stalls/<code>")
@cached(max_age=60, scopes=lambda code: services.stall_scopes(code))
def stall(code):
    """一摊一码: the stall's reviewed results of the last 30 days."""
    stall = services.stall_by_public_code(code)
    if stall is None:
        abort(404)
    now = utcnow()
    results = services.stall_results(stall, now, report_lang())
    return render_template(
        "public/stall.html", stall=stall, site=stall.site, operator=services.operator_name(stall), results=results,
        phone=stall.site.phone or current_app.config["COMPLAINT_PHONE"], days=services.PUBLIC_DAYS)


@bp.route("/stalls/<code>/qr.svg")
def stall_qr(code):
    stall = services.stall_by_public_code(code)
    if stall is None:
        abort(404)
    svg = qr_code_svg(public_stall_url(stall), module=6, title=f"{stall.site.name} {stall.code}")
    return cache_headers(make_response(svg, 200, {"Content-Type": "image/svg+xml"}), 3600)


@bp.route("/sites/<code>/board")
@cached(max_age=30, scopes=lambda code: services.board_scopes(code))
def site_board(code):
    """公示栏 for a market screen: large type, refreshes itself."""
    site = services.site_by_code(code)
    if site is None:
        abort(404)
    now = utcnow()
    today = local_today(now)
    day = services.board_day(request.args, today)
    entries = services.board(site, day, now, report_lang())
    return render_template(
        "public/board.html", site=site, day=day, today=today, entries=entries, now=now,
        positives=[e for e in entries if e["outcome"] == "positive"],
        phone=site.phone or current_app.config["COMPLAINT_PHONE"])


@bp.route("/sites/<code>/board.pdf")
def site_board_pdf(code):
    site = services.site_by_code(code)
    if site is None:
        abort(404)
    paper = "A3" if request.args.get("paper") == "A3" else "A4"
    day = services.board_day(request.args, local_today(utcnow()))
    return pdf_response(board_pdf(site, day, paper, landscape=paper == "A3"), f"board-{site.code}-{day}.pdf")


@bp.route("/verify/<code>/<token>")
def verify(code, token):
    """The page a test report's QR code opens: is this report genuine, and what did it say?"""
    if not accepts_verify_token(code.strip().upper(), token):
        abort(404)
    batch = services.verified_batch(code)
    if batch is None:
        abort(404)
    latest: dict = {}  # the latest reviewed test per item, as the printed report shows it
    for r in sorted((r for r in batch.results if r.current and r.reviewed_at is not None),
                    key=lambda r: (r.tested_at, r.id)):
        latest[r.item_id] = r
    results = list(latest.values())
    from lims.labels import public_wording
    from lims.rules.batch_status import effective_status

    d = batch.disposition
    status = effective_status(d.status, d.objection_deadline, utcnow()) if d else None
    lines = [(r.item.name, r.outcome, public_wording(r.outcome, status, report_lang())) for r in results
             if not batch.voided]  # a voided batch's report is withdrawn: its results are not vouched for
    return cache_headers(make_response(render_template(
        "public/verify.html", batch=batch, lines=lines,
        operator=services.operator_name(batch.stall) if batch.stall else "")), 300)
