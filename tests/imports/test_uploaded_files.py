"""Files people upload (issue 10.1 and 10.7): an imported original is stored under a name of
our own and served as opaque bytes, as an attachment, sandboxed — old rows stored under
their own extension included; uploads waiting for their commit are format-checked before
they are kept, limited per user, swept after a day, and kept apart from what a backup holds."""
from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.imports.conftest import PESTICIDE_HEADER, make_csv, pesticide_row

JS_FIRST_LINE = "window.__pwned = 1; /*"


@pytest.fixture
def data_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def web(world, batches, client, db, data_dir):
    db.session.commit()
    client.login(world.tech)
    return client


def polyglot(code="S-20261120-001") -> bytes:
    """A pesticide CSV that is also JavaScript (title lines above the header are allowed)."""
    return make_csv([pesticide_row(1, code)], PESTICIDE_HEADER, title=[JS_FIRST_LINE], footer=["*/"])


def upload(client, data: bytes, filename: str, path="/imports/preview", **fields):
    payload = {"file": (io.BytesIO(data), filename), "csrf_token": client.csrf("/imports/new"), **fields}
    return client.post(path, data=payload, content_type="multipart/form-data", headers={"Accept": "application/json"}
                       if path == "/imports/upload" else {})


def commit(client, data: bytes, filename: str) -> int:
    page = upload(client, data, filename).get_data(as_text=True)
    sha = re.search(r'name="sha256" value="([^"]*)"', page).group(1)
    r = client.post_form("/imports/commit", {"sha256": sha, "action": "commit"}, csrf_from="/imports/new")
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    return int(urlparse(r.headers["Location"]).path.rsplit("/", 1)[1])


def assert_served_as_opaque_attachment(response):
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_original_named_like_a_script_is_stored_under_our_name_and_served_as_bytes(web, db, data_dir):
    from lims.models import Import

    import_id = commit(web, polyglot(), "x.js")
    entry = db.session.get(Import, import_id)
    assert Path(entry.stored_path).name == f"{entry.sha256}.bin"
    assert not list(data_dir.rglob("*.js"))
    r = web.get(f"/imports/{import_id}/file")
    try:
        assert_served_as_opaque_attachment(r)
        assert r.get_data() == polyglot()
        assert "filename=x.js" in r.headers["Content-Disposition"]  # the name is only a suggestion to save
    finally:
        r.close()


@pytest.mark.parametrize("extension", [".js", ".html", ".svg", ".csv"])
def test_an_original_stored_before_under_its_own_extension_is_still_served_safely(web, db, data_dir, world,
                                                                                  extension):
    from lims.database import utcnow
    from lims.models import Import

    data = b"<script>window.__pwned = 1</script>"
    rel = Path("imports") / "2026" / "11" / f"{'ab' * 32}{extension}"
    (data_dir / rel).parent.mkdir(parents=True)
    (data_dir / rel).write_bytes(data)
    entry = Import(sha256="ab" * 32, filename=f"old{extension}", format="pesticide-csv", size_bytes=len(data),
                   status="committed", source="web", stored_path=str(rel), created_by_id=world.tech.id,
                   created_at=utcnow())
    db.session.add(entry)
    db.session.commit()
    r = web.get(f"/imports/{entry.id}/file")
    try:
        assert_served_as_opaque_attachment(r)
        assert r.get_data() == data
    finally:
        r.close()


# --- pending uploads -------------------------------------------------------------------------

def pending_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*.bin") if "pending" in p.parts)


def test_random_bytes_are_refused_at_upload_and_nothing_is_kept(web, data_dir):
    junk = os.urandom(256 * 1024)
    r = upload(web, junk, "junk.csv", path="/imports/upload")
    assert r.status_code == 422
    assert r.get_json()["message"]
    assert pending_files(data_dir) == []
    assert not any(p.is_file() for p in data_dir.rglob("*"))


def test_pending_uploads_live_in_their_own_directory(web, data_dir):
    from lims.imports import pending

    r = upload(web, polyglot(), "a.csv", path="/imports/upload")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    [kept] = pending_files(data_dir)
    assert kept.relative_to(data_dir).parts[0] == pending.PENDING_DIR
    assert pending.PENDING_DIR in pending.BACKUP_SKIP


def test_a_user_keeps_only_the_newest_few_pending_uploads(web, data_dir, world, client, app):
    from lims.imports import pending
    from lims.imports.services import sha256_of

    files = [make_csv([pesticide_row(1, f"S-20261120-{n:03d}")], PESTICIDE_HEADER) for n in range(1, 9)]
    urls = []
    for n, data in enumerate(files):
        r = upload(web, data, f"f{n}.csv", path="/imports/upload")
        assert r.status_code == 200
        urls.append(r.get_json()["url"])
        time.sleep(0.01)  # distinct modification times
    assert len(pending_files(data_dir)) == pending.PER_USER_FILES
    assert web.get(urls[0]).status_code == 404  # the oldest went
    assert web.get(urls[-1]).status_code == 200
    kept = {p.stem for p in pending_files(data_dir)}
    assert kept == {sha256_of(d) for d in files[-pending.PER_USER_FILES:]}


def test_the_byte_limit_per_user_drops_the_oldest(app, ctx, data_dir, monkeypatch):
    from lims.imports import pending

    monkeypatch.setattr(pending, "PER_USER_BYTES", 2500)
    for n in range(3):
        pending.put(f"{n:064x}", b"x" * 1000, f"{n}.csv", 7)
        time.sleep(0.01)
    assert pending.get(f"{0:064x}", 7) is None
    assert pending.get(f"{1:064x}", 7) is not None and pending.get(f"{2:064x}", 7) is not None


def test_an_upload_belongs_to_its_uploader_only(app, ctx, data_dir):
    from lims.imports import pending

    sha = "c" * 64
    pending.put(sha, b"data", "a.csv", 1)
    assert pending.get(sha, 1) == (b"data", "a.csv")
    assert pending.get(sha, 2) is None
    assert pending.get("../" + sha, 1) is None


def test_expired_uploads_are_neither_used_nor_kept(web, data_dir):
    from lims.imports import pending

    r = upload(web, polyglot(), "a.csv", path="/imports/upload")
    url = r.get_json()["url"]
    [kept] = pending_files(data_dir)
    old = time.time() - pending.KEEP_SECONDS - 60
    os.utime(kept, (old, old))
    assert web.get(url).status_code == 404  # expired, even before any sweep
    assert not kept.exists()

    stale = data_dir / "pending" / "99" / ("d" * 64 + ".bin")
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left over")
    os.utime(stale, (old, old))
    legacy = data_dir / "imports" / "pending" / ("e" * 64 + ".bin")
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"from before")
    os.utime(legacy, (old, old))
    assert upload(web, make_csv([pesticide_row(1, "S-20261120-002")], PESTICIDE_HEADER), "b.csv",
                  path="/imports/upload").status_code == 200
    assert not stale.exists() and not legacy.exists()  # swept by the next upload
    assert len(pending_files(data_dir)) == 1


def test_a_backup_leaves_pending_uploads_out(app, ctx, data_dir, tmp_path_factory):
    import tarfile

    from lims.backup import write_backup
    from lims.imports import pending

    pending.put("f" * 64, b"waiting for its commit", "p.csv", 3)
    legacy = data_dir / "imports" / "pending" / ("e" * 64 + ".bin")
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"from before")
    kept = data_dir / "imports" / "2026" / "12" / ("a" * 64 + ".bin")
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"an imported original")
    out = tmp_path_factory.mktemp("backup") / "backup.tar.gz"
    write_backup(str(out))
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert f"data/imports/2026/12/{'a' * 64}.bin" in names
    assert not [n for n in names if "pending" in n]


def test_lims_tick_sweeps_expired_uploads_without_waiting_for_an_upload(app, data_dir):
    """Expired uploads leave the disk on the cron tick, not only when someone uploads again."""
    from lims.imports import pending

    old = time.time() - pending.KEEP_SECONDS - 60
    stale = data_dir / "pending" / "98" / ("c" * 64 + ".bin")
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"nobody committed this")
    os.utime(stale, (old, old))
    fresh = data_dir / "pending" / "98" / ("b" * 64 + ".bin")
    fresh.write_bytes(b"waiting for its preview")
    result = app.test_cli_runner().invoke(args=["lims", "tick"])
    assert result.exit_code == 0, result.output
    assert "1 expired upload removed" in result.output
    assert not stale.exists() and fresh.exists()
