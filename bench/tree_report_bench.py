"""A city's monthly report costs little more than one district's (issue 14, Speed).

Builds a city of 3 districts, each with its sites and a month of results (report_bench's
month: ≈1.5 % positive, dispositions closed), and times in the same run, same database:
  (a) the monthly report (PDF) of one district,
  (b) the monthly report of the city (the 3 districts, compared side by side).
Prints the medians and the ratio b/a (target < 2).

Run: .venv/bin/python bench/tree_report_bench.py [--results-per-district N] [--sites-per-district N]"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fresh_app  # noqa: E402
from report_bench import MONTH, fill, pages, world  # noqa: E402


def tree(app, site_ids, districts: int) -> None:
    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.models import Site
    from lims.orgs.services import create_org

    with app.app_context():
        system = Actor(user=None, ip="bench")
        create_org(system, code="CITY", name="基准市", kind="city")
        per = len(site_ids) // districts
        for d in range(districts):
            node = create_org(system, code=f"D{d + 1}", name=f"基准{d + 1}区", kind="district", parent="CITY")
            for site_id in site_ids[d * per:(d + 1) * per]:
                db.session.get(Site, site_id).org_id = node.id
        db.session.commit()


def time_report(app, org: str, runs: int = 3) -> tuple[float, bytes]:
    import sqlalchemy as sa

    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.models import User
    from lims.reporting.monthly import monthly_pdf

    times = []
    with app.test_request_context("/"):
        actor = Actor(db.session.execute(sa.select(User).where(User.username == "bench")).scalar_one(), "bench")
        pdf = monthly_pdf(actor, MONTH, org_code=org)  # warm: fonts, caches
        for _ in range(runs):
            started = time.perf_counter()
            pdf = monthly_pdf(actor, MONTH, org_code=org)
            times.append(time.perf_counter() - started)
            db.session.remove()
    return statistics.median(times), pdf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results-per-district", type=int, default=20_000)
    parser.add_argument("--sites-per-district", type=int, default=15)
    args = parser.parse_args()
    app, _tmp = fresh_app("tree-report")
    site_ids, stalls, items = world(app, 3 * args.sites_per_district)
    tree(app, site_ids, 3)
    start = datetime(2026, 9, 30, 16, 0, tzinfo=timezone.utc)  # 2026-10-01 00:00 local
    fill(app, start, 31, 3 * args.results_per_district, stalls, items, "M")
    a, pdf = time_report(app, "D1")
    print(f"(a) one district: {args.results_per_district} results in {args.sites_per_district} sites: "
          f"median {a:.2f} s ({pages(pdf)} pages)")
    b, pdf = time_report(app, "CITY")
    print(f"(b) the city, 3 such districts compared: median {b:.2f} s ({pages(pdf)} pages)")
    print(f"ratio b/a = {b / a:.2f}  (target < 2)")


if __name__ == "__main__":
    main()
