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
