"""Audit verification at scale (issue 10, item 5).

Builds, untimed and in bulk, ``--results`` results (default 1,000,000) in batches of five as the
importer writes them: each result sealed as it is inserted (from its Python values), each batch
sealed from what is stored, both named in the trail by one keyed entry per chunk of rows. Then
times `lims audit verify`'s work — the keyed chain end to end, then every result, batch,
disposition and reagent lot streamed once, its seal recomputed and its id checked against the rows
the trail names — in a process of its own, and reports its peak memory (it streams: memory must
not grow with the trail beyond one byte per row id).

Run: .venv/bin/python bench/audit_bench.py [--results N] [--database-url URL]"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_app, peak_rss_mb  # noqa: E402

T0 = datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)
PER_BATCH = 5


def build(app, results: int, progress) -> None:
    """Batches and results at the driver, the results sealed as they are inserted, both named in
    the trail through the audit service (name_rows: the importer's path), chunk by chunk."""
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from lims.accounts.access import Actor
    from lims.audit.key import audit_key
    from lims.audit.seal import seal_columns
    from lims.audit.services import name_rows
    from lims.extensions import db
    from lims.models import Batch, Result, Site, Stall, User
    from lims.reference.services import get_item

    with app.app_context():
        site = Site(code="AU", name="审计基准市场", kind="market")
        stall = Stall(site=site, code="A-01", operator="甲", public_code="auditbench")
        user = User(username="bench", display_name="基准", role="technician",
                    password_hash=generate_password_hash("x" * 10, method="pbkdf2:sha256:1000"))
        db.session.add_all([site, stall, user])
        db.session.commit()
        actor = Actor(user=user, ip="bench")
        opc = get_item("OPC").id
        batches = results // PER_BATCH
        chunk = 20_000
        for start in range(0, batches, chunk):
            part = range(start, min(batches, start + chunk))
            ids = db.session.execute(sa.insert(Batch).returning(Batch.id, sort_by_parameter_order=True), [
                {"code": f"AU-{n:07d}", "site_id": site.id, "stall_id": stall.id, "food": "青菜",
                 "quantity_kg": Decimal("5.000"), "sampled_at": T0 + timedelta(seconds=n), "status": "released",
                 "verdict": "negative", "row_version": 1} for n in part]).scalars().all()
            rows = []
            for bid, n in zip(ids, part):
                for k in range(PER_BATCH):
                    at = T0 + timedelta(seconds=n, milliseconds=k)
                    rows.append({"batch_id": bid, "site_id": site.id, "item_id": opc, "version": 1, "current": True,
                                 "value": Decimal(f"{(n * 7 + k) % 450 / 10:.1f}"), "unit": "%", "outcome": "negative",
                                 "disagrees": False, "signal_mismatch": False, "tested_at": at,
                                 "created_at": at, "reviewed_at": at + timedelta(hours=1),
                                 "reviewed_by_id": user.id, "row_version": 1, "record_key": f"AU-{n}-{k}"})
            seals = seal_columns(audit_key(), "result", {c: [r.get(c) for r in rows] for c in rows[0]}, len(rows))
            for r, seal in zip(rows, seals):
                r["seal"] = seal
            rids = db.session.execute(sa.insert(Result).returning(Result.id, sort_by_parameter_order=True),
                                      rows).scalars().all()
            name_rows(actor, "batch", ids, "batch.import_status")
            name_rows(actor, "result", rids, "result.import", sealed=True)
            db.session.commit()
            db.session.expunge_all()
            progress(f"  built {min(batches, start + chunk) * PER_BATCH:,} results")


def verify_child(url: str, data_dir: str) -> None:
    """In a process of its own: time verify(), print JSON."""
    from lims import create_app
    from lims.audit.services import verify

    app = create_app({"TESTING": True, "DATABASE_URL": url, "DATA_DIR": data_dir, "SECRET_KEY": "bench"})
    with app.app_context():
        start_mb = peak_rss_mb()
        t = time.perf_counter()
        result = verify()
        seconds = time.perf_counter() - t
    print(json.dumps({"ok": result.ok, "entries": result.checked, "rows": result.rows, "seconds": seconds,
                      "start_mb": start_mb, "peak_mb": peak_rss_mb(), "problem": result.problem}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        verify_child(*args.child)
        return
    app, tmp = fresh_app("audit", args.database_url)
    t = time.perf_counter()
    build(app, args.results, progress=lambda m: print(m, flush=True))
    print(f"built in {time.perf_counter() - t:.0f} s (untimed)")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    from lims.extensions import db

    with app.app_context():
        db.engine.dispose()
    for run in (1, 2):
        out = subprocess.run([sys.executable, __file__, "--child", url, str(tmp / "data")], capture_output=True,
                             text=True, cwd=ROOT, check=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        print(f"verify run {run}: ok={figures['ok']} {figures['entries']:,} entries, {figures['rows']:,} rows "
              f"reconciled in {figures['seconds']:.1f} s; peak memory {figures['peak_mb']:.0f} MB "
              f"({figures['start_mb']:.0f} MB at start)")


if __name__ == "__main__":
    main()
