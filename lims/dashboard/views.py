"""The district dashboard, site pages and stall pages."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext

from lims.accounts.access import requires, web_actor
from lims.batches.services import find_site
from lims.dashboard import services
from lims.database import utcnow
from lims.extensions import db
from lims.i18n import local_today
from lims.listing import page_number
from lims.models import Site, Stall
from lims.reporting import figures
from lims.reporting.monthly import rating_reason
from lims.reporting.views import pdf_response
from lims.sites.services import public_stall_url
from reports.pdf.stall_stickers import StallSticker, render_stall_stickers
from reports.svg import qr_code_svg

bp = Blueprint("dashboard", __name__)


def charts(d):
    return {
        "daily": services.daily_chart_svg(d.daily, gettext("Daily tests and positives"), gettext("Tests done"),
                                          gettext("Positives"), gettext("No tests yet")),
        "items": services.bar_svg(gettext("Positives by test item this month"),
                                  [(r.name, r.positives) for r in d.by_item if r.positives][:12],
                                  empty=gettext("No positives this month")),
        "categories": services.bar_svg(gettext("Positives by food category this month"),
                                       [(r.name, r.positives) for r in d.by_category if r.positives][:12],
                                       empty=gettext("No positives this month")),
        "sites": services.bar_svg(gettext("Positive rate by site this month"),
                                  [(site.name, m.positive_rate / 100 if m.positive_rate is not None else 0)
                                   for site, m in d.site_months][:15], percent=True, empty=gettext("No tests yet")),
    }


@bp.route("/dashboard")
@requires("report.read")
def index():
    from lims.reporting.views import parse_month

    actor = web_actor()
    now = utcnow()
    raw = request.args.get("month")
    d = services.dashboard(actor, now, parse_month(raw) if raw else None)
    return render_template("dashboard/index.html", d=d, charts=charts(d), now=now)


@bp.route("/sites/<code>")
@requires("batch.read")
def site(code):
    actor = web_actor()
    site = find_site(actor, code)
    now = utcnow()
    scope = figures.Scope(frozenset({site.id}), site.name, "site")
    month = local_today(now).replace(day=1)
    start, end = figures.month_bounds(month)
    red, black = figures.stall_lists(scope, local_today(now))
    facts = figures.site_ratings(scope, start, end, now, black)
    rating = (facts[0].rating, rating_reason(facts[0].rating)) if facts else (None, "")
    stalls = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id).order_by(Stall.code)).scalars().all()
    standing = {s.stall: "black" for s in black} | {s.stall: "red" for s in red}
    return render_template("dashboard/site.html", site=site, figures=figures.headline(scope, start, end, now),
                           rating=rating, stalls=stalls, standing=standing, month=month,
                           by_item=figures.breakdown(scope, start, end, "item"))


@bp.route("/sites/<code>/stall-codes.pdf")
@requires("stall.codes")
def stall_codes(code):
    """一摊一码: the A4 sheet of QR stickers for all active stalls of a market."""
    actor = web_actor()
    site = db.session.execute(sa.select(Site).where(Site.code == code)).scalar_one_or_none()
    if site is None or not actor.may_see_site(site.id):  # another market's sheet does not exist for you
        abort(404)
    stalls = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id, Stall.active.is_(True))
                                .order_by(Stall.code)).scalars().all()
    pdf = render_stall_stickers(site.name, [StallSticker(s.code, public_stall_url(s), s.operator) for s in stalls],
                                caption=gettext("Scan for this stall's food test results"))
    return pdf_response(pdf, f"stall-codes-{site.code}.pdf")


@bp.route("/stalls/<int:stall_id>")
@requires("batch.read")
def stall(stall_id):
    actor = web_actor()
    stall = db.session.get(Stall, stall_id)
    if stall is None:
        abort(404)
    actor.check_site(stall.site_id)
    now = utcnow()
    url = public_stall_url(stall)
    return render_template("dashboard/stall.html", stall=stall, history=services.stall_history(stall, page_number(request.args.get("page")),
                                                            {"stall_id": stall.id}),
                           standing=services.stall_standing(stall, now), public_url=url,
                           qr=qr_code_svg(url, module=5, title=f"{stall.site.name} {stall.code}"))
