"""The generic check of issue 10 item 4: every GET route, web and API, with every query
parameter it reads set to a NUL byte, a 30-digit integer, 1e308, year 0001 and year 9999,
answers without a server error.

Which parameters a route reads is not listed by hand (a new one would be missed): each
route is first called once while the request's ``args`` record every name looked up, and
the OpenAPI document adds the API's declared parameters."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import ImmutableMultiDict

BAD_VALUES = ["a\x00b", "9" * 30, "2147483648", "1e308", "0001-01-01", "9999-12-31", "0001-01", "9999-12"]
# Names tried on every route besides those it looks up (found as it runs: a route may read
# a parameter only once another is valid, e.g. a report's site once the month is).
COMMON = ["page", "site", "q", "from", "to", "month", "day"]
SKIP = {"static", "bootstrap.static", "accounts.set_language"}  # /lang: another change owns it


class _Recorder:
    names: set = set()


class TrackingArgs(ImmutableMultiDict):
    def get(self, key, default=None, type=None):
        _Recorder.names.add(key)
        return super().get(key, default, type)

    def __getitem__(self, key):
        _Recorder.names.add(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):
        _Recorder.names.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        _Recorder.names.add(key)
        return super().__contains__(key)


@pytest.fixture
def tracking(app):
    original = app.request_class

    class TrackingRequest(original):
        parameter_storage_class = TrackingArgs

    app.request_class = TrackingRequest
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a server error is counted, not raised
    yield
    app.request_class = original
    app.config["PROPAGATE_EXCEPTIONS"] = None


def _urls(app, w) -> list[tuple[str, str, bool]]:
    """(endpoint, url, is_api) for every GET route, path parts filled from the world."""
    from lims.admin.sections import SECTIONS

    values = {
        "code": {"public.stall": w.stall.public_code, "public.stall_qr": w.stall.public_code,
                 "public.site_board": w.site.code, "public.site_board_pdf": w.site.code,
                 "dashboard.site": w.site.code, "api_sites.SiteResource": w.site.code,
                 "api_sites.Stalls": w.site.code, "api_sites.StallResource": w.site.code},
        "stall": {"api_sites.StallResource": w.stall.code},
        "stall_id": w.stall.id, "lot_id": w.lot.id, "obj_id": w.site.id,
    }
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        keys = [SECTIONS and k for k in SECTIONS] if "key" in rule.arguments else [None]
        for key in keys:
            args = {}
            for name in rule.arguments:
                if name == "key":
                    args[name] = key
                    continue
                v = values.get(name)
                if isinstance(v, dict):
                    v = v.get(rule.endpoint, w.batch.code)
                args[name] = v if v is not None else (1 if "int:" in rule.rule else "x")
            if rule.endpoint == "admin.edit" and key != "sites" and "obj_id" in args:
                continue
            url = rule.build(args, append_unknown=False)[1]
            out.append((rule.endpoint, url, rule.rule.startswith("/api/")))
    return sorted(set(out))


def _openapi_query_names(client, headers) -> dict[str, set]:
    spec = client.get("/api/v1/openapi.json", headers=headers).get_json()
    names: dict[str, set] = {}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "get":
                names[path] = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    return names


def _declared_for(url: str, declared: dict) -> set:
    for path, names in declared.items():
        if url == "/api/v1" + path.split("{")[0].rstrip("/") or (
                "{" in path and url.startswith("/api/v1" + path.split("{")[0])
                and url.count("/") == ("/api/v1" + path).count("/")):
            return names
    return set()


def test_no_get_route_answers_5xx_to_bad_query_values(app, client, db, bad_world, make_lot, tracking):
    w = bad_world
    w.lot = make_lot()
    db.session.commit()
    client.login(w.admin)
    routes = _urls(app, w)
    assert len(routes) > 40, routes
    declared = _openapi_query_names(client, w.headers)
    good = {"site": w.site.code, "month": "2026-11", "day": "2026-11-20", "from": "2026-11-01",
            "to": "2026-11-30", "paper": "A4", "item": "CLB"}
    tried = 0
    failures = []
    names_seen: set = set()
    for endpoint, url, is_api in routes:
        headers = w.headers if is_api else {}
        _Recorder.names = set()
        db.session.commit()
        first = client.get(url, headers=headers)
        assert first.status_code < 500, (url, first.status_code)
        queue = sorted(set(_Recorder.names) | set(COMMON) | _declared_for(url, declared))
        done: set = set()
        while queue:
            name = queue.pop()
            done.add(name)
            for value in BAD_VALUES:
                db.session.commit()
                db.session.expire_all()
                _Recorder.names = set()
                # The other parameters plausible, so that a route reaches the one under test.
                query = {n: good[n] for n in done | set(queue) if n in good and n != name}
                query[name] = value
                r = client.get(url, query_string=query, headers=headers)
                tried += 1
                if r.status_code >= 500:
                    failures.append((url, query, r.status_code))
                queue.extend(n for n in _Recorder.names - done - set(queue))
        names_seen.update((endpoint, n) for n in done)
    assert not failures, failures
    assert tried > 1000, tried
    print(f"{len(routes)} GET routes, {tried} requests with bad query values")
    # The discovery really finds what routes read (a guard against a recorder that sees nothing).
    assert ("batches.index", "supplier") in names_seen and ("reports.board", "paper") in names_seen
    assert ("api_batches.Batches", "outcome") in names_seen
