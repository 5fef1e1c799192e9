"""POST /api/v1/imports: multipart ``file`` with ``dry_run``, ``strict``, ``create_batches``
and ``format`` in the query."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tests.imports.conftest import (PESTICIDE_HEADER, make_csv, pesticide_row, row_label, sample_bytes)

URL = "/api/v1/imports"

@pytest.fixture
def api(world, batches, client, db, api_token, app, monkeypatch):
    """post(data, filename, user=tech, **query) → response; commits first (a 4xx rolls back).
    A crash in the view answers 500 as it would in production instead of propagating."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    tokens = {}

    def post(data: bytes | None, filename="upload.csv", user=None, headers=None, **query):
        user = user or world.tech
        if headers is None:
            if user.id not in tokens:
                tokens[user.id] = api_token(user)
            headers = tokens[user.id]
        db.session.commit()
        db.session.expire_all()
        body = {} if data is None else {"file": (io.BytesIO(data), filename)}
        response = client.post(URL, data=body, headers=headers, query_string=query,
                               content_type="multipart/form-data")
        db.session.expire_all()
        return response

    return post


def problem_file() -> bytes:
    return make_csv([
        pesticide_row(1, "S-20261120-001"),
        pesticide_row(2, "X-NOPE-0002", when="2026-11-20 09:12:05"),
        pesticide_row(3, "S-20261120-002", item="瘦肉精X", when="2026-11-20 09:13:05"),
        pesticide_row(4, "S-20261120-003", value="62.3", word="不合格", when="2026-11-20 09:14:05"),
        pesticide_row(5, "S-20261120-004", value="NA", word="", when="2026-11-20 09:15:05"),
    ], PESTICIDE_HEADER)


def assert_error_shape(body: dict, code: int):
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)


def test_an_import_answers_200_with_the_summary_and_every_row_problem(api, db):
    from lims.models import Import, Result

    r = api(problem_file(), "problems.csv")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["state"] == "committed" and body["format"] == "pesticide-csv"
    assert (body["rows"], body["imported"], body["rejected"], body["unmatched"], body["no_data"],
            body["positives"]) == (5, 2, 1, 1, 1, 1)
    problems = {p["row"]: p for p in body["problems"]}
    assert set(problems) == {3, 4, 6}
    assert problems[4]["status"] == "rejected" and "瘦肉精X" in problems[4]["messages"][0]
    assert row_label(4).search(problems[4]["messages"][0])
    assert problems[3]["status"] == "unmatched" and "X-NOPE-0002" in problems[3]["messages"][0]
    assert problems[6]["status"] == "no_data"
    assert set(body["batches"]) == {"S-20261120-001", "S-20261120-003"}
    entry = db.session.get(Import, body["id"])
    assert (entry.status, entry.source, entry.imported) == ("committed", "api", 2)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Result).where(
        Result.import_id == entry.id)).scalar_one() == 2


def test_a_dry_run_returns_every_row_and_saves_nothing(api, db):
    from lims.models import Import, Result

    r = api(sample_bytes("gold_reader.xlsx"), "gold_reader.xlsx", dry_run="true")
    assert r.status_code == 200
    body = r.get_json()
    assert body["state"] == "preview" and body["id"] is None and body["dry_run"] is True
    assert (body["imported"], body["ready"]) == (0, 6)
    details = {d["row"]: d for d in body["row_details"]}
    assert sorted(details) == [3, 4, 5, 6, 7, 8]
    assert {n: d["outcome"] for n, d in details.items()} == {
        3: "negative", 4: "positive", 5: "negative", 6: "suspect", 7: "invalid", 8: "negative"}
    assert details[4]["instrument_outcome"] == "positive" and details[4]["disagrees"] is False
    assert db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one() == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(Result)).scalar_one() == 0


def test_create_batches_and_strict_are_query_flags(api, db, world):
    from lims.models import Batch

    before = db.session.execute(sa.select(sa.func.count()).select_from(Batch)).scalar_one()
    r = api(sample_bytes("template_example.xlsx"), "template_example.xlsx", create_batches="true", strict="true")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["state"], body["created_batches"], body["imported"]) == ("committed", 3, 3)
    assert len(body["batches"]) == 3
    assert db.session.execute(sa.select(sa.func.count()).select_from(Batch)).scalar_one() == before + 3


def test_strict_mode_refuses_a_file_with_a_rejected_row_with_422(api, db):
    from lims.models import Result

    r = api(problem_file(), "problems.csv", strict="true")
    assert r.status_code == 422
    body = r.get_json()
    assert_error_shape(body, 422)
    assert body["state"] == "rejected" and body["imported"] == 0
    assert any(p["row"] == 4 for p in body["problems"])
    assert db.session.execute(sa.select(sa.func.count()).select_from(Result)).scalar_one() == 0


@pytest.mark.parametrize("data,name", [
    (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2048, "old.xls"),
    (b"", "empty.csv"),
    (bytes(range(256)) * 8, "noise.csv"),
])
def test_a_refused_file_answers_422_with_the_error_shape_and_the_report(api, db, data, name):
    from lims.models import Result

    r = api(data, name)
    assert r.status_code == 422
    body = r.get_json()
    assert_error_shape(body, 422)
    assert body["errors"]["file"] == [body["message"]]
    assert body["state"] == "rejected" and body["sha256"] and body["filename"] == name
    assert db.session.execute(sa.select(sa.func.count()).select_from(Result)).scalar_one() == 0


def test_the_same_file_again_answers_409_with_when_and_by_whom(api, world):
    data = sample_bytes("analyzer.csv")
    first = api(data, "analyzer.csv")
    assert first.status_code == 200
    again = api(data, "analyzer-copy.csv", user=world.admin)
    assert again.status_code == 409
    body = again.get_json()
    assert_error_shape(body, 409)
    assert body["state"] == "already_imported" and body["id"] == first.get_json()["id"]
    assert body["previous_by"] == world.tech.display_name and body["previous_at"]
    assert world.tech.display_name in body["message"]


def test_without_a_token_401_and_for_a_market_manager_403(api, world, db):
    from lims.models import Import

    r = api(problem_file(), headers={})
    assert r.status_code == 401
    assert_error_shape(r.get_json(), 401)
    r = api(problem_file(), headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    r = api(problem_file(), user=world.manager)
    assert r.status_code == 403
    assert_error_shape(r.get_json(), 403)
    r = api(problem_file(), user=world.regulator, dry_run="true")
    assert r.status_code == 403
    assert db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one() == 0


def test_a_wrong_forced_format_is_refused_cleanly(api, db):
    # (template-xlsx would accept this file: its header aliases cover the tester's columns)
    for fmt in ("gold-xlsx", "analyzer-csv", "no-such-format"):
        r = api(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", format=fmt, dry_run="true")
        assert r.status_code == 422, fmt
        body = r.get_json()
        assert_error_shape(body, 422)
        assert body["state"] == "rejected"
    r = api(sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", format="pesticide-csv")
    assert r.status_code == 200 and r.get_json()["imported"] == 11


def test_the_file_field_is_required(api):
    r = api(None)
    assert r.status_code == 422
    body = r.get_json()
    assert_error_shape(body, 422)
    assert "file" in body["errors"]


def test_bad_query_flags_are_a_client_error(api):
    r = api(problem_file(), dry_run="maybe")
    assert r.status_code in (400, 422)
    assert_error_shape(r.get_json(), r.status_code)


def test_the_route_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/imports"]


def test_a_refused_file_keeps_its_own_log_entry(api, db):
    from lims.models import Import

    r = api(b"", "empty.csv")
    assert r.status_code == 422
    entries = db.session.execute(sa.select(Import)).scalars().all()
    assert [(e.status, e.filename, e.source) for e in entries] == [("rejected", "empty.csv", "api")]


def test_the_warnings_of_imported_rows_are_reported(api):
    r = api(sample_bytes("gold_reader.xlsx"), "gold_reader.xlsx")
    assert r.status_code == 200
    body = r.get_json()
    reported = body["problems"] + body["row_details"]
    assert any("KJ-2611-01" in w for row in reported for w in row.get("warnings", []))
