"""Monthly report cost follows the month, not the history (issue: reports).

Builds a month of 50,000 results across 50 sites and times the monthly report
  (a) with no other history, then — in the same run, same database —
  (b) after adding 1,000,000 results in the eleven months before it.
Prints the medians, the ratio b/a (target ≤ 1.3), whether (a) is under 5 s, and the batch
test report's time (target under 0.2 s).

Run: .venv/bin/python bench/report_bench.py [--month-results N] [--history N]"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fresh_app  # noqa: E402

MONTH = date(2026, 10, 1)
ITEMS = ("OPC", "CLB", "RAC", "MG", "NF", "NO2", "SO2", "HCHO", "CAP", "ENR")


def world(app, sites: int):
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from lims.extensions import db
    from lims.models import Site, Stall, Station, Supplier, TestItem, User

    with app.app_context():
        rows = [Site(code=f"S{n:02d}", name=f"基准市场{n:02d}", kind="market", district="基准区",
                     planned_monthly_batches=900) for n in range(sites)]
        db.session.add_all(rows)
        db.session.flush()
        stalls = [Stall(site_id=s.id, code=f"A-{k:02d}", operator=f"经营户{k}", public_code=f"b{s.id:03d}{k:05d}")
                  for s in rows for k in range(20)]
        db.session.add_all(stalls)
        db.session.add_all([Station(code=f"ST{n}", name=f"快检室{n}", kind="room") for n in range(5)])
        db.session.add_all([Supplier(name=f"供货商{n}") for n in range(30)])
        db.session.add(User(username="bench", display_name="基准", role="admin",
                            password_hash=generate_password_hash("x" * 10, method="pbkdf2:sha256:1000")))
        db.session.commit()
        items = dict(db.session.execute(sa.select(TestItem.code, TestItem.id)).all())
        return [s.id for s in rows], [(st.id, st.site_id) for st in stalls], [items[c] for c in ITEMS]


def fill(app, start: datetime, days: int, n: int, stalls, items, tag: str) -> None:
    """``n`` results (one batch each) spread over ``days`` days from ``start``; ≈1.5 % positive,
    each positive with a disposition closed by destruction. As in real markets, positives come
    from a tenth of the stalls (the repeat offenders), so the black list does not swallow every
    stall once there is history."""
    import sqlalchemy as sa

    from lims.extensions import db
    from lims.models import Batch, DisposalAction, Disposition, Result

    with app.app_context():
        conn = db.session.connection()
        step = days * 86400 / n
        for chunk in range(0, n, 20000):
            size = min(20000, n - chunk)
            batches = []
            for k in range(chunk, chunk + size):
                positive = k % 67 == 0
                stall_id, site_id = stalls[(k // 67 * 10) % len(stalls) if positive else k % len(stalls)]
                at = start + timedelta(seconds=k * step)
                batches.append({"code": f"{tag}-{k:07d}", "site_id": site_id, "stall_id": stall_id, "food": "青菜",
                                "supplier_id": k % 30 + 1, "sampled_at": at, "station_id": k % 5 + 1,
                                "quantity_kg": 10, "status": "disposed" if positive else "passed",
                                "verdict": "positive" if positive else "negative", "row_version": 1, "created_at": at})
            ids = conn.execute(sa.insert(Batch).returning(Batch.id, sort_by_parameter_order=True),
                               batches).scalars().all()
            results, positives = [], []
            for bid, b, k in zip(ids, batches, range(chunk, chunk + size)):
                outcome = "positive" if k % 67 == 0 else ("suspect" if k % 211 == 0 else "negative")
                results.append({"batch_id": bid, "site_id": b["site_id"], "item_id": items[k % len(items)], "version": 1, "current": True,
                                "value": 20, "unit": "%", "outcome": outcome, "disagrees": False,
                                "signal_mismatch": False, "tested_at": b["sampled_at"] + timedelta(minutes=40),
                                "created_at": b["sampled_at"], "reviewed_at": b["sampled_at"] + timedelta(hours=3),
                                "row_version": 1})
                if outcome == "positive":
                    positives.append((bid, b["sampled_at"]))
            conn.execute(Result.__table__.insert(), results)
            if positives:
                dids = conn.execute(sa.insert(Disposition).returning(Disposition.id, sort_by_parameter_order=True), [
                    {"batch_id": bid, "status": "disposed", "opened_at": at + timedelta(hours=1),
                     "notified_at": at + timedelta(hours=1), "objection_deadline": at + timedelta(hours=5),
                     "disposal_due_at": at + timedelta(hours=29), "closed_at": at + timedelta(hours=8),
                     "row_version": 1} for bid, at in positives]).scalars().all()
                conn.execute(DisposalAction.__table__.insert(), [
                    {"disposition_id": did, "action": "destroy", "quantity_kg": 10, "done_at": at + timedelta(hours=8),
                     "created_at": at + timedelta(hours=8)} for did, (_bid, at) in zip(dids, positives)])
        db.session.commit()


def time_monthly(app, runs: int = 3) -> tuple[float, int]:
    import sqlalchemy as sa

    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.models import User
    from lims.reporting.monthly import monthly_pdf

    times = []
    # The issuing body every report needs (no node of a tree issues these sites' report).
    app.config["REPORT_ISSUER"] = app.config.get("REPORT_ISSUER") or "基准区市场监督管理局"
    with app.test_request_context("/"):
        actor = Actor(db.session.execute(sa.select(User).where(User.username == "bench")).scalar_one(), "bench")
        monthly_pdf(actor, MONTH)  # warm: font registration, caches
        for _ in range(runs):
            started = time.perf_counter()
            pdf = monthly_pdf(actor, MONTH)
            times.append(time.perf_counter() - started)
            db.session.remove()
    return statistics.median(times), pdf


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def time_batch_report(app, runs: int = 7) -> float:
    import sqlalchemy as sa

    from lims.extensions import db
    from lims.models import Batch, Disposition
    from lims.reporting.batch import batch_report_pdf

    times = []
    with app.test_request_context("/"):
        code = db.session.execute(sa.select(Batch.code).join(Disposition).limit(1)).scalar_one()
        batch_report_pdf(db.session.execute(sa.select(Batch).where(Batch.code == code)).scalar_one())
        for _ in range(runs):
            started = time.perf_counter()
            batch = db.session.execute(sa.select(Batch).where(Batch.code == code)).scalar_one()
            batch_report_pdf(batch)
            times.append(time.perf_counter() - started)
            db.session.remove()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--month-results", type=int, default=50_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=50)
    args = parser.parse_args()
    app, _tmp = fresh_app("report")
    _sites, stalls, items = world(app, args.sites)
    start = datetime(2026, 9, 30, 16, 0, tzinfo=timezone.utc)  # 2026-10-01 00:00 local
    fill(app, start, 31, args.month_results, stalls, items, "M")
    a, pdf = time_monthly(app)
    print(f"(a) monthly report, {args.month_results} results in {args.sites} sites, no history: "
          f"median {a:.2f} s ({pages(pdf)} pages)  (target < 5 s)")
    t0 = time.perf_counter()
    fill(app, start - timedelta(days=334), 334, args.history, stalls, items, "H")
    print(f"   … added {args.history} results in the eleven months before ({time.perf_counter() - t0:.0f} s, untimed)")
    b, pdf = time_monthly(app)
    print(f"(b) the same month with that history: median {b:.2f} s ({pages(pdf)} pages)")
    print(f"ratio b/a = {b / a:.2f}  (target ≤ 1.3)")
    print(f"batch test report: median {time_batch_report(app) * 1000:.0f} ms  (target < 200 ms)")


if __name__ == "__main__":
    main()
