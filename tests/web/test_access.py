"""Every route, walked by every role and by an anonymous visitor, with the answer each must get.

A new route fails ``test_every_route_is_in_the_table`` until it is added here with the
permission it needs, so nothing is reachable by accident."""
from __future__ import annotations

import pytest

from lims.reporting.common import verify_token
from lims.rules.permissions import can
from tests.web.world import build_world

ROLES = ("admin", "reviewer", "technician", "market_manager", "regulator")
PUBLIC = "public"
LOGIN = "login"  # any signed-in user

# endpoint → (permission, URL template). Templates use the world's objects.
GET_ROUTES = {
    "accounts.login": (PUBLIC, "/login"),
    "accounts.account": (LOGIN, "/account"),
    "home.index": ("batch.read", "/"),  # the regulator's home is the dashboard (a redirect)
    "batches.index": ("batch.read", "/batches"),
    "batches.new": ("batch.create", "/batches/new"),
    "batches.show": ("batch.read", "/batches/{batch_a}"),
    "reports.batch_pdf": ("report.read", "/batches/{batch_a}/report.pdf"),
    "rounds.index": ("batch.read", "/rounds"),
    "batches.correct": ("batch.correct", "/batches/{batch_a}/correct"),
    "batches.void": ("batch.void", "/batches/{batch_a}/void"),
    "batches.pending_changes": ("batch.change_review", "/batches/changes"),
    "rounds.grid": ("batch.read", "/rounds/{round_a}"),
    "rounds.results_grid": ("batch.read", "/rounds/{round_a}/results"),
    "rounds.labels_pdf": ("batch.read", "/rounds/{round_a}/labels.pdf"),
    "results.worklist": ("result.review", "/review"),
    "results.correct": ("result.create", "/results/{result_a}/correct"),
    "dispositions.worklist": ("batch.read", "/positives"),
    "dispositions.photo": ("batch.read", "/photos/{photo}"),
    "imports.new": ("import.create", "/imports/new"),
    "imports.show": ("import.read", "/imports/{import_a}"),
    "imports.original": ("import.read", "/imports/{import_a}/file"),
    "imports.template": ("batch.read", "/imports/template.xlsx"),
    "imports.preview_stored": ("import.create", None),  # needs an uploaded file: tests/imports
    "jobs.show": ("report.read", None),  # needs a job: tests/jobs
    "jobs.status": ("report.read", None),
    "jobs.output": ("report.read", None),
    "reports.index": ("report.read", "/reports"),
    "reports.monthly": ("report.read", "/reports/monthly.pdf?month={month}&site=MA"),
    "reports.monthly_workbook": ("report.read", "/reports/monthly.xlsx?month={month}&site=MA"),
    "reports.board": ("report.read", "/reports/board.pdf?site=MA"),
    "reports.results_export": ("report.read", "/reports/results.xlsx?from={today}&to={today}"),
    "dashboard.index": ("report.read", "/dashboard"),
    "dashboard.site": ("batch.read", "/sites/MA"),
    "dashboard.stall_codes": ("stall.codes", "/sites/MA/stall-codes.pdf"),
    "dashboard.stall": ("batch.read", "/stalls/{stall_a}"),
    "events.index": ("batch.read", "/events/"),
    "events.show": ("batch.read", "/events/{event}"),
    "events.summary": ("report.read", "/events/{event}/summary.pdf"),
    "events.edit": ("event.manage", "/events/new"),
    "notifications.index": ("batch.read", "/notifications/"),
    "admin.index": ("reference.manage", "/admin/"),
    "admin.listing": ("reference.manage", "/admin/sites/"),
    "admin.load_tree": ("reference.manage", "/admin/orgs/load"),
    "admin.tree_template": ("reference.manage", "/admin/orgs/template.xlsx"),
    "admin.edit": ("reference.manage", "/admin/stalls/{stall_a}"),  # a test item: deployment admin only (test_scope)
    "public.stall": (PUBLIC, "/public/stalls/{stall_a_public}"),
    "public.stall_qr": (PUBLIC, "/public/stalls/{stall_a_public}/qr.svg"),
    "public.site_board": (PUBLIC, "/public/sites/MA/board"),
    "public.site_board_pdf": (PUBLIC, "/public/sites/MA/board.pdf"),
    "public.verify": (PUBLIC, "/public/verify/{batch_a}/{verify_a}"),
    "health": (PUBLIC, "/health"),
    "api-docs.openapi_json": (PUBLIC, "/api/v1/openapi.json"),
    "static": (PUBLIC, "/static/css/lims.css"),
    "bootstrap.static": (PUBLIC, "/bootstrap/static/css/bootstrap.min.css"),
}

# POST-only web routes: (permission, URL). Checked for anonymous and refused roles.
POST_ROUTES = {
    "accounts.logout": (LOGIN, "/logout"),
    "accounts.sign_out_everywhere": (LOGIN, "/account/sign-out-everywhere"),
    "accounts.set_language": (PUBLIC, "/lang/zh_CN?next=/login"),
    "batches.new": ("batch.create", "/batches/new"),
    "results.add": ("result.create", "/batches/{batch_a}/results"),
    "results.review_batch": ("result.review", "/batches/{batch_a}/review"),
    "results.approve": ("result.review", "/review"),
    "results.reject": ("result.review", "/review/{result_a}/reject"),
    "results.assess": ("result.create", "/results/assess"),
    "results.correct": ("result.create", "/results/{result_a}/correct"),
    "reports.issue": ("report.issue", "/reports/monthly/issue"),
    "dispositions.notify": ("disposition.notify", "/batches/{batch_a}/notify"),
    "dispositions.objection": ("disposition.objection", "/batches/{batch_a}/objection"),
    "dispositions.lab_result": ("disposition.lab_result", "/batches/{batch_a}/lab-result"),
    "dispositions.disposal": ("disposition.disposal", "/batches/{batch_a}/disposals"),
    "dispositions.regulator": ("disposition.inform_regulator", "/batches/{batch_a}/regulator"),
    "rounds.index": ("batch.create", "/rounds"),
    "rounds.save_rows": ("batch.create", "/rounds/{round_a}/batches"),
    "rounds.save_result": ("result.create", "/rounds/{round_a}/results"),
    "imports.preview": ("import.create", "/imports/preview"),
    "imports.upload": ("import.create", "/imports/upload"),
    "imports.commit": ("import.create", "/imports/commit"),
    "jobs.monthly_report": ("report.read", "/jobs/monthly-report"),
    "batches.decide": ("batch.change_review", "/batches/changes/999"),
    "events.edit": ("event.manage", "/events/new"),
    "notifications.read": ("batch.read", "/notifications/read"),
    "admin.edit": ("reference.manage", "/admin/sites/new"),
    "admin.load_tree": ("reference.manage", "/admin/orgs/load"),
    "admin.add_override": ("reference.manage", "/admin/items/1/overrides"),
    "admin.delete_override": ("reference.manage", "/admin/items/1/overrides/999/delete"),
    "accounts.login": (PUBLIC, "/login"),
}

# API routes: (permission for the method, method, URL).
API_ROUTES = {
    ("api_sites.Sites", "GET"): ("batch.read", "/api/v1/sites"),
    ("api_sites.Sites", "POST"): ("reference.manage", "/api/v1/sites"),
    ("api_sites.SiteResource", "GET"): ("batch.read", "/api/v1/sites/MA"),
    ("api_sites.SiteResource", "PATCH"): ("reference.manage", "/api/v1/sites/MA"),
    ("api_sites.Stalls", "GET"): ("batch.read", "/api/v1/sites/MA/stalls"),
    ("api_sites.Stalls", "POST"): ("reference.manage", "/api/v1/sites/MA/stalls"),
    ("api_sites.StallResource", "GET"): ("batch.read", "/api/v1/sites/MA/stalls/A-01"),
    ("api_sites.StallResource", "PATCH"): ("reference.manage", "/api/v1/sites/MA/stalls/A-01"),
    ("api_orgs.Orgs", "GET"): ("batch.read", "/api/v1/orgs"),
    ("api_orgs.Orgs", "POST"): ("reference.manage", "/api/v1/orgs"),
    ("api_orgs.OrgResource", "GET"): ("batch.read", None),  # needs an organisation: tests/web/test_api_orgs.py
    ("api_orgs.OrgResource", "PATCH"): ("reference.manage", None),  # tests/web/test_api_orgs.py
    ("api_stations.Stations", "GET"): ("batch.read", "/api/v1/stations"),
    ("api_stations.Stations", "POST"): ("reference.manage", "/api/v1/stations"),
    ("api_stations.StationResource", "GET"): ("batch.read", None),  # tests/web/test_api_orgs.py
    ("api_stations.StationResource", "PATCH"): ("reference.manage", None),  # tests/web/test_api_orgs.py
    ("api_reagent_lots.ReagentLots", "GET"): ("batch.read", "/api/v1/reagent-lots"),
    ("api_reagent_lots.ReagentLots", "POST"): ("reference.manage", "/api/v1/reagent-lots"),
    ("api_reagent_lots.ReagentLotResource", "GET"): ("batch.read", "/api/v1/reagent-lots/{lot}"),
    ("api_reagent_lots.ReagentLotResource", "PATCH"): ("reference.manage", "/api/v1/reagent-lots/{lot}"),
    ("api_batches.Batches", "GET"): ("batch.read", "/api/v1/batches"),
    ("api_batches.Batches", "POST"): ("batch.create", "/api/v1/batches"),
    ("api_batches.BatchResource", "GET"): ("batch.read", "/api/v1/batches/{batch_a}"),
    ("api_batches.BatchResource", "PATCH"): ("batch.correct", "/api/v1/batches/{batch_a}"),
    ("api_batches.BatchVoid", "POST"): ("batch.void", "/api/v1/batches/{batch_a}/void"),
    ("api_batches.BatchChangeDecision", "POST"): ("batch.change_review", None),  # needs a pending change: tests/web/test_batch_corrections.py
    ("api_batches.BatchResults", "POST"): ("result.create", "/api/v1/batches/{batch_a}/results"),
    ("api_batches.BatchReview", "POST"): ("result.review", "/api/v1/batches/{batch_a}/review"),
    ("api_batches.BatchNotify", "POST"): ("disposition.notify", "/api/v1/batches/{batch_a}/notify"),
    ("api_batches.BatchObjection", "POST"): ("disposition.objection", "/api/v1/batches/{batch_a}/objection"),
    ("api_batches.BatchLabResult", "POST"): ("disposition.lab_result", "/api/v1/batches/{batch_a}/lab-result"),
    ("api_batches.BatchDisposals", "POST"): ("disposition.disposal", "/api/v1/batches/{batch_a}/disposals"),
    ("api_batches.BatchRegulator", "POST"): ("disposition.inform_regulator", "/api/v1/batches/{batch_a}/regulator"),
    ("api_imports.Imports", "POST"): ("import.create", "/api/v1/imports"),
    ("api_jobs.JobResource", "GET"): ("report.read", None),  # needs a job: tests/jobs/test_api_import_jobs.py
    ("api_reports.MonthlyReport", "GET"): ("report.read", "/api/v1/reports/monthly.pdf?month={month}"),
    ("api_reports.BatchReport", "GET"): ("report.read", "/api/v1/batches/{batch_a}/report.pdf"),
}


@pytest.fixture
def world(app, make_site, make_stall, make_user, make_lot, ctx, monkeypatch):
    # This world's stations name no organisation: the monthly report needs its issuing body set.
    monkeypatch.setitem(app.config, "REPORT_ISSUER", "测试区市场监督管理局")
    w = build_world(make_site, make_stall, make_user)
    w.lot = make_lot("CLB")
    return w


def fill(template: str, w) -> str:
    from lims.database import utcnow
    from lims.i18n import local_today

    today = local_today(utcnow())
    return template.format(
        batch_a=w.batch_a.code, round_a=w.round_a.id, result_a=w.result_a.id, photo=w.photo.id,
        import_a=w.import_a.id, stall_a=w.stall_a.id, stall_a_public=w.stall_a.public_code, event=w.event.code,
        month=today.strftime("%Y-%m"), today=today.isoformat(), verify_a=verify_token(w.batch_a.code), lot=w.lot.id)


def test_every_route_is_in_the_table(app):
    web = set(GET_ROUTES) | set(POST_ROUTES)
    api = {endpoint for endpoint, _method in API_ROUTES}
    for rule in app.url_map.iter_rules():
        known = rule.endpoint in api if rule.endpoint.startswith("api_") else rule.endpoint in web
        assert known, f"route {rule.rule} ({rule.endpoint}) is not in the access table"
        if rule.endpoint.startswith("api_"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (rule.endpoint, method) in API_ROUTES, f"{method} {rule.rule} is not in the access table"


REDIRECTING = {"home.index": {200, 302}, "accounts.login": {200, 302}}


def _expect_get(endpoint, permission, role):
    if permission == PUBLIC:
        return REDIRECTING.get(endpoint, {200})
    if role is None:
        return {302}
    if permission == LOGIN or can(role, permission):
        return REDIRECTING.get(endpoint, {200})
    return {403}


@pytest.mark.parametrize("role", (None, *ROLES), ids=lambda r: r or "anonymous")
def test_get_routes(client, world, role):
    if role is not None:
        client.login(world.users[role])
    for endpoint, (permission, template) in GET_ROUTES.items():
        if template is None:
            continue
        response = client.get(fill(template, world))
        response.close()  # file responses (static, PDFs) stream from open files
        expected = _expect_get(endpoint, permission, role)
        assert response.status_code in expected, (endpoint, role, response.status_code)
        if response.status_code == 302 and role is None:
            assert "/login" in response.headers["Location"], endpoint


@pytest.mark.parametrize("role", (None, *ROLES), ids=lambda r: r or "anonymous")
def test_post_routes_refuse_the_unauthorised(client, world, role):
    if role is not None:
        client.login(world.users[role])
    for endpoint, (permission, template) in POST_ROUTES.items():
        if permission == PUBLIC:
            continue
        allowed = role is not None and (permission == LOGIN or can(role, permission))
        if allowed:
            continue  # what allowed roles may do is tested with each feature
        token = client.csrf("/login" if role is None else "/notifications/")
        response = client.post(fill(template, world), data={"csrf_token": token})
        assert response.status_code == (302 if role is None else 403), (endpoint, role, response.status_code)


@pytest.mark.parametrize("role", (None, *ROLES), ids=lambda r: r or "anonymous")
def test_api_routes(client, world, api_token, role):
    headers = api_token(world.users[role]) if role else {}
    for (endpoint, method), (permission, template) in API_ROUTES.items():
        if template is None:
            continue
        response = client.open(fill(template, world), method=method, headers=headers, json={})
        if role is None:
            assert response.status_code == 401, (endpoint, method)
            assert response.get_json()["code"] == 401
        elif not can(role, permission):
            assert response.status_code == 403, (endpoint, method, role, response.status_code)
            assert set(response.get_json()) >= {"code", "status", "message"}
        else:
            assert response.status_code not in (401, 403, 404, 500), (endpoint, method, role, response.status_code)


def test_market_manager_sees_only_their_market(client, world, api_token):
    """Every page and API route about another market's objects answers 404."""
    client.login(world.users["market_manager"])
    other = world.batch_b.code
    for path in (f"/batches/{other}", f"/batches/{other}/report.pdf", "/sites/MB", f"/stalls/{world.stall_b.id}",
                 "/reports/monthly.pdf?month=2026-01&site=MB", "/reports/board.pdf?site=MB"):
        assert client.get(path).status_code in (404, 422), path
    listing = client.get("/batches").get_data(as_text=True)
    assert world.batch_a.code in listing and other not in listing
    headers = api_token(world.users["market_manager"])
    for method, path in (("GET", f"/api/v1/batches/{other}"), ("POST", f"/api/v1/batches/{other}/notify"),
                         ("POST", f"/api/v1/batches/{other}/objection"), ("POST", f"/api/v1/batches/{other}/disposals"),
                         ("GET", "/api/v1/sites/MB"), ("GET", "/api/v1/sites/MB/stalls")):
        response = client.open(path, method=method, headers=headers, json={})
        assert response.status_code == 404, (method, path, response.status_code)
    codes = [b["code"] for b in client.get("/api/v1/batches", headers=headers).get_json()]
    assert world.batch_a.code in codes and other not in codes
    sites = [s["code"] for s in client.get("/api/v1/sites", headers=headers).get_json()]
    assert sites == ["MA"]
