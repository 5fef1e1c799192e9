"""The ``lims`` command group of interfaces.md."""
from __future__ import annotations

import tarfile

import pytest

import sqlalchemy as sa

from lims.models import ApiToken, Batch, FoodCategory, TestItem, User


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["lims", *args], input=input)


@pytest.mark.live  # migrations take their own connection: no surrounding test transaction
def test_init_twice_changes_nothing(app, db):
    def counts():
        with app.app_context():
            return [db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
                    for m in (TestItem, FoodCategory)]

    before = counts()
    result = run(app, "init")
    assert result.exit_code == 0, result.output
    assert "0 categories, 0 test items, 0 foods" in result.output
    assert counts() == before and before[0] >= 22


def test_reference_data_keeps_admin_edits(app, db):
    from lims.reference.loader import load_reference_data

    item = db.session.execute(sa.select(TestItem).where(TestItem.code == "CLB")).scalar_one()
    item.verified = True
    db.session.flush()
    load_reference_data()
    db.session.refresh(item)
    assert item.verified is True
    verified = dict(db.session.execute(sa.select(TestItem.code, TestItem.verified)).all())
    assert verified["OPC"] is True and verified["CBF"] is False  # [verify] rows ship unverified


def test_user_add(app, db, make_site):
    make_site(code="U1")
    r = run(app, "user", "add", "newtech", "--role", "technician", "--password-stdin", input="long password 1\n")
    assert r.exit_code == 0, r.output
    assert db.session.execute(sa.select(User).where(User.username == "newtech")).scalar_one().role == "technician"
    r = run(app, "user", "add", "newtech", "--role", "technician", "--password-stdin", input="long password 1\n")
    assert r.exit_code == 1
    r = run(app, "user", "add", "mgr", "--role", "market_manager", "--password-stdin", input="long password 1\n")
    assert r.exit_code == 1  # a market manager needs a site
    r = run(app, "user", "add", "mgr", "--role", "market_manager", "--site", "U1", "--password-stdin",
            input="long password 1\n")
    assert r.exit_code == 0, r.output
    r = run(app, "user", "add", "short", "--role", "technician", "--password-stdin", input="short\n")
    assert r.exit_code == 1
    r = run(app, "user", "add", "x", "--role", "emperor", "--password-stdin", input="long password 1\n")
    assert r.exit_code != 0


def test_token_add_prints_a_working_token_once(app, client, make_user, db):
    user = make_user("reviewer")
    r = run(app, "token", "add", user.username)
    token = r.output.strip()
    assert r.exit_code == 0 and token.startswith("lims_")
    stored = db.session.execute(sa.select(ApiToken.token_hash).where(ApiToken.user_id == user.id)).scalar_one()
    assert token not in stored
    assert client.get("/api/v1/batches", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert run(app, "token", "add", "nobody").exit_code == 1


def test_demo_builds_a_district_once(app, db):
    r = run(app, "demo", "--months", "1", "--seed", "7")
    assert r.exit_code == 0, r.output
    batches = db.session.execute(sa.select(sa.func.count(Batch.id))).scalar_one()
    assert batches > 1000
    from lims.models import Disposition, Site

    sites = set(db.session.execute(sa.select(Site.name)).scalars())
    assert {"城东综合市场", "城北农贸市场", "下沙综合市场", "大自然市场", "新农都水产市场"} <= sites
    statuses = set(db.session.execute(sa.select(Disposition.status)).scalars())
    assert {"stopped", "disputed", "released", "disposed"} <= statuses
    r = run(app, "demo", "--if-empty")
    assert "nothing to do" in r.output
    assert db.session.execute(sa.select(sa.func.count(Batch.id))).scalar_one() == batches
    verified = run(app, "audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_backup_has_the_database_and_files(app, tmp_path):
    out = tmp_path / "backup.tar.gz"
    r = run(app, "backup", "--out", str(out))
    assert r.exit_code == 0, r.output
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert "manifest.json" in names
    assert any(n.startswith("database.") for n in names)
