"""run_import tries again when the same file is committed by someone else between its check
and its insert — a bounded number of times, then a clear 409, never a RecursionError."""
from __future__ import annotations

import io

import pytest

from lims.errors import Conflict
from tests.imports.conftest import make_csv, pesticide_row


def _file() -> bytes:
    return make_csv([pesticide_row(1, "S-20261120-001"), pesticide_row(2, "S-20261120-002",
                                                                       when="2026-11-20 09:12:05")])


@pytest.fixture
def blind_check(monkeypatch):
    """The check for an earlier import never sees the one already committed (as in a race
    where it is committed a moment after we looked), so every insert collides with it."""
    from lims.imports import services

    calls = []

    def previous_import(sha):
        calls.append(sha)
        return None

    monkeypatch.setattr(services, "previous_import", previous_import)
    return calls


def test_a_collision_that_persists_ends_in_a_conflict_after_a_few_tries(run, batches, blind_check, counts, db):
    from lims.imports.services import IMPORT_ATTEMPTS

    assert run(_file(), "first.csv").status == "committed"
    before = counts()
    blind_check.clear()
    with pytest.raises(Conflict) as refused:
        run(_file(), "again.csv")
    assert len(blind_check) == IMPORT_ATTEMPTS
    assert str(IMPORT_ATTEMPTS) in str(refused.value.message)
    assert counts() == before


def test_the_api_answers_409_with_the_error_shape(world, batches, client, db, api_token, blind_check, run):
    from lims.models import Import

    assert run(_file(), "first.csv").status == "committed"
    db.session.commit()
    headers = api_token(world.tech)
    n = db.session.query(Import).count()
    r = client.post("/api/v1/imports", data={"file": (io.BytesIO(_file()), "again.csv")}, headers=headers,
                    content_type="multipart/form-data")
    assert r.status_code == 409, r.get_json()
    body = r.get_json()
    assert body["code"] == 409 and body["message"]
    db.session.expire_all()
    assert db.session.query(Import).count() == n
