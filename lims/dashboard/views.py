"""The district dashboard, site pages and stall pages."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext

from lims.accounts.access import requires, web_actor
from lims.dashboard import periods, services
from lims.errors import InvalidInput
from lims.database import utcnow
from lims.extensions import db
from lims.i18n import local_today
from lims.listing import Chip, kept_args, page_number, paginate
from lims.models import Site, Stall
from lims.pagecache import cached, reader_scopes
from lims.replica import read_session
from lims.reporting import figures
from lims.reporting.choices import report_choices
from lims.reporting.common import report_text
from lims.reporting.monthly import list_rules_text, rating_reason, rating_rules_text
from lims.reporting.views import pdf_response
from lims.sites.services import get_site, normalise_code, public_stall_url
from reports.pdf.stall_stickers import StallSticker, render_stall_stickers
from reports.svg import qr_code_svg

bp = Blueprint("dashboard", __name__)


# The trend chart's title says how it is drawn (a period longer than two months by week or month).
TREND_TITLES = {
    "day": lambda: gettext("Daily tests and positives"),
    "week": lambda: gettext("Weekly tests and positives (each bar a week, from its first day)"),
    "month": lambda: gettext("Monthly tests and positives"),
}


def charts(d):
    return {
        "daily": services.daily_chart_svg(services.trend(d.daily, d.trend_step), TREND_TITLES[d.trend_step](),
                                          gettext("Tests done"), gettext("Positives"), gettext("No tests yet"),
                                          step=d.trend_step),
        "items": services.bar_svg(gettext("Positives by test item (%(period)s)", period=d.period.key),
                                  [(r.name, r.positives) for r in d.by_item if r.positives][:12],
                                  empty=gettext("No positives in this period")),
        "categories": services.bar_svg(gettext("Positives by food category (%(period)s)", period=d.period.key),
                                       [(r.name, r.positives) for r in d.by_category if r.positives][:12],
                                       empty=gettext("No positives in this period")),
        "sites": services.bar_svg(gettext("Positive rate by site (%(month)s)", month=d.rating_month.strftime("%Y-%m")),
                                  [(site.name, m.positive_rate / 100 if m.positive_rate is not None else 0)
                                   for site, m in d.site_months][:15], percent=True, empty=gettext("No tests yet")),
    }


@bp.route("/dashboard")
@requires("report.read")
@cached(scopes=reader_scopes)
def index():
    """The dashboard of a period: ?period=month|quarter|year|range with ?month=2026-11,
    ?quarter=2026-Q4, ?year=2026 or ?from=…&to=…; a bad period is refused (422) on the
    page, with the picker to choose again."""
    actor = web_actor()
    now = utcnow()
    today = local_today(now)
    choice = report_choices(actor)
    try:
        period = periods.parse_period(request.args, today, current_app.config["DASHBOARD_MAX_RANGE_DAYS"])
    except InvalidInput as exc:
        return render_template("dashboard/index.html", d=None, error=exc, now=now, choice=choice,
                               picker=picker(None, today, request.args.get("period")), thresholds=None), 422
    with read_session() as source:  # rendered inside: its objects belong to the replica's session
        try:
            d = services.dashboard(actor, now, period, request.args.get("org") or None)
        except InvalidInput as exc:  # a node the reader may not see: refused on the page, pickers kept
            return render_template("dashboard/index.html", d=None, error=exc, now=now, choice=choice,
                                   picker=picker(period, today), thresholds=None), 422
        return render_template("dashboard/index.html", d=d, charts=charts(d), now=now, picker=picker(period, today),
                               choice=choice, error=None, thresholds=figures.thresholds(),
                               rating_rules=rating_rules_text(), list_rules=list_rules_text(), replica=source)


def picker(period, today, kind=None):
    """What the period picker offers and holds: the kind chosen and each field's value."""
    chosen = period or periods.Period.month(today)
    kind = chosen.kind if period is not None or kind not in periods.KINDS else kind
    quarters = [periods.Period.quarter(y, q) for y in range(today.year, today.year - 5, -1) for q in (4, 3, 2, 1)]
    return {
        "kind": kind, "month": chosen.first.strftime("%Y-%m") if chosen.kind == "month" else
        today.strftime("%Y-%m"),
        "quarter": chosen.key if chosen.kind == "quarter" else periods.Period.quarter(
            today.year, (today.month - 1) // 3 + 1).key,
        "quarters": [q.key for q in quarters if q.first <= today],
        "year": chosen.first.year, "years": list(range(today.year, today.year - 6, -1)),
        "from": chosen.first.isoformat(), "to": min(chosen.last, today).isoformat(),
        "today": today.isoformat(),
        "quick": [("month", periods.Period.month(today)), ("month", periods.Period.month(today.replace(day=1) - timedelta(days=1))),
                  ("quarter", periods.Period.quarter(today.year, (today.month - 1) // 3 + 1)),
                  ("year", periods.Period.year(today.year)), ("year", periods.Period.year(today.year - 1))],
    }


@bp.route("/sites/<code>")
@requires("batch.read")
def site(code):
    actor = web_actor()
    site = get_site(actor, normalise_code(code))  # another district's market does not seem to exist: 404
    now = utcnow()
    scope = figures.Scope(frozenset({site.id}), site.name, "site")
    month = local_today(now).replace(day=1)
    start, end = figures.month_bounds(month)
    with read_session() as source:  # the figures; rendered inside (its objects belong to that session)
        red, black = figures.stall_lists(scope, local_today(now))
        facts = figures.site_ratings(scope, start, end, now, black)
        rating = (facts[0].rating, rating_reason(facts[0].rating)) if facts else (None, "")
        standing = {s.stall: "black" for s in black} | {s.stall: "red" for s in red}
        stalls, chips, args = _site_stalls(site, standing)
        return render_template("dashboard/site.html", site=site, figures=figures.headline(scope, start, end, now),
                               rating=rating, stalls=stalls, chips=chips, args=args, standing=standing, month=month,
                               by_item=figures.breakdown(scope, start, end, "item"), rating_rules=rating_rules_text(),
                               list_rules=list_rules_text(), replica=source)


STANDINGS = ("red", "black")


def _site_stalls(site: Site, standing: dict[str, str]):
    """The market's stalls, a page at a time (a market has hundreds): ``?q=`` finds a stall
    number or operator, ``?standing=red|black`` keeps those on the red or black list."""
    q = (request.args.get("q") or "").strip()
    wanted = request.args.get("standing") or None
    if wanted not in (None, *STANDINGS):
        message = gettext("Unknown list: choose red or black.")
        raise InvalidInput(message, {"standing": [message]})
    stmt = sa.select(Stall).where(Stall.site_id == site.id).order_by(Stall.code)
    chips = []
    if q:
        stmt = stmt.where(sa.or_(Stall.code.icontains(q, autoescape=True), Stall.operator.icontains(q, autoescape=True)))
        chips.append(Chip(("q",), gettext("Search"), q))
    if wanted:
        stmt = stmt.where(Stall.code.in_([code for code, list_ in standing.items() if list_ == wanted]))
        chips.append(Chip(("standing",), gettext("Standing"),
                          gettext("Black list") if wanted == "black" else gettext("Red list")))
    args = {**kept_args(request.args), "code": site.code}
    return paginate(stmt, page_number(request.args.get("page")), args=args), chips, args


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
                                report_text(), caption=gettext("Scan for this stall's food test results"))
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
