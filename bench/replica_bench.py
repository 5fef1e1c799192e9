"""Reports on the replica vs the primary while imports write (issue 15, reads that compete with writes).

Starts a PostgreSQL primary and a streaming replica of its own (``tests/pg_cluster.py``: initdb,
``pg_basebackup -R``), fills a month of results for the monthly report (untimed), then in one run:

- (w0) a ``lims import`` of an N-row pesticide file, alone (a process of its own, the CLI);
- (r0p, r0r) the district's monthly report PDF alone, on the primary and on the replica;
- (p) an import like w0 while this process makes monthly reports on the primary without pause:
  the import's time and the reports' median;
- (r) the same with the reports read from the replica (``LIMS_DATABASE_REPLICA_URL``), and the
  largest lag a report printed.

Everything runs on this one machine, so primary, replica, importer and reports share its cores:
the replica takes the reports' reads off the primary's server process, not off the machine.

Run: .venv/bin/python bench/replica_bench.py [--month-results N] [--import-rows N] [--reports-alone N]"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT  # noqa: E402
from report_bench import MONTH, fill, world  # noqa: E402

T0 = datetime(2026, 10, 20, 1, 0, tzinfo=timezone.utc)


def seed_writer(app, tag: str, rows: int) -> None:
    """``rows`` registered batches for OPC that the import file ``tag`` tests."""
    import sqlalchemy as sa

    from lims.extensions import db
    from lims.models import Batch, Site, batch_tests
    from lims.reference.services import get_item

    with app.app_context():
        site = db.session.execute(sa.select(Site).order_by(Site.id).limit(1)).scalar_one()
        ids = db.session.execute(sa.insert(Batch).returning(Batch.id), [
            {"code": f"{tag}-{n:06d}", "site_id": site.id, "food": "青菜", "sampled_at": T0 - timedelta(hours=2),
             "status": "registered", "row_version": 1} for n in range(rows)]).scalars().all()
        opc = get_item("OPC").id
        db.session.execute(batch_tests.insert(), [{"batch_id": i, "item_id": opc} for i in ids])
        db.session.commit()


def writer_file(tmp: Path, tag: str, rows: int) -> Path:
    lines = ["通道号,样品编号,样品名称,被检单位,检测项目,检测结果,单位,检测依据,标准值,结论,检测员,检测时间"]
    for n in range(rows):
        value = (n * 37) % 450 / 10
        at = (T0 + timedelta(seconds=n)).astimezone(timezone(timedelta(hours=8)))
        lines.append(f"{n % 12 + 1},{tag}-{n:06d},青菜,基准市场00 A-00,农药残留,{value:.1f},%,GB/T 5009.199-2003,50,合格,"
                     f"王丽,{at:%Y-%m-%d %H:%M:%S}")
    path = tmp / f"{tag}.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path


def run_import(url: str, data_dir: str, path: Path) -> float:
    env = dict(os.environ, LIMS_DATABASE_URL=url, LIMS_DATA_DIR=data_dir, LIMS_SECRET_KEY="bench",
               LIMS_AUDIT_KEY_DEV="1", LIMS_JOBS_MODE="now", LIMS_IMPORT_MAX_ROWS="500000", LIMS_UNBOUND_STAFF_SEE_ALL="1")
    env.pop("LIMS_DATABASE_REPLICA_URL", None)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "lims", "import", str(path), "--user", "bench"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
    return took


def report_once(app) -> tuple[float, int | None]:
    import sqlalchemy as sa

    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.models import User
    from lims.replica import read_session
    from lims.reporting.common import font, report_text
    from lims.reporting.monthly import build_monthly
    from reports.pdf.monthly_report import render_monthly_report

    with app.test_request_context("/"):
        actor = Actor(db.session.execute(sa.select(User).where(User.username == "bench")).scalar_one(), "bench")
        started = time.perf_counter()
        with read_session() as source:  # what monthly_pdf does, keeping the source to print its lag
            render_monthly_report(build_monthly(actor, MONTH, None, source), report_text(), font=font())
        took = time.perf_counter() - started
        db.session.remove()
    return took, source.lag_seconds if source is not None else None


def reports_while(app, writer) -> tuple[list[float], list[int]]:
    """Monthly reports one after another for as long as ``writer`` (a thread) runs."""
    times, lags = [], []
    while writer.is_alive():
        took, lag = report_once(app)
        times.append(took)
        if lag is not None:
            lags.append(lag)
    return times, lags


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--month-results", type=int, default=50_000)
    parser.add_argument("--import-rows", type=int, default=30_000)
    parser.add_argument("--reports-alone", type=int, default=3)
    args = parser.parse_args()
    import sqlalchemy as sa

    from lims import create_app
    from tests.conftest import migrate_and_load
    from tests.pg_cluster import Cluster, missing, wait_caught_up

    reason = missing()
    if reason:
        sys.exit(reason)
    cluster = Cluster()
    try:
        cluster.start()
        admin = sa.create_engine(cluster.url(cluster.primary_port), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql('CREATE DATABASE "lims_bench_replica"')
        admin.dispose()
        primary_url = cluster.url(cluster.primary_port, "lims_bench_replica")
        replica_url = cluster.url(cluster.replica_port, "lims_bench_replica")
        tmp = Path(tempfile.mkdtemp(prefix="lims-bench-replica-"))
        config = {"TESTING": True, "DATABASE_URL": primary_url, "DATA_DIR": str(tmp / "data"), "SECRET_KEY": "bench",
                  "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "REPORT_ISSUER": "基准区市场监督管理局"}
        on_primary = create_app(config)
        on_replica = create_app({**config, "DATABASE_REPLICA_URL": replica_url})
        migrate_and_load(on_primary)
        _sites, stalls, items = world(on_primary, 50)
        fill(on_primary, datetime(2026, 9, 30, 16, 0, tzinfo=timezone.utc), 31, args.month_results, stalls, items, "M")
        for tag in ("W0", "WP", "WR"):
            seed_writer(on_primary, tag, args.import_rows)
        files = {tag: writer_file(tmp, tag, args.import_rows) for tag in ("W0", "WP", "WR")}
        raw = sa.create_engine(primary_url, isolation_level="AUTOCOMMIT")
        with raw.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        raw.dispose()
        wait_caught_up(cluster, timeout=300)
        print(f"month: {args.month_results} results in 50 sites; each import: {args.import_rows} rows (untimed set-up)")

        w0 = run_import(primary_url, config["DATA_DIR"], files["W0"])
        print(f"(w0) import alone: {w0:.2f} s ({args.import_rows / w0:.0f} rows/s, process start included)")
        wait_caught_up(cluster, timeout=300)
        report_once(on_primary)  # warm: fonts, caches
        r0p = statistics.median(report_once(on_primary)[0] for _ in range(args.reports_alone))
        r0r = statistics.median(report_once(on_replica)[0] for _ in range(args.reports_alone))
        print(f"(r0) monthly report alone: primary {r0p:.2f} s, replica {r0r:.2f} s (medians of {args.reports_alone})")

        for name, app, tag in (("p", on_primary, "WP"), ("r", on_replica, "WR")):
            result = {}
            writer = threading.Thread(target=lambda: result.update(
                took=run_import(primary_url, config["DATA_DIR"], files[tag])))
            writer.start()
            times, lags = reports_while(app, writer)
            writer.join()
            where = "primary" if name == "p" else "replica"
            print(f"({name}) import while reports read the {where}: {result['took']:.2f} s "
                  f"(×{result['took'] / w0:.2f} of alone); {len(times)} reports, median {statistics.median(times):.2f} s "
                  f"(×{statistics.median(times) / (r0p if name == 'p' else r0r):.2f} of alone)"
                  + (f"; largest lag printed {max(lags)} s" if lags else ""))
            wait_caught_up(cluster, timeout=300)
        for app in (on_primary, on_replica):
            with app.app_context():
                from lims import replica
                from lims.extensions import db

                replica.dispose()
                db.engine.dispose()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
