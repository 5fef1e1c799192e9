"""The monthly report (月度快检报告) of a district or one site: figures for the month and
the one before, breakdowns, positives, ratings with reasons, lists, events, charts."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext

from lims.labels import status_words
from lims.audit.services import head as audit_head
from lims.database import utcnow
from lims.i18n import local_today, to_local
from lims.reporting import figures
from lims.reporting.common import font, issuer, report_lang
from lims.rules.rating import Rating
from reports.data import MonthlyReport, RatingRule, SiteRating
from reports.excel.monthly_workbook import write_monthly
from reports.pdf.monthly_report import render_monthly_report


def _pct(value) -> str:
    """A rate as people read it; two decimals, so that 3.03 % is seen to be above 3 %."""
    text = format(value.quantize(Decimal("0.01")), "f")
    return f"{text[:-1] if text.endswith('0') else text}%"


def rating_reason(rating: Rating) -> str:
    """Why a site has its colour, in words ("橙：1 起处置超期")."""
    p = rating.params
    texts = {
        "banned_positive": lambda: gettext("banned substance found: %(items)s", items="、".join(p["items"])),
        "rate_above": lambda: gettext("positive rate %(rate)s above %(threshold)s", rate=_pct(p["rate"]),
                                      threshold=_pct(p["threshold"])),
        "overdue_long": lambda: gettext("%(count)d disposition(s) overdue, the longest by %(hours)s h (over %(threshold)s h)",
                                        count=p["count"], hours=p["hours"], threshold=p["threshold"]),
        "overdue": lambda: gettext("%(count)d disposition(s) overdue", count=p["count"]),
        "blacklisted_stall": lambda: gettext("black-listed stall(s): %(stalls)s", stalls="、".join(p["stalls"])),
        "positives_handled": lambda: gettext("%(count)d positive(s), none overdue", count=p["count"]),
        "clean": lambda: (gettext("no positives; %(batches)d of %(planned)d planned batches sampled",
                                  batches=p["batches"], planned=p["planned"]) if p.get("planned") is not None
                          else gettext("no positives; %(batches)d batches sampled", batches=p["batches"])),
        "below_plan": lambda: gettext("no positives, but only %(batches)d of %(planned)d planned batches sampled",
                                      batches=p["batches"], planned=p["planned"] or 0),
    }
    return texts[rating.reason]()


def rating_rules_text() -> tuple[RatingRule, ...]:
    t = figures.thresholds()
    return (
        RatingRule(colour="red", condition=gettext(
            "a banned-substance positive (β-agonists, malachite green, chloramphenicol, nitrofurans, rhodamine B, "
            "illegal additives), or positive rate above %(rate)s%%, or a disposition overdue by more than %(hours)d h",
            rate=t.red_positive_rate, hours=t.red_overdue_hours)),
        RatingRule(colour="orange", condition=gettext("positive rate above %(rate)s%%, or any overdue disposition",
                                                      rate=t.orange_positive_rate)),
        RatingRule(colour="yellow", condition=gettext("positive rate above %(rate)s%%, or a stall of the site on the "
                                                      "black list", rate=t.yellow_positive_rate)),
        RatingRule(colour="blue", condition=gettext("some positives, every one handled in time")),
        RatingRule(colour="green", condition=gettext("no positives and the month's planned sampling reached")),
    )


def list_rules_text() -> tuple[str, ...]:
    r = figures.list_rules()
    return (
        gettext("Black list: %(n)d or more positive batches within %(days)d days (laboratory-released batches "
                "do not count).", n=r.black_positives, days=r.black_days),
        gettext("Red (honour) list: at least %(n)d batches tested within %(days)d days and no positive within "
                "%(clean)d days.", n=r.red_min_batches, days=r.red_batch_days, clean=r.red_clean_days),
        gettext("Positive rate = positives ÷ (negatives + positives); suspect and invalid results are reported "
                "separately and never counted as passes. Disposal rate = closed dispositions ÷ positives. A "
                "disposition is overdue when it was not closed by its deadline (%(hours)d h after the objection "
                "window or the laboratory result).", hours=int(current_app.config["DISPOSAL_DEADLINE_HOURS"])),
    )


def build_monthly(actor, month: date, site_code: str | None = None) -> MonthlyReport:
    """The printed report: reviewed results only (what waits for review is counted apart)."""
    everything = figures.scope_for(actor, site_code)
    scope = everything.reviewed()
    now = utcnow()
    start, end = figures.month_bounds(month)
    prev_start, prev_end = figures.month_bounds(month.replace(day=1) - timedelta(days=1))
    month_end = min((end - timedelta(seconds=1)).astimezone(to_local(now).tzinfo).date(), local_today(now))
    red, black = figures.stall_lists(scope, month_end)
    ratings = figures.site_ratings(scope, start, end, now, black)
    planned = [f.site.planned_monthly_batches for f in ratings if f.site.planned_monthly_batches]
    return MonthlyReport(
        issuer=issuer(), month=month.replace(day=1), scope=scope.kind, scope_name=scope.name,
        current=figures.headline(scope, start, end, now), previous=figures.headline(scope, prev_start, prev_end, now),
        by_site=tuple(figures.breakdown(scope, start, end, "site")),
        by_category=tuple(figures.breakdown(scope, start, end, "category")),
        by_item=tuple(figures.breakdown(scope, start, end, "item")),
        by_station=tuple(figures.breakdown(scope, start, end, "station")),
        positives=tuple(figures.positives(scope, start, end, now, to_local)),
        ratings=tuple(SiteRating(site=f.site.name, colour=f.rating.colour, reason=rating_reason(f.rating))
                      for f in ratings),
        red_list=tuple(red), black_list=tuple(black), events=tuple(figures.events(scope, start, end)),
        daily=tuple(figures.daily(scope, start, end)), rating_rules=rating_rules_text(),
        list_rules=list_rules_text(), planned_batches=sum(planned) if planned else None,
        unreviewed=figures.unreviewed(everything, start, end),
        report_no=f"YB-{month:%Y%m}" + (f"-{site_code.upper()}" if site_code else ""), generated_at=to_local(now),
        audit_head=audit_head())


def monthly_pdf(actor, month: date, site_code: str | None = None) -> bytes:
    return render_monthly_report(build_monthly(actor, month, site_code), report_lang(), font=font(),
                                 status_words=status_words(report_lang()))


def monthly_xlsx(actor, month: date, site_code: str | None = None) -> bytes:
    return write_monthly(build_monthly(actor, month, site_code), report_lang(), status_words=status_words(report_lang()))
