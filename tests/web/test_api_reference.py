"""The API skeleton: the OpenAPI document, the error shape, token auth, and the sites,
stalls and reagent-lots routes."""
from __future__ import annotations

import sqlalchemy as sa

from lims.models import AuditEntry


def test_openapi_document_lists_every_route(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = set(doc["paths"])
    for path in ("/api/v1/sites", "/api/v1/sites/{code}/stalls", "/api/v1/reagent-lots", "/api/v1/batches",
                 "/api/v1/batches/{code}", "/api/v1/batches/{code}/results", "/api/v1/batches/{code}/review",
                 "/api/v1/batches/{code}/notify", "/api/v1/batches/{code}/objection",
                 "/api/v1/batches/{code}/lab-result", "/api/v1/batches/{code}/disposals", "/api/v1/imports",
                 "/api/v1/reports/monthly.pdf", "/api/v1/batches/{code}/report.pdf"):
        assert path in paths, path
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_token_auth(client, make_user, api_token):
    r = client.get("/api/v1/sites")
    assert r.status_code == 401 and r.get_json() == {**r.get_json(), "code": 401, "status": "Unauthorized"}
    assert "Bearer" in r.headers["WWW-Authenticate"]
    assert client.get("/api/v1/sites", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    user = make_user("technician")
    assert client.get("/api/v1/sites", headers=api_token(user)).status_code == 200


def test_tokens_are_stored_hashed_and_die_with_the_user(app, client, make_user, db, ctx, system_actor):
    from lims.accounts.services import create_token, update_user
    from lims.models import ApiToken

    user = make_user("technician")
    token = create_token(system_actor, user, "agent")
    stored = db.session.execute(sa.select(ApiToken.token_hash).where(ApiToken.user_id == user.id)).scalar_one()
    assert token not in stored and len(stored) == 64
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/sites", headers=headers).status_code == 200
    update_user(system_actor, user, display_name="x", role="technician", active=False)
    assert client.get("/api/v1/sites", headers=headers).status_code == 401


def test_create_site_and_stall_and_the_public_url(client, make_user, api_token, db):
    headers = api_token(make_user("admin"))
    r = client.post("/api/v1/sites", headers=headers, json={"code": "ZJ-1", "name": "之江市场", "kind": "market",
                                                            "district": "西湖区", "address": "之江路 1 号"})
    assert r.status_code == 201 and r.get_json()["code"] == "ZJ-1"
    r = client.post("/api/v1/sites/ZJ-1/stalls", headers=headers, json={"code": "c-3", "operator": "赵六",
                                                                         "phone": "13800000000", "licence": "X1"})
    body = r.get_json()
    assert r.status_code == 201 and body["code"] == "C-3" and body["public_url"].endswith(f"/public/stalls/{body['public_code']}")
    assert client.get(body["public_url"].replace("http://localhost", "")).status_code == 200
    assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action.in_(("site.create", "stall.create")))).scalar_one() == 2


def test_bad_input_gets_the_error_shape(client, make_user, api_token):
    headers = api_token(make_user("admin"))
    r = client.post("/api/v1/sites", headers=headers, json={"code": "bad code!", "kind": "spaceship"})
    body = r.get_json()
    assert r.status_code == 422
    assert set(body) == {"code", "status", "message", "errors"}
    assert {"code", "name", "kind"} <= set(body["errors"])
    client.post("/api/v1/sites", headers=headers, json={"code": "D1", "name": "甲", "kind": "market"})
    r = client.post("/api/v1/sites", headers=headers, json={"code": "D1", "name": "乙", "kind": "market"})
    assert r.status_code == 409 and "code" in r.get_json()["errors"]
    assert client.get("/api/v1/sites/NOPE", headers=headers).status_code == 404


def test_reagent_lots(client, make_user, api_token):
    headers = api_token(make_user("admin"))
    r = client.post("/api/v1/reagent-lots", headers=headers, json={
        "item": "CLB", "lot": "KJ-2611-01", "maker": "某生物", "expires_on": "2027-05-01", "mode": "ratio",
        "c_min": 0.1, "a": 0.5, "b": 0.8})
    lot = r.get_json()
    assert r.status_code == 201 and lot["a"] == 0.5 and lot["item"] == "CLB"
    assert client.post("/api/v1/reagent-lots", headers=headers, json={
        "item": "NOPE", "lot": "x", "expires_on": "2027-01-01"}).status_code == 422
    assert client.post("/api/v1/reagent-lots", headers=headers, json={
        "item": "CLB", "lot": "y", "expires_on": "2027-01-01", "a": 0.9, "b": 0.2}).status_code == 422
    assert client.post("/api/v1/reagent-lots", headers=headers, json={
        "item": "NO2", "lot": "z", "expires_on": "2027-01-01", "a": 0.1, "b": 0.2}).status_code == 422
    r = client.patch(f"/api/v1/reagent-lots/{lot['id']}", headers=headers, json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    listed = client.get("/api/v1/reagent-lots?item=CLB", headers=headers).get_json()
    assert [x["lot"] for x in listed] == ["KJ-2611-01"]
