"""Rows find their batches by sample code (trimmed, case-insensitive); unmatched rows are
listed and can be assigned or turned into new batches when the site and stall resolve; an
importer never reaches batches of sites they may not see."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lims.errors import Forbidden
from tests.imports.conftest import (ANALYZER_HEADER, PESTICIDE_HEADER, TEMPLATE_HEADER, analyzer_row, make_csv,
                                    make_xlsx, pesticide_row, results_of, row_label, rows_by_number, sample_bytes,
                                    template_row)


def test_codes_match_trimmed_and_case_insensitively(world, batches, run, db):
    rows = [pesticide_row(1, "  s-20261120-001  "), pesticide_row(2, "S-20261120-002 "),
            pesticide_row(3, "s-20261120-003")]
    report = run(make_csv(rows, PESTICIDE_HEADER), "codes.csv")
    assert (report.ok, report.unmatched) == (3, 0)
    assert {n: r.batch for n, r in rows_by_number(report).items()} == \
        {2: "S-20261120-001", 3: "S-20261120-002", 4: "S-20261120-003"}
    assert {n: r.batch.code for n, r in results_of(db, report.import_id).items()} == \
        {2: "S-20261120-001", 3: "S-20261120-002", 4: "S-20261120-003"}


def test_unmatched_rows_are_listed_with_the_code_they_carry(world, batches, run, db):
    from lims.models import ImportRow

    rows = [pesticide_row(1, "S-20261120-001"), pesticide_row(2, "X-NOPE-0001"), pesticide_row(3, "")]
    report = run(make_csv(rows, PESTICIDE_HEADER), "unmatched.csv")
    assert (report.ok, report.unmatched) == (1, 2)
    rows_ = rows_by_number(report)
    assert rows_[3].status == "unmatched" and "X-NOPE-0001" in rows_[3].messages[0]
    assert row_label(3).search(rows_[3].messages[0])
    assert rows_[4].status == "unmatched" and row_label(4).search(rows_[4].messages[0])
    assert sorted(results_of(db, report.import_id)) == [2]
    logged = {r.row_no: r.status for r in db.session.query(ImportRow).filter_by(import_id=report.import_id)}
    assert logged == {3: "unmatched", 4: "unmatched"}


def test_assignments_attach_unmatched_rows_to_batches(world, batches, run, db):
    rows = [pesticide_row(1, "X-NOPE-0001"), pesticide_row(2, ""), pesticide_row(3, "X-NOPE-0003")]
    data = make_csv(rows, PESTICIDE_HEADER)
    preview = run(data, "assign.csv", dry_run=True)
    assert preview.unmatched == 3
    report = run(data, "assign.csv", assignments={2: "S-20261120-004", 3: "s-20261120-005 ", 4: "NO-SUCH-CODE"})
    assert (report.ok, report.unmatched) == (2, 1)
    results = results_of(db, report.import_id)
    assert {n: r.batch.code for n, r in results.items()} == {2: "S-20261120-004", 3: "S-20261120-005"}
    assert "NO-SUCH-CODE" in rows_by_number(report)[4].messages[0]


def test_create_batches_from_the_tested_party(world, run, db):
    from lims.models import Batch

    rows = [pesticide_row(1, "S-20261120-301", food="青菜", party="城东综合市场 A-12"),
            pesticide_row(2, "", food="菠菜", party="城东综合市场 a-11", when="2026-11-20 09:12:05"),
            pesticide_row(3, "S-20261120-303", food="芹菜", party="城北农贸市场 C-03", value="70.0", word="不合格",
                          when="2026-11-20 09:13:05")]
    report = run(make_csv(rows, PESTICIDE_HEADER), "create.csv", create_batches=True)
    assert report.status == "committed"
    assert (report.ok, report.created_batches, report.unmatched, report.rejected) == (3, 3, 0, 0)
    assert all(r.creates_batch for r in report.rows)
    results = results_of(db, report.import_id)
    coded = results[2].batch
    assert (coded.code, coded.site.name, coded.stall.code, coded.food) == ("S-20261120-301", "城东综合市场", "A-12", "青菜")
    assert coded.category is not None and coded.category.code.startswith("VEG")
    assert coded.sampled_at == results[2].tested_at
    uncoded = results[3].batch  # no code in the file: the system numbers it
    assert (uncoded.site.name, uncoded.stall.code) == ("城东综合市场", "A-11")
    assert uncoded.code.startswith("CDZH-261120-")
    assert results[4].batch.site.name == "城北农贸市场" and results[4].batch.status == "stopped"
    assert db.session.execute(sa.select(sa.func.count()).select_from(Batch)).scalar_one() == 3


def test_create_batches_refuses_rows_whose_site_or_stall_is_unknown(world, run, db):
    from lims.models import Batch

    rows = [pesticide_row(1, "", party="城西新市场 A-01"),
            pesticide_row(2, "", party="城东综合市场 Z-99", when="2026-11-20 09:12:05"),
            pesticide_row(3, "", party="城东综合市场", when="2026-11-20 09:13:05"),  # a market needs a stall
            pesticide_row(4, "", party="城东综合市场 A-01", when="2026-11-20 09:14:05")]
    report = run(make_csv(rows, PESTICIDE_HEADER), "refuse-create.csv", create_batches=True)
    rows_ = rows_by_number(report)
    assert {n: r.status for n, r in rows_.items()} == {2: "rejected", 3: "rejected", 4: "rejected", 5: "ok"}
    assert "城西新市场" in rows_[2].messages[0] and row_label(2).search(rows_[2].messages[0])
    assert "Z-99" in rows_[3].messages[0]
    assert rows_[4].messages and row_label(4).search(rows_[4].messages[0])
    assert report.created_batches == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(Batch)).scalar_one() == 1


def test_create_batches_leaves_matched_rows_on_their_batches(world, batches, run, db):
    from lims.models import Batch

    before = db.session.execute(sa.select(sa.func.count()).select_from(Batch)).scalar_one()
    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", create_batches=True)
    assert report.created_batches == 0 and report.ok == 11
    assert db.session.execute(sa.select(sa.func.count()).select_from(Batch)).scalar_one() == before


def test_template_rows_create_batches_from_party_and_stall_columns(world, run, db):
    rows = [template_row(party="城东综合市场", stall="A-05", food="青菜"),
            template_row(party="CBNM", stall="C-02", food="菠菜", when="2026-11-20 09:31:00"),  # a site by its code
            template_row(party="城东综合市场", stall="Q-77", food="芹菜", when="2026-11-20 09:32:00"),
            template_row(party="无名市场", stall="A-01", food="生菜", when="2026-11-20 09:33:00")]
    report = run(make_xlsx(TEMPLATE_HEADER, rows), "template-create.xlsx", create_batches=True)
    rows_ = rows_by_number(report)
    assert {n: r.status for n, r in rows_.items()} == {2: "ok", 3: "ok", 4: "rejected", 5: "rejected"}
    assert "Q-77" in rows_[4].messages[0] and "无名市场" in rows_[5].messages[0]
    results = results_of(db, report.import_id)
    assert (results[2].batch.site.name, results[2].batch.stall.code) == ("城东综合市场", "A-05")
    assert (results[3].batch.site.name, results[3].batch.stall.code) == ("城北农贸市场", "C-02")


def test_two_items_of_one_new_sample_share_the_batch_they_create(world, run, db):
    rows = [analyzer_row(1, "NEW-0001", item="亚硝酸盐", food="卤猪肉", value="12.6", when="2026-11-20 11:03:00"),
            analyzer_row(2, "NEW-0001", item="二氧化硫", food="卤猪肉", unit="g/kg", value="0.05",
                         when="2026-11-20 11:05:00")]
    report = run(make_csv(rows, ANALYZER_HEADER), "two-items.csv", create_batches=True)
    assert (report.ok, report.rejected, report.created_batches) == (2, 0, 1)
    results = results_of(db, report.import_id)
    assert results[2].batch_id == results[3].batch_id


def test_a_market_manager_cannot_import(world, batches, run, counts):
    from lims.accounts.access import Actor

    before = counts()
    with pytest.raises(Forbidden):
        run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", actor=Actor(user=world.manager))
    with pytest.raises(Forbidden):
        run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", actor=Actor(user=world.regulator),
            dry_run=True)
    assert counts() == before


@pytest.fixture
def site_bound_tech(world, make_user, monkeypatch):
    """A technician limited to 城东综合市场 (no shipped role is both site-bound and allowed to
    import, so the scope rule is switched on for technicians here)."""
    from lims.accounts.access import Actor
    from lims.rules import permissions

    monkeypatch.setattr(permissions, "SITE_BOUND_ROLES", frozenset({"market_manager", "technician"}))
    user = make_user("technician", sites=[world.east])
    actor = Actor(user=user)
    assert actor.site_ids == frozenset({world.east.id})
    return actor


def test_rows_for_batches_of_unseen_sites_are_unmatched_never_imported(world, batches, run, db, site_bound_tech):
    rows = [analyzer_row(1, "S-20261120-201"),  # 城北农贸市场: not this technician's
            analyzer_row(2, "S-20261120-101", item="克伦特罗", food="猪肉", value="0.95", unit="T/C",
                         when="2026-11-20 11:06:00")]  # 城东综合市场
    report = run(make_csv(rows, ANALYZER_HEADER), "scoped.csv", actor=site_bound_tech,
                 assignments={})
    rows_ = rows_by_number(report)
    assert rows_[2].status == "unmatched" and rows_[2].batch is None
    assert rows_[3].status == "ok"
    results = results_of(db, report.import_id)
    assert sorted(results) == [3]
    assert batches["S-20261120-201"].results == []


def test_assigning_or_creating_into_an_unseen_site_is_refused(world, batches, run, db, site_bound_tech):
    rows = [pesticide_row(1, "X-NOPE-0001", party="城北农贸市场 C-04"),
            pesticide_row(2, "", party="城北农贸市场 C-05", when="2026-11-20 09:12:05")]
    data = make_csv(rows, PESTICIDE_HEADER)
    assigned = run(data, "scoped-assign.csv", actor=site_bound_tech, dry_run=True,
                   assignments={2: "S-20261120-204"})
    assert rows_by_number(assigned)[2].status == "unmatched"
    created = run(data, "scoped-create.csv", actor=site_bound_tech, create_batches=True)
    assert created.ok == 0 and created.created_batches == 0
    assert {r.status for r in created.rows} == {"rejected"}
    assert results_of(db, created.import_id) == {}
