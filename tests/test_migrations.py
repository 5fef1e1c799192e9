"""The migrations are the schema: upgraded, the database matches the models exactly (no drift
between ``lims/models`` and ``lims/migrations``); downgraded, nothing is left; upgraded again,
it works, audit guards included — on SQLite and on PostgreSQL alike."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import make_test_app, scratch_database

pytestmark = pytest.mark.xdist_group("migrations")


@pytest.fixture
def fresh_app(tmp_path_factory, worker_id):
    app = make_test_app(scratch_database(tmp_path_factory, worker_id, "migrations"),
                        tmp_path_factory.mktemp("migrations-data"))
    yield app
    from lims.extensions import db

    with app.app_context():
        db.engine.dispose()


def _differences(db) -> list:
    with db.engine.connect() as conn:
        from lims.database import built_on

        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False,
                                                         "include_object": built_on(conn.dialect.name)})
        return compare_metadata(context, db.metadata)


def test_upgrade_gives_the_models_schema_and_downgrade_removes_it(fresh_app):
    from flask_migrate import downgrade, upgrade

    from lims.extensions import db

    with fresh_app.app_context():
        upgrade()
        assert _differences(db) == []
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"batches", "results", "dispositions", "audit_entries", "imports"} <= tables
        downgrade(revision="base")
        db.engine.dispose()
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _differences(db) == []
        _assert_trail_guarded(db)


def _assert_trail_guarded(db) -> None:
    """The append-only guards came back with the second upgrade."""
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_entries (seq, at, action, subject_type, subject_id, prev_hash, hash) "
                             "VALUES (1, :at, 'test', 'test', '1', :h, :h)"),
                     {"at": "2026-11-22 00:00:00.000000", "h": "0" * 64})
    with pytest.raises(sa.exc.DatabaseError):
        with db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_entries"))


@pytest.mark.live  # db.session on this test's own database, committing for real
def test_an_existing_chain_is_upgraded_in_place_to_sealed_entries(fresh_app):
    """A trail written by the locking design (each entry's keyed hash over the previous one,
    the head row holding the last) is sealed as it stands by the upgrade: verify passes, and
    entries written afterwards are chained after it by the sealing step."""
    from flask_migrate import downgrade, upgrade

    from lims.accounts.access import Actor
    from lims.audit.chain import GENESIS, entry_hash
    from lims.audit.key import audit_key
    from lims.audit.services import record, seal, verify
    from lims.database import utcnow
    from lims.extensions import db

    with fresh_app.app_context():
        upgrade()  # whatever this worker's scratch database holds: up, then down to nothing (the way down
        downgrade(revision="base")  # passes through this revision's downgrade), then up to before it
        db.engine.dispose()
        upgrade(revision="c4d1e8a7b920")
        key, prev, now = audit_key(), GENESIS, utcnow()
        for seq in range(1, 6):
            content = dict(seq=seq, at=now, user_id=None, actor="old", ip=None, action="test.old",
                           subject_type="test", subject_id=str(seq), batch_id=None, before=None,
                           after={"n": seq}, reason=None)
            h = entry_hash(prev, key=key, row_id=None, state=None, **content)
            db.session.execute(sa.text(
                "INSERT INTO audit_entries (seq, at, actor, action, subject_type, subject_id, after, prev_hash, hash, "
                "keyed) VALUES (:seq, :at, 'old', 'test.old', 'test', :sid, :after, :prev, :h, :keyed)"),
                {"seq": seq, "at": now if db.engine.dialect.name != "sqlite" else now.replace(tzinfo=None),
                 "sid": str(seq), "after": '{"n": %d}' % seq, "prev": prev, "h": h, "keyed": True})
            prev = h
        db.session.execute(sa.text("UPDATE audit_head SET seq = 5, last_hash = :h"), {"h": prev})
        db.session.commit()
        upgrade()
        result = verify()
        assert result.ok and (result.sealed, result.unsealed) == (5, 0), result
        record(Actor(user=None, ip="test"), "test.new", "test", "6")
        db.session.commit()
        result = verify()
        assert result.ok and (result.sealed, result.unsealed) == (5, 1), result
        assert seal() == 1
        db.session.commit()
        result = verify()
        assert result.ok and (result.sealed, result.unsealed) == (6, 0), result
        seq = db.session.execute(sa.text("SELECT seq FROM audit_entries WHERE action = 'test.new'")).scalar()
        assert seq == 6  # numbering goes on after the upgraded chain
        db.session.remove()


@pytest.mark.live  # db.session on this test's own database, committing for real
def test_a_single_district_database_upgrades_to_the_tree_keeping_what_each_person_saw(fresh_app):
    """A database made by the release before the tree (b6d2f0a8c431): one district of sites
    with district text, stations with organisation text, a regulator, technicians who used
    stations, a market manager. Upgraded: the district node holds the sites, the stations
    belong to testing organisations and serve the sites they sampled, the regulator is bound
    to the district and the technicians to their stations — and everyone reaches what they
    reached before. Downgraded: the tree is gone, the data stay."""
    from flask_migrate import downgrade, upgrade

    from lims.accounts.scope import sites_in_scope
    from lims.extensions import db
    from lims.models import Organisation, Site, Station, User

    fresh_app.config["UNBOUND_STAFF_SEE_ALL"] = False  # production: scope comes from the bindings alone
    with fresh_app.app_context():
        upgrade()
        downgrade(revision="base")
        db.engine.dispose()
        upgrade(revision="b6d2f0a8c431")
        q = db.session.execute
        now = "2026-11-20 02:00:00.000000"
        for code, name, district in (("SA", "东市场", "钱塘区"), ("SB", "西市场", "钱塘区"), ("SC", "南市场", " 钱塘区 ")):
            q(sa.text("INSERT INTO sites (code, name, kind, district, active, created_at) "
                      "VALUES (:c, :n, 'market', :d, :t, :at)"), {"c": code, "n": name, "d": district, "t": True, "at": now})
        site = {c: i for c, i in q(sa.text("SELECT code, id FROM sites"))}
        for code, name, kind, org, at in (("R1", "东市场快检室", "room", "钱塘快检公司", site["SA"]),
                                         ("V1", "快检车", "van", "区快检中心", None)):
            q(sa.text("INSERT INTO stations (code, name, kind, organisation, site_id, active) "
                      "VALUES (:c, :n, :k, :o, :s, :t)"), {"c": code, "n": name, "k": kind, "o": org, "s": at, "t": True})
        station = {c: i for c, i in q(sa.text("SELECT code, id FROM stations"))}
        for username, role in (("reg", "regulator"), ("tech1", "technician"), ("tech2", "technician"),
                               ("rev", "reviewer"), ("mgr", "market_manager"), ("root", "admin")):
            q(sa.text("INSERT INTO users (username, display_name, password_hash, role, active, created_at, row_version, "
                      "session_version) VALUES (:u, :u, 'x', :r, :t, :at, 1, 1)"),
              {"u": username, "r": role, "t": True, "at": now})
        user = {u: i for u, i in q(sa.text("SELECT username, id FROM users"))}
        q(sa.text("INSERT INTO user_sites (user_id, site_id) VALUES (:u, :s)"), {"u": user["mgr"], "s": site["SC"]})
        for n, (code, at, by, used) in enumerate((("B1", "SA", "tech1", "R1"), ("B2", "SA", "tech2", "V1"),
                                                  ("B3", "SB", "tech2", "V1"))):
            q(sa.text("INSERT INTO batches (code, site_id, food, sampled_at, sampled_by_id, station_id, status, created_at, "
                      "row_version) VALUES (:c, :s, '青菜', :at, :by, :st, 'registered', :at, 1)"),
              {"c": code, "s": site[at], "at": now, "by": user[by], "st": station[used]})
        db.session.commit()

        upgrade()
        db.session.remove()
        districts = db.session.execute(sa.select(Organisation).where(Organisation.kind == "district")).scalars().all()
        assert [(d.name, d.parent_id) for d in districts] == [("钱塘区", None)]
        district = districts[0]
        assert {s.org_id for s in db.session.execute(sa.select(Site)).scalars()} == {district.id}
        stations = {s.code: s for s in db.session.execute(sa.select(Station)).scalars()}
        assert stations["R1"].org.kind == "testing" and stations["R1"].org.name == "钱塘快检公司"
        assert stations["V1"].org.name == "区快检中心" and stations["V1"].org.parent_id == district.id
        assert [s.code for s in stations["R1"].sites] == ["SA"]  # the market it stands in
        assert [s.code for s in stations["V1"].sites] == ["SA", "SB"]  # the markets it sampled
        users = {u.username: u for u in db.session.execute(sa.select(User)).scalars()}
        assert [o.id for o in users["reg"].orgs] == [district.id]
        assert [s.code for s in users["tech1"].stations] == ["R1"]
        assert [s.code for s in users["tech2"].stations] == ["V1"]
        assert users["mgr"].orgs == [] and users["mgr"].stations == [] and [s.code for s in users["mgr"].sites] == ["SC"]
        assert users["root"].orgs == []
        # what each could see before: all sites; the stations' sites; the manager's; everything
        assert sites_in_scope(users["reg"]) == frozenset(site.values())
        assert sites_in_scope(users["tech1"]) == {site["SA"]}
        assert sites_in_scope(users["tech2"]) == {site["SA"], site["SB"]}
        assert sites_in_scope(users["mgr"]) == {site["SC"]}
        assert sites_in_scope(users["root"]) is None
        assert sites_in_scope(users["rev"]) == frozenset()  # used no station: bound to none
        db.session.remove()
        assert _differences(db) == []

        downgrade(revision="b6d2f0a8c431")
        db.engine.dispose()
        inspector = sa.inspect(db.engine)
        tables = set(inspector.get_table_names())
        assert not tables & {"organisations", "station_sites", "user_orgs", "user_stations"}
        assert "org_id" not in {c["name"] for c in inspector.get_columns("sites")}
        assert "org_id" not in {c["name"] for c in inspector.get_columns("stations")}
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM sites")).scalar_one() == 3
            # rebuilding the sites table deleted nothing that refers to it
            assert conn.execute(sa.text("SELECT count(*) FROM user_sites")).scalar_one() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM batches")).scalar_one() == 3
        upgrade()


@pytest.mark.live  # db.session on this test's own database, committing for real
def test_results_of_an_existing_database_get_their_batch_site(fresh_app):
    """A database made before results carried their site (b41c7e2d9a63): two markets, batches
    at each, results (a corrected one among them) of each batch. Upgraded: every result holds
    its batch's site, the column is required and indexed with the test time, the other
    indexes of results (the partial review index) are as they were. Downgraded: the column
    goes, the results stay."""
    from flask_migrate import downgrade, upgrade

    from lims.extensions import db

    with fresh_app.app_context():
        upgrade()
        downgrade(revision="base")
        db.engine.dispose()
        upgrade(revision="b41c7e2d9a63")
        q = db.session.execute
        now = "2026-11-20 02:00:00.000000"
        for code, name in (("SA", "东市场"), ("SB", "西市场")):
            q(sa.text("INSERT INTO sites (code, name, kind, active, created_at) VALUES (:c, :n, 'market', :t, :at)"),
              {"c": code, "n": name, "t": True, "at": now})
        site = {c: i for c, i in q(sa.text("SELECT code, id FROM sites"))}
        q(sa.text("INSERT INTO test_items (code, name, principle, rule, banned, aliases, verified, active, sort_order, "
                  "row_version) VALUES ('OPC', '有机磷', 'enzyme_inhibition', 'inhibition', :f, '[]', :t, :t, 1, 1)"),
          {"f": False, "t": True})
        item = q(sa.text("SELECT id FROM test_items")).scalar_one()
        for code, at in (("B1", "SA"), ("B2", "SB"), ("B3", "SA")):
            q(sa.text("INSERT INTO batches (code, site_id, food, sampled_at, status, created_at, row_version) "
                      "VALUES (:c, :s, '青菜', :at, 'passed', :at, 1)"), {"c": code, "s": site[at], "at": now})
        batch = {c: i for c, i in q(sa.text("SELECT code, id FROM batches"))}
        for code, version, current in (("B1", 1, False), ("B1", 2, True), ("B2", 1, True), ("B3", 1, True)):
            q(sa.text("INSERT INTO results (batch_id, item_id, version, current, correction_reason, outcome, disagrees, "
                      "signal_mismatch, tested_at, created_at, row_version, rejected) VALUES (:b, :i, :v, :cur, :why, "
                      "'negative', :f, :f, :at, :at, 1, :f)"),
              {"b": batch[code], "i": item, "v": version, "cur": current, "why": "抄错" if version > 1 else None,
               "f": False, "at": now})
        db.session.commit()

        upgrade()
        db.session.remove()
        with db.engine.connect() as conn:
            stored = sorted(conn.execute(sa.text(
                "SELECT b.code, r.version, r.site_id FROM results r JOIN batches b ON b.id = r.batch_id")).all())
        assert stored == [("B1", 1, site["SA"]), ("B1", 2, site["SA"]), ("B2", 1, site["SB"]), ("B3", 1, site["SA"])]
        inspector = sa.inspect(db.engine)
        [column] = [c for c in inspector.get_columns("results") if c["name"] == "site_id"]
        assert column["nullable"] is False
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("results")}
        assert indexes["ix_results_site_tested"] == ["site_id", "tested_at", "id"]
        assert {"fk_results_site_id_sites"} <= {f["name"] for f in inspector.get_foreign_keys("results")}
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "sqlite":
                review_index = conn.execute(sa.text(
                    "SELECT sql FROM sqlite_master WHERE name = 'ix_results_pending_review'")).scalar_one()
            else:
                review_index = conn.execute(sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_results_pending_review'")).scalar_one()
        assert "reviewed_at IS NULL" in review_index  # still partial after the table was rebuilt (SQLite)
        assert _differences(db) == []

        downgrade(revision="b41c7e2d9a63")
        db.engine.dispose()
        assert "site_id" not in {c["name"] for c in sa.inspect(db.engine).get_columns("results")}
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM results")).scalar_one() == 4
        upgrade()
