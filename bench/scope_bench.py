"""Scope must not cost (issue 14): the same pages, timed for the deployment's administrator
(no scope) and for people bound in the organisation tree.

Builds 30 markets over 3 districts of one city (10 each), a room per market and a van per
district, and a month of results (default 150,000, untimed; as report_bench.fill). Then, with
the Flask test client in one process (no network, page cache off), times each page's median
over ``--runs`` requests for:
  - ``admin``: the unbound administrator — no scope at all (the baseline),
  - ``city``: the city's regulator — scoped, every site (the filter's pure cost),
  - ``district``: a district's regulator — scoped, a third of the sites,
  - ``tech``: a technician bound to one district's stations.
Prints each page's median per user and the ratios of ``city`` and ``district`` to the baseline.
Target: within 10 % of ``admin`` (the city: the same rows, only the scope's filter added; the
district: a third of them — its lists are counted only up to lims.listing.COUNT_CAP — and so
other rows than the administrator's newest; the "one market" pages show everyone the same rows
of one of the district's markets: the scope's own cost alone).

Run: .venv/bin/python bench/scope_bench.py [--results N] [--runs N]"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fresh_app  # noqa: E402
from report_bench import fill  # noqa: E402

PASSWORD = "x" * 10
ITEMS = ("OPC", "CLB", "RAC", "MG", "NF", "NO2", "SO2", "HCHO", "CAP", "ENR")


def world(app, per_district: int = 10):
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.models import Site, Stall, Station, Supplier, TestItem, User
    from lims.orgs.services import create_org

    system = Actor(user=None, ip="bench")
    with app.app_context():
        city = create_org(system, code="C", name="基准市", kind="city")
        districts = [create_org(system, code=f"D{d}", name=f"基准{d}区", kind="district", parent="C") for d in range(3)]
        labs = [create_org(system, code=f"L{d}", name=f"基准{d}区快检中心", kind="testing", parent=f"D{d}")
                for d in range(3)]
        sites, stations = [], []
        for d, district in enumerate(districts):
            for n in range(per_district):
                site = Site(code=f"S{d}{n:02d}", name=f"基准市场{d}{n:02d}", kind="market", district=district.name,
                            planned_monthly_batches=900, org_id=district.id)
                db.session.add(site)
                sites.append(site)
        db.session.flush()
        for d in range(3):
            mine = [s for s in sites if s.org_id == districts[d].id]
            for s in mine:
                room = Station(code=f"R{s.code}", name=f"快检室{s.code}", kind="room", site_id=s.id, org_id=labs[d].id)
                room.sites = [s]
                stations.append(room)
            van = Station(code=f"V{d}", name=f"快检车{d}", kind="van", org_id=labs[d].id)
            van.sites = mine
            stations.append(van)
        db.session.add_all(stations)
        stalls = [Stall(site_id=s.id, code=f"A-{k:02d}", operator=f"经营户{k}", public_code=f"b{s.id:03d}{k:05d}")
                  for s in sites for k in range(20)]
        db.session.add_all(stalls)
        db.session.add_all([Supplier(name=f"供货商{n}") for n in range(30)])
        pw = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        users = {"admin": User(username="admin_b", display_name="管理员", role="admin", password_hash=pw),
                 "city": User(username="city_b", display_name="市监管", role="regulator", password_hash=pw),
                 "district": User(username="district_b", display_name="区监管", role="regulator", password_hash=pw),
                 "tech": User(username="tech_b", display_name="检测员", role="technician", password_hash=pw)}
        users["city"].orgs = [city]
        users["district"].orgs = [districts[0]]
        users["tech"].stations = [s for s in stations if s.org_id == labs[0].id]
        db.session.add_all(users.values())
        db.session.commit()
        items = dict(db.session.execute(sa.select(TestItem.code, TestItem.id)).all())
        return {k: u.username for k, u in users.items()}, [(st.id, st.site_id) for st in stalls], \
            [items[c] for c in ITEMS]


def login(client, username: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.status_code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    app, _tmp = fresh_app("scope")
    app.config["PAGE_CACHE_BYTES"] = 0
    app.config["UNBOUND_STAFF_SEE_ALL"] = False
    users, stalls, items = world(app)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    fill(app, now - timedelta(days=30), 30, args.results, stalls, items, "B")
    print(f"{args.results} results over 30 markets in 3 districts loaded in {time.perf_counter() - started:.0f} s")
    with app.app_context():
        import sqlalchemy as sa

        from lims.extensions import db
        from lims.models import Site

        one_market_id = db.session.execute(sa.select(Site.id).where(Site.code == "S000")).scalar_one()
    pages = {"batch list": "/batches", "batch list, positives": "/batches?outcome=positive",
             "dashboard": "/dashboard", "positives": "/positives", "rounds": "/rounds",
             "API batches": "/api/v1/batches", "monthly report page": "/reports",
             "home": "/",
             # The same rows for everyone (a market of the district): the scope's own cost alone.
             "batch list, one market": f"/batches?site={one_market_id}",
             "API batches, one market": "/api/v1/batches?site=S000"}
    tokens = {}
    with app.app_context():
        import sqlalchemy as sa

        from lims.accounts.access import Actor
        from lims.accounts.services import create_token
        from lims.extensions import db
        from lims.models import User

        for who, username in users.items():
            user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
            tokens[who] = {"Authorization": f"Bearer {create_token(Actor(user=None, ip='bench'), user, 'bench')}"}
        db.session.commit()
    clients = {}
    for who, username in users.items():
        clients[who] = app.test_client()
        login(clients[who], username)
    medians: dict[str, dict[str, float]] = {who: {} for who in users}
    for name, path in pages.items():
        # The users take turns request by request, so that a busy machine weighs on all alike.
        times: dict[str, list[float]] = {}
        for who, client in clients.items():
            headers = tokens[who] if path.startswith("/api/") else {}
            r = client.get(path, headers=headers)  # warm
            if r.status_code == 200:
                times[who] = []
        for _ in range(args.runs):
            for who in times:
                headers = tokens[who] if path.startswith("/api/") else {}
                t = time.perf_counter()
                clients[who].get(path, headers=headers).close()
                times[who].append(time.perf_counter() - t)
        for who, ts in times.items():
            medians[who][name] = statistics.median(ts) * 1000
    print(f"{'page':26s}" + "".join(f"{w:>12s}" for w in users) + "   city/admin  district/admin")
    for name in pages:
        row = "".join(f"{medians[w].get(name, float('nan')):10.1f}ms" for w in users)
        base = medians["admin"].get(name)
        ratios = "".join(f"{medians[w][name] / base:12.2f}" if base and name in medians[w] else f"{'—':>12s}"
                         for w in ("city", "district"))
        print(f"{name:26s}{row} {ratios}")


if __name__ == "__main__":
    main()
