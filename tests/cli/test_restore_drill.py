"""The restore drill, on the database the suite runs on (SQLite, or PostgreSQL in CI): a backup
taken while results are being written → `lims restore` into an empty database and data directory
of a system with another SECRET_KEY (the same LIMS_AUDIT_KEY) → the audit trail verifies, the
counts are those of a moment of the backup, photos and original files are served, and the QR codes
printed before still verify. A restore into anything non-empty is refused and changes nothing."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import Client, make_test_app, scratch_database
from tests.live import dispose, live_app

pytestmark = [pytest.mark.live]

AUDIT_KEY = "drill-audit-key-6d1f0c2b9a7e4d35"
TABLES = ("batches", "results", "dispositions", "disposal_actions", "photos", "imports", "audit_entries", "users")


def _counts(app) -> dict:
    from lims.extensions import db

    with app.app_context():
        counts = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
        db.session.remove()
    return counts


def _build(app, make_site, make_stall, make_user):
    from tests.web.world import build_world

    from lims.extensions import db
    from lims.reporting.common import verify_token

    with app.test_request_context("/"):
        world = build_world(make_site, make_stall, make_user)
        db.session.commit()
        info = {"photo": world.photo.id, "import": world.import_a.id, "code": world.batch_a.code,
                "token": verify_token(world.batch_a.code), "admin": world.users["admin"].username,
                "site": world.site_a.id, "stall": world.stall_a.id, "tech": world.users["technician"].id}
        db.session.remove()
    return info


def _load(app, info, stop: threading.Event, written: list):
    """Results being written while the backup runs: batches with a result each, committed one by one."""
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result

    with app.test_request_context("/"):
        tech = Actor(db.session.get(User, info["tech"]), "load")
        site, stall = db.session.get(Site, info["site"]), db.session.get(Stall, info["stall"])
        while not stop.is_set() or len(written) < 3:
            now = utcnow()
            batch = register_batch(tech, BatchInput(site=site, stall=stall, food="青菜", sampled_at=now - timedelta(hours=1),
                                                    tests=[get_item("OPC")], quantity_kg=Decimal("5")), now=now)
            record_result(tech, batch, ResultInput(item=get_item("OPC"), tested_at=now - timedelta(minutes=30),
                                                   value=Decimal("12.5")), now=now)
            db.session.commit()
            written.append(batch.code)
        db.session.remove()


def test_backup_under_load_restores_elsewhere_and_verifies(tmp_path, tmp_path_factory, worker_id, make_site,
                                                           make_stall, make_user):
    from tests.web.world import jpeg_bytes

    source = live_app(tmp_path_factory, worker_id, "drill_src", AUDIT_KEY=AUDIT_KEY)
    info = _build(source, make_site, make_stall, make_user)
    before = _counts(source)

    stop, written, errors = threading.Event(), [], []

    def load():
        try:
            _load(source, info, stop, written)
        except Exception as exc:  # reported below: a failed writer must fail the drill
            errors.append(exc)

    writer = threading.Thread(target=load)
    writer.start()
    try:
        while len(written) < 2 and writer.is_alive():
            threading.Event().wait(0.05)
        archive = tmp_path / "backup.tar.gz"
        made = source.test_cli_runner().invoke(args=["lims", "backup", "--out", str(archive)])
    finally:
        stop.set()
        writer.join(timeout=120)
    assert not errors, errors
    assert made.exit_code == 0, made.output
    after = _counts(source)
    assert after["batches"] > before["batches"]

    target_url = scratch_database(tmp_path_factory, worker_id, "drill_dst")
    target = make_test_app(target_url, tmp_path / "restored-data", SECRET_KEY="a-new-secret-for-the-new-server",
                           AUDIT_KEY=AUDIT_KEY)
    done = target.test_cli_runner().invoke(args=["lims", "restore", str(archive)])
    assert done.exit_code == 0, done.output
    assert "audit trail intact" in done.output
    assert target.test_cli_runner().invoke(args=["lims", "audit", "verify"]).exit_code == 0

    restored = _counts(target)
    for table in TABLES:
        assert before[table] <= restored[table] <= after[table], (table, before, restored, after)
    assert restored["batches"] - before["batches"] == restored["results"] - before["results"]  # whole commits

    client = Client(target.test_client())
    from lims.extensions import db
    from lims.models import User

    with target.app_context():
        admin = db.session.execute(sa.select(User).where(User.username == info["admin"])).scalar_one()
        db.session.expunge(admin)
        db.session.remove()
    client.login(admin)
    photo = client.get(f"/photos/{info['photo']}")
    assert photo.status_code == 200 and photo.data[:2] == jpeg_bytes()[:2]
    photo.close()
    original = client.get(f"/imports/{info['import']}/file")
    assert original.status_code == 200 and "通道号" in original.data.decode("utf-8")
    original.close()
    # The QR code printed by the old system (another SECRET_KEY) verifies on the restored one.
    assert client.get(f"/public/verify/{info['code']}/{info['token']}").status_code == 200

    # A second restore into the now non-empty system is refused and changes nothing.
    again = target.test_cli_runner().invoke(args=["lims", "restore", str(archive)])
    assert again.exit_code == 1 and "not empty" in again.output
    assert _counts(target) == restored
    dispose(source)
    dispose(target)


def test_restore_refuses_a_non_empty_data_dir_or_a_file_that_is_no_backup(tmp_path, tmp_path_factory, worker_id):
    url = scratch_database(tmp_path_factory, worker_id, "drill_refuse")
    data = tmp_path / "data"
    data.mkdir()
    (data / "something.txt").write_text("kept")
    target = make_test_app(url, data, AUDIT_KEY=AUDIT_KEY)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    r = target.test_cli_runner().invoke(args=["lims", "restore", str(junk)])
    assert r.exit_code == 1 and "not empty" in r.output
    (data / "something.txt").unlink()
    r = target.test_cli_runner().invoke(args=["lims", "restore", str(junk)])
    assert r.exit_code == 1 and "not a readable backup archive" in r.output
    from lims.extensions import db

    with target.app_context():
        assert not sa.inspect(db.engine).get_table_names()
    dispose(target)
