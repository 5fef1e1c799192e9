"""One result pipeline (issue 11): the same readings typed into the round's result grid, posted
over the API and imported from an instrument file are stored alike — field by field — with
the same batch status and wording, the same dispositions, sealed rows the audit trail covers."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from lims.i18n import format_local

#: (reading, the instrument's word, channel): a negative, a positive the instrument agrees
#: with, and a positive the instrument calls negative (a disagreement). Nitrite, limit 30 mg/kg.
READINGS = [("12.6", "合格", "1"), ("45.0", "不合格", "2"), ("35.5", "合格", "3")]
DOORS = ("grid", "api", "file")
#: Fields that name the door, not the reading: the record key and import row (only a file has
#: them), the tester's name as the file wrote it (a typed result's tester is the user), ids, times.
SAME = ("item_id", "version", "current", "value", "value_text", "qualitative", "unit", "control_delta",
        "sample_delta", "c_line", "t_line", "tc_ratio", "reading_mode", "computed_value", "cutoff", "method",
        "pretreated", "outcome", "reason", "instrument_word", "instrument_outcome", "disagrees", "signal_mismatch",
        "reagent_lot_id", "instrument_id", "station_id", "channel", "tested_at", "tested_by_id", "entered_by_id",
        "reviewed_at", "rejected", "row_version")


@pytest.fixture
def setting(world, db, make_lot):
    """A station with a registered analyser (no station on the batches: the instrument's is
    taken), a nitrite lot, a round at 城北农贸市场 with three batches per door."""
    from lims.batches.services import BatchInput, create_round, register_batch
    from lims.database import utcnow
    from lims.models import Instrument, Station
    from lims.reference.services import get_item

    station = Station(code="ST-N", name="城北快检室", kind="room", site_id=world.north.id)
    db.session.add(station)
    db.session.flush()
    analyser = Instrument(serial="DY3500-0042", model="DY-3500(I)", channels=8, station_id=station.id)
    db.session.add(analyser)
    lot = make_lot(item="NO2", lot="NO2-2611-A")
    now = utcnow().replace(second=0, microsecond=0)
    rnd = create_round(world.actor, world.north, now.date())
    batches = {}
    for door in DOORS:
        for n, _ in enumerate(READINGS, start=1):
            code = f"S-{door.upper()}-{n:03d}"
            batches[(door, n)] = register_batch(world.actor, BatchInput(
                site=world.north, stall=world.stall("城北农贸市场", f"C-0{n}"), food="卤猪肉", round=rnd,
                sampled_at=now - timedelta(hours=2), code=code, tests=[get_item("NO2")]))
    db.session.commit()
    return {"round": rnd, "batches": batches, "lot": lot, "analyser": analyser, "station": station,
            "tested": [now - timedelta(minutes=40 - 5 * n) for n in range(len(READINGS))]}


def _through_the_grid(client, world, setting):
    client.login(world.tech)
    rnd = setting["round"]
    token = client.csrf(f"/rounds/{rnd.id}/results")
    for n, (value, word, channel) in enumerate(READINGS, start=1):
        r = client.post(f"/rounds/{rnd.id}/results", headers={"X-CSRFToken": token}, json={
            "batch": f"S-GRID-{n:03d}", "item": "NO2", "value": value, "instrument_word": word, "channel": channel,
            "reagent_lot": str(setting["lot"].id), "instrument": "DY3500-0042",
            "tested_at": format_local(setting["tested"][n - 1]), "confirm_positive": True})
        assert r.status_code == 200, r.get_json()


def _through_the_api(client, world, setting, api_token):
    for n, (value, word, channel) in enumerate(READINGS, start=1):
        r = client.post(f"/api/v1/batches/S-API-{n:03d}/results", headers=api_token(world.tech), json={
            "item": "NO2", "value": float(value), "instrument_outcome": word, "channel": channel,
            "reagent_lot": "NO2-2611-A", "instrument": "DY3500-0042",
            "tested_at": format_local(setting["tested"][n - 1])})
        assert r.status_code == 201, r.get_json()


def _through_a_file(world, setting):
    from lims.imports.services import ImportOptions, run_import
    from lims.i18n import to_local
    from tests.imports.conftest import ANALYZER_HEADER, analyzer_row, make_csv

    rows = [analyzer_row(n, f"S-FILE-{n:03d}", item="亚硝酸盐", food="卤猪肉", source=f"城北农贸市场 C-0{n}",
                         value=value, dx="0" if word == "不合格" else "1", desc=word, channel=channel,
                         when=f"{to_local(setting['tested'][n - 1]):%Y-%m-%d %H:%M:%S}", lot="NO2-2611-A",
                         OPERATOR="检测员小周", INSTRUMENT="DY-3500(I)")
            for n, (value, word, channel) in enumerate(READINGS, start=1)]
    report = run_import(world.actor, make_csv(rows, ANALYZER_HEADER), ImportOptions(filename="dy3500.csv"))
    assert report.status == "committed" and report.ok == len(READINGS), (report.error, report.rows)
    return report


def test_the_same_readings_are_stored_alike_through_every_door(client, world, db, setting, api_token):
    from lims import labels
    from lims.audit.key import audit_key
    from lims.audit.seal import checker, sealed_select
    from lims.audit.services import verify
    from lims.batches.queries import status_now
    from lims.database import utcnow
    from lims.models import AuditEntry, Batch, Disposition, Notification, Result

    _through_the_grid(client, world, setting)
    _through_the_api(client, world, setting, api_token)
    _through_a_file(world, setting)
    db.session.expire_all()

    stored = {}
    for (door, n), batch in setting["batches"].items():
        [result] = db.session.execute(sa.select(Result).where(Result.batch_id == batch.id)).scalars().all()
        b = db.session.get(Batch, batch.id)
        d = db.session.execute(sa.select(Disposition).where(Disposition.batch_id == b.id)).scalar_one_or_none()
        status = status_now(b, utcnow())
        notices = db.session.execute(sa.select(sa.func.count(Notification.id))
                                     .where(Notification.batch_id == b.id)).scalar_one()
        opened = db.session.execute(sa.select(AuditEntry.after).where(
            AuditEntry.action == "disposition.open", AuditEntry.batch_id == b.id)).scalars().all()
        stored[(door, n)] = {
            "result": {f: getattr(result, f) for f in SAME},
            "batch": (b.status, b.verdict, status, str(labels.STATUS_LABELS[status]), b.row_version,
                      sorted(i.code for i in b.planned_items)),
            "disposition": (d.status, d.result_id == result.id, d.opened_at is not None) if d else None,
            "audit": [{k: v for k, v in a.items() if k != "result"} for a in opened],
            "notices": notices,
            "id": result.id,
        }

    for n in range(1, len(READINGS) + 1):
        grid, api, file = (stored[(door, n)] for door in DOORS)
        for door, got in (("api", api), ("file", file)):
            for part in ("result", "batch", "disposition", "audit", "notices"):
                assert got[part] == grid[part], (n, door, part, got[part], grid[part])

    # What was stored is what was read — not merely the same three times.
    first, second, third = (stored[("file", n)] for n in (1, 2, 3))
    assert [s["result"]["outcome"] for s in (first, second, third)] == ["negative", "positive", "positive"]
    assert [s["result"]["disagrees"] for s in (first, second, third)] == [False, False, True]
    assert {s["result"]["instrument_id"] for s in (first, second, third)} == {setting["analyser"].id}
    assert {s["result"]["station_id"] for s in (first, second, third)} == {setting["station"].id}
    assert {s["result"]["reagent_lot_id"] for s in (first, second, third)} == {setting["lot"].id}
    assert [s["result"]["channel"] for s in (first, second, third)] == ["1", "2", "3"]
    assert [s["result"]["tested_by_id"] for s in (first, second, third)] == [world.tech.id] * 3
    assert first["disposition"] is None and second["disposition"] == ("stopped", True, True)
    assert second["batch"][0] == "stopped" and first["batch"][0] == "passed"
    assert second["notices"] > 0

    # Every stored row's seal matches its values, and the trail covers every row.
    check = checker(audit_key(), "result")
    ids = [s["id"] for s in stored.values()]
    for row in db.session.execute(sealed_select("result").where(Result.id.in_(ids))):
        assert row[-1] == check(row), row
    v = verify()
    assert v.ok, v


def test_every_result_carries_its_batch_site_whatever_the_door(client, world, db, setting, api_token):
    """Results are counted by their own site (``results.site_id``, what the figures filter
    on): typed into the grid, posted over the API (at a second market too), imported from a
    file and corrected as a new version, each result holds its batch's site — one query finds
    no result whose site is not its batch's — and ``verify`` agrees."""
    from lims.audit.services import verify
    from lims.batches.services import BatchInput, register_batch
    from lims.models import Batch, Result
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, correct_result

    _through_the_grid(client, world, setting)
    _through_the_api(client, world, setting, api_token)
    _through_a_file(world, setting)
    south = register_batch(world.actor, BatchInput(
        site=world.south, stall=world.stall("城南菜场", "D-01"), food="卤猪肉", code="S-SOUTH-001",
        sampled_at=setting["tested"][0] - timedelta(hours=1), tests=[get_item("NO2")]))
    db.session.commit()
    r = client.post("/api/v1/batches/S-SOUTH-001/results", headers=api_token(world.tech), json={
        "item": "NO2", "value": 12.0, "tested_at": format_local(setting["tested"][0])})
    assert r.status_code == 201, r.get_json()
    db.session.expire_all()
    typed = db.session.execute(sa.select(Result).where(
        Result.batch_id == setting["batches"][("grid", 1)].id)).scalar_one()
    correct_result(world.actor, typed, ResultInput(item=typed.item, tested_at=typed.tested_at, value=D("12.9"),
                                                   instrument_word="合格"), "抄错", expected_version=typed.row_version)
    db.session.commit()

    astray = db.session.execute(sa.select(sa.func.count(Result.id)).join(Batch, Batch.id == Result.batch_id)
                                .where(Result.site_id != Batch.site_id)).scalar_one()
    assert astray == 0
    sites = dict(db.session.execute(sa.select(Batch.code, Result.site_id).join(Batch, Batch.id == Result.batch_id)
                                    .where(Result.current.is_(True))).all())
    assert len(sites) == 3 * len(READINGS) + 1
    assert sites.pop("S-SOUTH-001") == world.south.id == south.site_id
    assert set(sites.values()) == {world.north.id}
    versions = db.session.execute(sa.select(Result.version, Result.site_id).where(
        Result.batch_id == setting["batches"][("grid", 1)].id).order_by(Result.version)).all()
    assert versions == [(1, world.north.id), (2, world.north.id)]
    assert verify().ok
