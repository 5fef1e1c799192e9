"""The import pages: upload → preview → assign → commit → summary, the template download,
the original file, CSRF and who may reach them."""
from __future__ import annotations

import io
import re
from urllib.parse import urlparse

import openpyxl
import pytest
import sqlalchemy as sa

from tests.imports.conftest import (PESTICIDE_HEADER, make_csv, pesticide_row, row_label, sample_bytes)

WORDS = {"positive": r"(阳性|不合格|Positive)", "negative": r"(阴性|合格|Negative)"}


@pytest.fixture
def web(world, batches, client, db):
    """Signed in as the technician, with the world committed (a 4xx rolls the session back)."""
    db.session.commit()
    client.login(world.tech)
    return client


def mixed_file() -> bytes:
    return make_csv([
        pesticide_row(1, "S-20261120-001"),  # line 2: ready
        pesticide_row(2, "X-NOPE-0002", when="2026-11-20 09:12:05"),  # line 3: unmatched
        pesticide_row(3, "S-20261120-002", item="瘦肉精X", when="2026-11-20 09:13:05"),  # line 4: unknown item
        pesticide_row(4, "S-20261120-003", value="62.3", word="不合格", when="2026-11-20 09:14:05"),  # 5: positive
    ], PESTICIDE_HEADER)


def upload(client, data: bytes, filename: str, path="/imports/preview", csrf=True, **fields):
    payload = {"file": (io.BytesIO(data), filename), **fields}
    if csrf:
        payload["csrf_token"] = client.csrf("/imports/new")
    return client.post(path, data=payload, content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field"
    return match.group(1)


def test_the_upload_page_offers_the_formats_and_the_template(web):
    r = web.get("/imports/new")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    for fmt in ("pesticide-csv", "gold-xlsx", "analyzer-csv", "template-xlsx"):
        assert f'value="{fmt}"' in html
    assert "/imports/template.xlsx" in html


def test_preview_then_assign_then_commit_then_summary(web, db, world):
    from lims.models import Import, Result

    r = upload(web, mixed_file(), "mixed.csv")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    # Nothing saved by the preview.
    assert db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one() == 0
    assert "import-counts" in html
    for status, n in (("ok", 2), ("unmatched", 3), ("rejected", 4), ("ok", 5)):
        assert re.search(rf'<tr class="row-{status}[^"]*">\s*<td>{n}</td>', html), (status, n)
    assert row_label(4).search(html) and "瘦肉精X" in html  # the problem, with its row
    assert row_label(3).search(html) and "X-NOPE-0002" in html
    assert 'name="assign-3"' in html and 'name="assign-2"' not in html
    assert "outcome-positive" in html and re.search(WORDS["positive"], html)
    assert "outcome-negative" in html and re.search(WORDS["negative"], html)
    sha = hidden(html, "sha256")

    r = web.post_form("/imports/commit", {"sha256": sha, "action": "commit", "assign-3": "s-20261120-004"},
                      csrf_from="/imports/new")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    target = urlparse(r.headers["Location"]).path
    assert re.fullmatch(r"/imports/\d+", target)
    entry = db.session.get(Import, int(target.rsplit("/", 1)[1]))
    assert (entry.status, entry.imported, entry.rejected, entry.unmatched, entry.source) == \
        ("committed", 3, 1, 0, "web")
    results = db.session.execute(sa.select(Result).where(Result.import_id == entry.id)).scalars().all()
    assert {(r.import_row, r.batch.code, r.outcome) for r in results} == {
        (2, "S-20261120-001", "negative"), (3, "S-20261120-004", "negative"), (5, "S-20261120-003", "positive")}

    summary = web.get(target)
    assert summary.status_code == 200
    page = summary.get_data(as_text=True)
    for code in ("S-20261120-001", "S-20261120-003", "S-20261120-004"):
        assert f'href="/batches/{code}"' in page
    assert "瘦肉精X" in page  # the refused row and why
    assert f'href="/imports/{entry.id}/file"' in page

    original = web.get(f"/imports/{entry.id}/file")
    try:
        assert original.status_code == 200 and original.get_data() == mixed_file()
        assert "mixed.csv" in original.headers["Content-Disposition"]
    finally:
        original.close()


def test_the_script_path_uploads_then_opens_the_stored_preview(web, db):
    data = mixed_file()
    r = upload(web, data, "mixed.csv", path="/imports/upload", create_batches="1")
    assert r.status_code == 200
    url = r.get_json()["url"]
    from lims.imports.services import sha256_of

    assert sha256_of(data) in url and "create_batches=1" in url
    page = web.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert hidden(html, "sha256") == sha256_of(data)
    assert re.search(r'name="create_batches" value="1" checked', html)
    assert web.get("/imports/preview/" + "0" * 64).status_code == 404  # expired or never uploaded


def test_previewing_again_with_an_assignment_changes_nothing(web, db):
    from lims.models import Import, Result

    html = upload(web, mixed_file(), "mixed.csv").get_data(as_text=True)
    r = web.post_form("/imports/commit", {"sha256": hidden(html, "sha256"), "action": "preview",
                                          "assign-3": "S-20261120-004"}, csrf_from="/imports/new")
    assert r.status_code == 200
    again = r.get_data(as_text=True)
    assert re.search(r'<tr class="row-ok[^"]*">\s*<td>3</td>', again)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one() == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(Result)).scalar_one() == 0


def test_a_refused_file_shows_why_and_offers_no_commit(web):
    r = upload(web, bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2048, "old.xls")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "xlsx" in html and "alert-danger" in html
    assert 'name="action" value="commit"' not in html


def test_a_file_imported_before_is_reported_with_who_and_when(web, world):
    data = sample_bytes("pesticide_tester.csv")
    html = upload(web, data, "pesticide_tester.csv").get_data(as_text=True)
    r = web.post_form("/imports/commit", {"sha256": hidden(html, "sha256"), "action": "commit"},
                      csrf_from="/imports/new")
    assert r.status_code == 302
    again = upload(web, data, "pesticide_tester.csv")
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert world.tech.display_name in page and "alert-info" in page
    assert 'name="action" value="commit"' not in page


def test_the_entry_template_downloads_as_a_workbook_the_template_parser_reads(web):
    from datetime import datetime, timezone

    from instruments import parse_file

    r = web.get("/imports/template.xlsx")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in r.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    assert len(wb.sheetnames) >= 2  # the rows and the instructions
    parsed = parse_file(r.data, filename="template.xlsx", now=datetime(2026, 11, 21, tzinfo=timezone.utc))
    assert parsed.format == "template-xlsx"
    assert parsed.problems == [] and parsed.readings == []  # the blank data sheet imports nothing
    examples = parse_file(r.data, filename="template.xlsx", sheet="示例",
                          now=datetime(2026, 11, 21, tzinfo=timezone.utc))
    assert examples.problems == [] and len(examples.readings) >= 3
    assert all(r.item and r.tested_at for r in examples.readings)


def test_the_posts_need_the_csrf_token(web, db):
    from lims.models import Import

    data = mixed_file()
    assert upload(web, data, "mixed.csv", csrf=False).status_code == 400
    assert upload(web, data, "mixed.csv", path="/imports/upload", csrf=False).status_code == 400
    html = upload(web, data, "mixed.csv").get_data(as_text=True)
    r = web.post("/imports/commit", data={"sha256": hidden(html, "sha256"), "action": "commit"})
    assert r.status_code == 400
    assert db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one() == 0


def test_a_market_manager_gets_403(world, client, db):
    db.session.commit()
    client.login(world.manager)
    assert client.get("/imports/new").status_code == 403
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    r = client.post("/imports/preview", data={"file": (io.BytesIO(mixed_file()), "mixed.csv"), "csrf_token": token},
                    content_type="multipart/form-data")
    assert r.status_code == 403
    assert client.get("/imports/template.xlsx").status_code == 200  # reading is everyone's


def test_anonymous_visitors_are_sent_to_login(client):
    for path in ("/imports/new", "/imports/template.xlsx", "/imports/1", "/imports/1/file",
                 "/imports/preview/" + "0" * 64):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_a_file_refused_at_commit_keeps_its_log_entry(web, db):
    from lims.models import Import

    html = upload(web, mixed_file(), "mixed.csv").get_data(as_text=True)
    r = web.post_form("/imports/commit", {"sha256": hidden(html, "sha256"), "action": "commit", "strict": "1"},
                      csrf_from="/imports/new")
    assert r.status_code == 422
    db.session.expire_all()
    entries = db.session.execute(sa.select(Import)).scalars().all()
    assert [(e.status, e.strict) for e in entries] == [("rejected", True)]


def test_the_script_upload_accepts_the_csrf_header(web):
    token = web.csrf("/imports/new")
    r = web.post("/imports/upload", data={"file": (io.BytesIO(mixed_file()), "mixed.csv")},
                 headers={"X-CSRFToken": token, "Accept": "application/json"}, content_type="multipart/form-data")
    assert r.status_code == 200 and r.get_json()["url"].startswith("/imports/preview/")


def test_an_upload_without_a_file_is_refused(web):
    token = web.csrf("/imports/new")
    r = web.post("/imports/preview", data={"csrf_token": token}, content_type="multipart/form-data")
    assert r.status_code == 422
    r = web.post("/imports/upload", data={"csrf_token": token}, content_type="multipart/form-data")
    assert r.status_code == 422


def test_an_unknown_forced_format_is_refused(web, db):
    from lims.models import Import

    r = upload(web, mixed_file(), "mixed.csv", format="no-such-format")
    assert r.status_code == 422
    r = upload(web, mixed_file(), "mixed.csv", format="gold-xlsx")
    assert r.status_code == 422 and "alert-danger" in r.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one() == 0


def test_committing_an_unknown_or_expired_preview_is_refused(web, db):
    from lims.models import Import

    r = web.post_form("/imports/commit", {"sha256": "f" * 64, "action": "commit"}, csrf_from="/imports/new")
    assert r.status_code == 409
    r = web.post_form("/imports/commit", {"sha256": "../../etc/passwd", "action": "commit"}, csrf_from="/imports/new")
    assert r.status_code == 409
    assert db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one() == 0


def test_a_preview_committed_after_someone_else_imported_the_file_is_a_conflict(web, db, world):
    from lims.accounts.access import Actor
    from lims.imports.services import ImportOptions, run_import
    from lims.models import Result

    data = sample_bytes("analyzer.csv")
    html = upload(web, data, "analyzer.csv").get_data(as_text=True)
    run_import(Actor(user=world.admin), data, ImportOptions(filename="analyzer.csv", source="api"))
    db.session.commit()
    r = web.post_form("/imports/commit", {"sha256": hidden(html, "sha256"), "action": "commit"},
                      csrf_from="/imports/new")
    assert r.status_code == 409
    assert world.admin.display_name in r.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Result)).scalar_one() == 6


def test_the_page_of_a_refused_import_shows_why(web, db, world):
    from lims.accounts.access import Actor
    from lims.imports.services import ImportOptions, run_import

    report = run_import(Actor(user=world.tech), mixed_file(), ImportOptions(filename="mixed.csv", strict=True))
    assert report.status == "rejected"
    db.session.commit()
    r = web.get(f"/imports/{report.import_id}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "alert-danger" in page and "瘦肉精X" in page and "X-NOPE-0002" in page
    assert f"/imports/{report.import_id}/file" not in page  # nothing stored for a refused file
    assert web.get(f"/imports/{report.import_id}/file").status_code == 404
    assert web.get("/imports/999999").status_code == 404


def test_cell_text_and_file_names_are_escaped_and_chinese_names_download(web, db):
    hostile = make_csv([pesticide_row(1, "<script>alert(1)</script>", food="<b>青菜</b>")], PESTICIDE_HEADER)
    r = upload(web, hostile, "<img src=x onerror=alert(1)>.csv")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "<b>青菜</b>" not in html

    data = sample_bytes("gold_reader.xlsx")
    page = upload(web, data, "胶体金-1120.xlsx").get_data(as_text=True)
    r = web.post_form("/imports/commit", {"sha256": hidden(page, "sha256"), "action": "commit"},
                      csrf_from="/imports/new")
    assert r.status_code == 302
    download = web.get(urlparse(r.headers["Location"]).path + "/file")
    try:
        assert download.status_code == 200 and download.get_data() == data
        assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    finally:
        download.close()
