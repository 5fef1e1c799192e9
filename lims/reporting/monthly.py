"""The monthly report (月度快检报告) of a district or one site: figures for the month and
the one before, breakdowns, positives, ratings with reasons, lists, events, charts."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext, ngettext

from lims.audit.services import head as audit_head
from lims.database import utcnow
from lims.errors import InvalidInput
from lims.extensions import db
from lims.i18n import local_today, to_local
from lims.models import IssuedReport, Station
from lims.replica import ReplicaRead, read_session
from lims.reporting import figures
from lims.reporting.common import font, report_text
from lims.rules.rating import Rating
from reports.data import Issuer, MonthlyReport, RatingRule, ReportIssue, Signatures, SiteRating
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
        "overdue_long": lambda: ngettext("%(num)d disposition overdue, by %(hours)s h (over %(threshold)s h)",
                                         "%(num)d dispositions overdue, the longest by %(hours)s h (over "
                                         "%(threshold)s h)", p["count"], hours=p["hours"], threshold=p["threshold"]),
        "overdue": lambda: ngettext("%(num)d disposition overdue", "%(num)d dispositions overdue", p["count"]),
        "blacklisted_stall": lambda: ngettext("black-listed stall: %(stalls)s", "black-listed stalls: %(stalls)s",
                                              len(p["stalls"]), stalls="、".join(p["stalls"])),
        "positives_handled": lambda: ngettext("%(num)d positive, not overdue", "%(num)d positives, none overdue",
                                              p["count"]),
        "clean": lambda: (ngettext("no positives; %(batches)d of %(num)d planned batch sampled",
                                   "no positives; %(batches)d of %(num)d planned batches sampled", p["planned"],
                                   batches=p["batches"]) if p.get("planned") is not None
                          else ngettext("no positives; %(num)d batch sampled", "no positives; %(num)d batches sampled",
                                        p["batches"])),
        "below_plan": lambda: ngettext("no positives, but only %(batches)d of %(num)d planned batch sampled",
                                       "no positives, but only %(batches)d of %(num)d planned batches sampled",
                                       p["planned"] or 0, batches=p["batches"]),
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


def _days(n: int) -> str:
    return ngettext("%(num)d day", "%(num)d days", n)


def list_rules_text() -> tuple[str, ...]:
    r = figures.list_rules()
    return (
        gettext("Black list: %(n)d or more positive batches within %(days)s, being at least %(rate)s%% of "
                "the stall's batches tested in those days (laboratory-released batches do not count).",
                n=r.black_positives, days=_days(r.black_days), rate=r.black_min_rate),
        gettext("Red (honour) list: at least %(batches)s tested within %(days)s and no positive within %(clean)s.",
                batches=ngettext("%(num)d batch", "%(num)d batches", r.red_min_batches), days=_days(r.red_batch_days),
                clean=_days(r.red_clean_days)),
        gettext("Positive rate = positives ÷ (negatives + positives); suspect and invalid results are reported "
                "separately and never counted as passes. Disposal rate = closed dispositions ÷ positives. A "
                "disposition is overdue when it was not closed by its deadline (%(hours)d h after the objection "
                "window or the laboratory result).", hours=int(current_app.config["DISPOSAL_DEADLINE_HOURS"])),
        gettext("In the five-colour rating a screening positive that the laboratory retest released counts as a "
                "negative: only positives that stood make a site red, orange or yellow."),
    )


ISSUER_FIELDS = ("issuer_name", "seal_text", "compiled_by", "reviewed_by", "signed_by")


def _issuing_node(scope: figures.Scope):
    """The node whose own issuer a report prints: the scope's node when it has issuer
    fields, or when it is not the tree's root (a district under a city prints its own name,
    never the deployment's configured issuer); None: the configuration speaks."""
    if scope.org_id is None:
        return None
    from lims.models import Organisation

    node = db.session.get(Organisation, scope.org_id)
    if node is None:
        return None
    if any(getattr(node, f) for f in ISSUER_FIELDS):
        return node
    cfg = current_app.config
    if node.parent_id is None and (cfg.get("REPORT_ISSUER") or cfg.get("ISSUER_NAME")):
        return None
    return node


def monthly_issuer(scope: figures.Scope | None = None) -> Issuer:
    """The body that issues a monthly report: the node of the tree the report is for (its
    issuer name, else its name), else configured (REPORT_ISSUER, else ISSUER_NAME), else the
    organisation most testing stations belong to, never a placeholder."""
    cfg = current_app.config
    node = _issuing_node(scope) if scope is not None else None
    if node is not None:
        return Issuer(name=node.report_issuer, phone=cfg.get("COMPLAINT_PHONE"))
    name = cfg.get("REPORT_ISSUER") or cfg.get("ISSUER_NAME") or db.session.execute(
        sa.select(Station.organisation).where(Station.organisation.is_not(None), Station.organisation != "")
        .group_by(Station.organisation).order_by(sa.func.count().desc(), Station.organisation)).scalars().first()
    if not name:
        raise InvalidInput(gettext("Set the issuing body of reports (LIMS_REPORT_ISSUER) first."),
                                   {"issuer": ["LIMS_REPORT_ISSUER"]})
    return Issuer(name=name, phone=cfg.get("COMPLAINT_PHONE"))


def signatures(issuer: Issuer, issue: ReportIssue | None, scope: figures.Scope | None = None) -> Signatures:
    """编制/审核/签发 and the seal: the node's own (blank lines to sign by hand where it names
    nobody), else from configuration; an issued report is signed by whoever issued it."""
    cfg = current_app.config
    node = _issuing_node(scope) if scope is not None else None
    if node is not None:
        names = {"compiled_by": node.compiled_by, "reviewed_by": node.reviewed_by, "signed_by": node.signed_by}
        seal = node.seal_text or f"{issuer.name}（盖章）"
    else:
        names = {"compiled_by": cfg.get("REPORT_COMPILED_BY"), "reviewed_by": cfg.get("REPORT_REVIEWED_BY"),
                 "signed_by": cfg.get("REPORT_SIGNED_BY")}
        seal = cfg.get("REPORT_SEAL") or f"{issuer.name}（盖章）"
    if issue is not None and issue.current:
        names["signed_by"] = issue.issued_by
    return Signatures(**names, seal=seal)


def report_number(month: date, scope: figures.Scope) -> str:
    return f"YB-{month:%Y%m}" + ("" if scope.key == "district" else f"-{scope.key.removeprefix('org:')}")


def figures_digest(report: MonthlyReport) -> str:
    """A digest of the counts a report states (they hold at the end of the month); open
    cases, counted when printed, are left out: they change by design."""
    cur = report.current
    counts = {k: str(getattr(cur, k)) for k in (
        "batches", "batches_untested", "tests", "negatives", "positives", "suspects", "invalids")}
    data = {"current": counts, "unreviewed": report.unreviewed,
            "breakdowns": [[(r.name, r.tests, r.negatives, r.positives, r.suspects, r.invalids, r.batches)
                            for r in rows] for rows in (report.by_site, report.by_category, report.by_item,
                                                        report.by_station)],
            "positives": sorted((p.batch_code or "", p.item, str(p.value)) for p in report.positives)}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def latest_issue(scope: figures.Scope, month: date) -> IssuedReport | None:
    return db.session.execute(
        sa.select(IssuedReport).where(IssuedReport.kind == "monthly", IssuedReport.scope_key == scope.key,
                                      IssuedReport.period == month.replace(day=1))
        .order_by(IssuedReport.version.desc()).limit(1)).scalar_one_or_none()


def build_monthly(actor, month: date, site_code: str | None = None, org_code: str | None = None,
                  source: ReplicaRead | None = None) -> MonthlyReport:
    """The printed report: reviewed results only (what waits for review is counted apart).
    Counts hold at the end of the month (or now, for the running month); open cases and
    statuses hold now, when printed. Without a current issued version it is a draft.
    ``source``: read inside ``read_session()`` from a replica — its data hold at its as-of
    moment, printed with its lag."""
    scope = figures.scope_for(actor, site_code, org_code)
    report = _figures_of_month(scope, month)
    if source is not None:
        report = dataclasses.replace(report, replica_as_of=to_local(source.as_of), replica_lag_seconds=source.lag_seconds,
                                     counts_as_of=min(report.counts_as_of, to_local(source.as_of)))
    issued = latest_issue(scope, month)
    issue = None
    if issued is not None:
        issue = ReportIssue(number=issued.number, version=issued.version,
                            first_issued_at=to_local(issued.first_issued_at), issued_at=to_local(issued.issued_at),
                            issued_by=issued.issued_by_name, current=issued.figures_digest == figures_digest(report))
    return dataclasses.replace(report, issue=issue, signatures=signatures(report.issuer, issue, scope),
                               report_no=issued.number if issued is not None else report.report_no)


def _figures_of_month(everything: figures.Scope, month: date) -> MonthlyReport:
    scope = everything.reviewed()
    now = utcnow()
    start, end = figures.month_bounds(month)
    prev_start, prev_end = figures.month_bounds(month.replace(day=1) - timedelta(days=1))
    month_end = min((end - timedelta(seconds=1)).astimezone(to_local(now).tzinfo).date(), local_today(now))
    red, black = figures.stall_lists(scope, month_end)
    ratings = figures.site_ratings(scope, start, end, now, black)
    planned = [f.site.planned_monthly_batches for f in ratings if f.site.planned_monthly_batches]
    return MonthlyReport(
        issuer=monthly_issuer(scope), month=month.replace(day=1), scope=scope.kind, scope_name=scope.name,
        current=figures.headline(scope, start, end, now), previous=figures.headline(scope, prev_start, prev_end, now),
        by_site=tuple(figures.breakdown(scope, start, end, "site")),
        by_unit=tuple(figures.unit_rows(scope, start, end, now)),
        coverage=tuple(figures.coverage(scope, start, end)),
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
        report_no=report_number(month, scope), generated_at=to_local(now),
        counts_as_of=to_local(min(end - timedelta(seconds=1), now)), audit_head=audit_head())


def issue_monthly(actor, month: date, site_code: str | None = None, org_code: str | None = None) -> IssuedReport:
    """Issue (签发) the monthly report of a scope: version 1, or a new version when the
    figures changed since the last one (签发时间 stays the first version's). Refused when
    nothing changed, and for a month that has not ended."""
    from lims.audit.services import record
    from lims.errors import Conflict, Forbidden

    if not actor.can("report.issue"):
        raise Forbidden(gettext("Only a regulator or an administrator may issue reports."))
    now = utcnow()
    start, end = figures.month_bounds(month)
    if now < end:
        raise Conflict(gettext("A month can be issued once it has ended."))
    scope = figures.scope_for(actor, site_code, org_code)
    report = _figures_of_month(scope, month)
    digest = figures_digest(report)
    last = latest_issue(scope, month)
    if last is not None and last.figures_digest == digest:
        raise Conflict(gettext("Version %(version)d of this report already has these figures.",
                               version=last.version))
    row = IssuedReport(kind="monthly", scope_key=scope.key, scope_name=scope.name, period=month.replace(day=1),
                       number=last.number if last is not None else report.report_no,
                       version=last.version + 1 if last is not None else 1,
                       first_issued_at=last.first_issued_at if last is not None else now, issued_at=now,
                       issued_by_id=actor.user_id,
                       issued_by_name=(actor.user.display_name or actor.user.username)[:64], figures_digest=digest)
    db.session.add(row)
    db.session.flush()
    record(actor, "report.issue", "issued_report", row.id,
           after={"number": row.number, "version": row.version, "period": row.period.isoformat(),
                  "scope": row.scope_key, "digest": digest})
    return row


def monthly_pdf(actor, month: date, site_code: str | None = None, org_code: str | None = None) -> bytes:
    """The monthly report as PDF, read from the replica when there is one."""
    with read_session() as source:
        return render_monthly_report(build_monthly(actor, month, site_code, org_code, source), report_text(),
                                     font=font())


def monthly_xlsx(actor, month: date, site_code: str | None = None, org_code: str | None = None) -> bytes:
    """The monthly report as a workbook, read from the replica when there is one."""
    with read_session() as source:
        return write_monthly(build_monthly(actor, month, site_code, org_code, source), report_text())
