"""Issuing (签发) the monthly report: the issuer and the 编制/审核/签发 lines from
configuration, a draft until issued, a number and a version, 签发时间 kept from the first
issue, a new version only when the figures changed; who may issue. Also the "as of" line
and the status of a positive whose seller was never told."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from lims.reporting.text import text_for
from tests.wording import ZH_STATUS
from tests.reporting.world import MONTH, NOW, SHANGHAI, Builder, loc

L = text_for("zh_CN", ZH_STATUS)
ISSUER = "钱塘区市场监督管理局食品快检中心"


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def configured(app, monkeypatch):
    for key, value in {"REPORT_ISSUER": ISSUER, "REPORT_COMPILED_BY": "李编制", "REPORT_REVIEWED_BY": "周审核",
                       "REPORT_SIGNED_BY": None, "REPORT_SEAL": None}.items():
        monkeypatch.setitem(app.config, key, value)


def issued_rows(db):
    import sqlalchemy as sa

    from lims.models import IssuedReport

    return db.session.execute(sa.select(IssuedReport).order_by(IssuedReport.version)).scalars().all()


def test_a_report_not_issued_is_a_draft_with_the_configured_issuer_and_sign_lines(world, actors, ctx, configured,
                                                                                   pdftext):
    from lims.reporting.monthly import build_monthly, monthly_pdf

    r = build_monthly(actors["regulator"], MONTH)
    assert r.issue is None and r.issuer.name == ISSUER
    assert (r.signatures.compiled_by, r.signatures.reviewed_by, r.signatures.signed_by) == ("李编制", "周审核", None)
    assert r.signatures.seal == f"{ISSUER}（盖章）"
    f = flat(pdftext(monthly_pdf(actors["regulator"], MONTH), raw=True))
    assert ISSUER in f and "食品快速检测月度快检报告" not in f
    assert "快速检测报告" not in f.replace("月度快检报告", "")  # no placeholder issuer
    for text in ("本报告尚未签发，为草稿，不得对外发布。", "草稿 DRAFT", "版本草稿（未签发）",
                 "编制：李编制", "审核：周审核", "签发：＿＿＿＿＿＿", "签发时间：＿＿＿＿＿＿", f"{ISSUER}（盖章）"):
        assert flat(text) in f, text


def test_the_issuer_defaults_to_the_stations_organisation_never_a_placeholder(world, actors, ctx, app, monkeypatch):
    from lims.reporting.monthly import build_monthly

    monkeypatch.setitem(app.config, "REPORT_ISSUER", None)
    monkeypatch.setitem(app.config, "ISSUER_NAME", None)
    assert build_monthly(actors["regulator"], MONTH).issuer.name == "上城区市场监督管理局"


def test_issue_then_print_later_keeps_the_first_issue_time(world, actors, ctx, db, configured, clock, pdftext):
    from lims.reporting.monthly import build_monthly, issue_monthly, monthly_pdf

    row = issue_monthly(actors["regulator"], MONTH)
    assert (row.number, row.version, row.first_issued_at, row.issued_by_name) == ("YB-202611", 1, NOW, "监管员丙")
    assert row.scope_key == "district" and row.period == MONTH and len(row.figures_digest) == 64
    clock(NOW + timedelta(days=3, hours=5))  # printed three days later
    r = build_monthly(actors["regulator"], MONTH)
    assert (r.issue.version, r.issue.current, r.issue.issued_by) == (1, True, "监管员丙")
    assert r.issue.first_issued_at == datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
    assert r.signatures.signed_by == "监管员丙"
    f = flat(pdftext(monthly_pdf(actors["regulator"], MONTH)))
    assert "签发时间：2026-12-0210:00" in f and "签发：监管员丙" in f
    assert "版本1" in f and "草稿 DRAFT" not in f
    assert flat("本报告尚未签发，为草稿，不得对外发布。") not in f
    assert "生成时间2026-12-0515:00" in f  # the print time is the print's, 签发时间 the first issue's


def test_issuing_again_without_changes_is_refused_and_changes_nothing(world, actors, ctx, db, configured):
    from lims.errors import Conflict
    from lims.reporting.monthly import issue_monthly

    issue_monthly(actors["regulator"], MONTH)
    with pytest.raises(Conflict):
        issue_monthly(actors["admin"], MONTH)
    assert [r.version for r in issued_rows(db)] == [1]


def test_changed_figures_print_as_draft_until_a_new_version_is_issued(world, actors, ctx, db, configured, clock,
                                                                        pdftext):
    from lims.reporting.monthly import build_monthly, issue_monthly, monthly_pdf

    issue_monthly(actors["regulator"], MONTH)
    a9 = world.results["a9"]  # reviewed after the issue: the printed figures change (219 → 220 tests)
    a9.reviewed_at, a9.reviewed_by = a9.tested_at + timedelta(hours=1), world.users["reviewer"]
    db.session.flush()
    clock(NOW + timedelta(days=1))
    r = build_monthly(actors["regulator"], MONTH)
    assert r.current.tests == 220 and (r.issue.version, r.issue.current) == (1, False)
    assert r.signatures.signed_by is None  # nobody signed these figures
    f = flat(pdftext(monthly_pdf(actors["regulator"], MONTH), raw=True))
    assert flat("第 {version} 版签发后数据已有变化，本打印件为草稿；须重新签发新版本。".format(version=1)) in f and flat("草稿 DRAFT") in f
    row = issue_monthly(actors["admin"], MONTH)
    assert (row.version, row.number, row.first_issued_at, row.issued_at) == (2, "YB-202611", NOW,
                                                                             NOW + timedelta(days=1))
    r = build_monthly(actors["regulator"], MONTH)
    assert (r.issue.version, r.issue.current, r.issue.issued_by) == (2, True, "管理员")
    assert r.issue.first_issued_at == datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
    assert [x.version for x in issued_rows(db)] == [1, 2]


def test_issues_are_per_scope(world, actors, ctx, db, configured):
    from lims.reporting.monthly import build_monthly, issue_monthly

    issue_monthly(actors["regulator"], MONTH, "sb")
    assert build_monthly(actors["regulator"], MONTH).issue is None  # the district is still a draft
    mine = build_monthly(actors["manager"], MONTH)  # the manager's own market: the same scope, "SB"
    assert (mine.issue.version, mine.report_no) == (1, "YB-202611-SB")


def test_only_a_regulator_or_an_admin_issues_and_only_a_finished_month(world, actors, ctx, db, configured, clock,
                                                                       make_user):
    from lims.accounts.access import Actor
    from lims.errors import Conflict, Forbidden
    from lims.reporting.monthly import issue_monthly

    for role in ("technician", "reviewer", "market_manager"):
        with pytest.raises(Forbidden):
            issue_monthly(Actor(make_user(role, sites=[world.sites["SB"]]), "test"), MONTH, "SB")
    clock(loc(2026, 11, 30, 23, 0))  # November is not over
    with pytest.raises(Conflict):
        issue_monthly(actors["regulator"], MONTH)
    assert issued_rows(db) == []


def test_issue_over_the_web(world, actors, ctx, db, configured, client, make_user):
    import sqlalchemy as sa

    from lims.models import AuditEntry

    tech = make_user("technician")
    client.login(tech)
    assert client.post_form("/reports/monthly/issue", {"month": "2026-11"}, csrf_from="/reports").status_code == 403
    client.post_form("/logout", csrf_from="/reports")
    client.login(actors["regulator_user"])
    page = client.get("/reports").get_data(as_text=True)
    assert 'action="/reports/monthly/issue"' in page
    r = client.post_form("/reports/monthly/issue", {"month": "2026-11", "site": ""}, csrf_from="/reports")
    assert r.status_code == 302 and r.headers["Location"].endswith("/reports")
    assert [x.version for x in issued_rows(db)] == [1]
    entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "report.issue")).scalar_one()
    assert entry.after["number"] == "YB-202611" and entry.after["version"] == 1
    again = client.post_form("/reports/monthly/issue", {"month": "2026-11"}, csrf_from="/reports",
                             follow_redirects=True)
    assert again.status_code == 200 and "alert-danger" in again.get_data(as_text=True)
    bad = client.post_form("/reports/monthly/issue", {"month": "2026-13"}, csrf_from="/reports", follow_redirects=True)
    assert bad.status_code == 200 and [x.version for x in issued_rows(db)] == [1]


def test_the_report_states_when_its_figures_hold(world, actors, ctx, configured, pdftext):
    from lims.reporting.monthly import build_monthly, issue_monthly, monthly_pdf

    r = build_monthly(actors["regulator"], MONTH)
    assert r.counts_as_of == datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)
    assert r.generated_at == datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
    issue_monthly(actors["regulator"], MONTH)
    f = flat(pdftext(monthly_pdf(actors["regulator"], MONTH)))
    assert flat("检测数字截至 {counts}；超期未处置、复检待出结果及各阳性的处置状态截至打印时间 {printed}。".format(counts="2026-11-30 23:59", printed="2026-12-02 10:00")) in f
    assert flat("另有 {count} 个批次本月登记、截至月末尚未检测，不计入检测批次。".format(count=2)) in f  # x0, e3


def test_a_positive_whose_seller_was_never_told_is_not_listed_as_within_the_objection_window(
        app, db, make_user, ctx, clock, actors, pdftext, configured):
    """Not notified: no objection window runs, so not "已停售（异议期内）"."""
    from lims.i18n import to_local
    from lims.reporting import figures
    from lims.reporting.monthly import build_monthly

    clock(NOW)
    b = Builder(db, make_user("technician"), make_user("reviewer"))
    site = b.site("NN", "未告知市场", 10)
    batch = b.batch(site, "青菜", loc(2026, 11, 20, 8), status="stopped", verdict="positive")
    r = b.result(batch, "OPC", "positive", loc(2026, 11, 20, 9), computed=Decimal("70"))
    d = b.disposition(batch, r, "stopped", loc(2026, 11, 20, 9, 30), deadline=None, due_at=None)
    d.notified_at = None
    db.session.flush()
    scope = figures.Scope(frozenset({site.id}), site.name, "site")
    rows = figures.positives(scope, *figures.month_bounds(MONTH), NOW, to_local)
    assert [p.disposition_status for p in rows] == ["not_notified"]
    assert L.status("not_notified") != L.status("stopped")
    report = build_monthly(actors["admin"], MONTH, "NN")
    assert [p.disposition_status for p in report.positives] == ["not_notified"]


def test_without_an_issuing_body_the_monthly_report_says_what_to_set(app, db, client, make_user, make_site,
                                                                     monkeypatch):
    """No configured issuer and no station naming its organisation: a clear 422, never a
    placeholder name on a document a regulator signs."""
    monkeypatch.setitem(app.config, "REPORT_ISSUER", None)
    monkeypatch.setitem(app.config, "ISSUER_NAME", None)
    make_site("ZZ", "无名市场")
    client.login(make_user("regulator"))
    r = client.get("/reports/monthly.pdf?month=2026-11")
    assert r.status_code == 422 and "LIMS_REPORT_ISSUER" in r.get_data(as_text=True)
