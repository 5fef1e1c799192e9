"""The batches an import moves are sealed from the values read with them (no read-back), unless
one changed since it was read: that one is read back as stored and sealed from that."""
from __future__ import annotations

import sqlalchemy as sa

from tests.imports.conftest import sample_bytes


def test_moved_batches_are_sealed_without_reading_them_back(world, batches, run, db, monkeypatch):
    from lims.audit.services import verify
    from lims.results import services as results

    def no_read_back(*args, **kwargs):
        raise AssertionError("a batch was read back to be sealed")

    monkeypatch.setattr(results, "update_sealed", no_read_back)
    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    assert report.status == "committed" and report.ok
    db.session.commit()
    v = verify()
    assert v.ok, v


def test_a_batch_changed_after_it_was_read_is_read_back_and_sealed_as_stored(world, batches, run, db, monkeypatch):
    from lims.audit.services import verify
    from lims.imports import services
    from lims.models import Batch

    original = services.refresh_statuses
    calls = []

    def edited_meanwhile(touched, *args, **kwargs):
        # Another writer changes a batch's food (a sealed field) between the read and the update.
        bid = next(iter(touched))
        db.session.execute(sa.update(Batch).where(Batch.id == bid)
                           .values(food="改过的食品", row_version=Batch.row_version + 1))
        calls.append(bid)
        from lims.results import services as results

        real = results.update_sealed
        read_back = []

        def spy(session, subject, names, groups, key, also=None):
            read_back.extend(i for ids in groups.values() for i in ids)
            return real(session, subject, names, groups, key, also=also)

        monkeypatch.setattr(results, "update_sealed", spy)
        out = original(touched, *args, **kwargs)
        calls.append(read_back)
        return out

    monkeypatch.setattr(services, "refresh_statuses", edited_meanwhile)
    report = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    assert report.status == "committed" and report.ok
    bid, read_back = calls
    assert read_back == [bid]  # only the batch changed meanwhile was read back
    db.session.commit()
    db.session.expire_all()
    b = db.session.get(Batch, bid)
    assert b.food == "改过的食品" and b.status != "registered"
    v = verify()
    assert v.ok, v


def test_rows_split_over_many_statements_are_stored_as_one_statement_stores_them(world, batches, run, db,
                                                                                   monkeypatch):
    """The results are inserted, and the moved batches updated, many rows a statement: with
    two rows a statement (11 results, 11 batches: five full statements and a short one), every
    row lands once, in the file's order, each batch's status and seal as with one statement."""
    from lims.audit.services import verify
    from lims.models import Batch, Result
    from lims.results import bulk
    from lims.results import services as results

    def states():
        return (db.session.execute(sa.select(Result.import_row, Result.batch_id, Result.outcome, Result.seal)
                                   .where(Result.import_id.is_not(None)).order_by(Result.id)).all(),
                db.session.execute(sa.select(Batch.code, Batch.status, Batch.verdict, Batch.row_version)
                                   .order_by(Batch.code)).all())

    savepoint = db.session.begin_nested()
    whole = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    one_statement = states()
    savepoint.rollback()

    def no_read_back(*args, **kwargs):
        raise AssertionError("a batch was read back: the update did not count the rows it matched")

    monkeypatch.setattr(bulk, "ROWS_PER_INSERT", 2)
    monkeypatch.setattr(results, "update_sealed", no_read_back)
    split = run(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv")
    assert (split.status, split.ok) == (whole.status, whole.ok) == ("committed", 11)
    rows, moved = states()
    assert [r.import_row for r in rows] == sorted(r.import_row for r in rows)
    assert moved == one_statement[1] and any(status != "registered" for _, status, _, _ in moved)
    assert [r[:3] for r in rows] == [r[:3] for r in one_statement[0]]
    db.session.commit()
    assert verify().ok
