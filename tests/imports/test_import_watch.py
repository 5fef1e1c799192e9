"""The watched folder: each settled file is imported once and moved to done/ or failed/ with
a log beside it; restarts never import twice; files still being written are left alone."""
from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa

from tests.imports.conftest import sample_bytes

OLE2 = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2048


@pytest.fixture
def folder(tmp_path, world, batches, db):
    db.session.commit()
    path = tmp_path / "drop"
    path.mkdir()
    return path


def settled(path, age=600):
    """Pretend the file was copied in ``age`` seconds ago."""
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def drop(folder, name, data: bytes, age=600):
    path = folder / name
    path.write_bytes(data)
    return settled(path, age) if age else path


@pytest.fixture
def scan(world, db):
    from lims.imports import watch

    def run(folder, **kw):
        lines = []
        n = watch.scan(folder, username=world.tech.username, echo=lines.append, **kw)
        db.session.expire_all()
        return n, lines

    return run


def _count(db, model, *where):
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def test_new_files_are_imported_and_moved_with_a_log(folder, scan, db, world):
    from lims.models import Import, Result

    drop(folder, "pesticide_tester.csv", sample_bytes("pesticide_tester.csv"))
    drop(folder, "gold_reader.xlsx", sample_bytes("gold_reader.xlsx"))
    drop(folder, "old.xls", OLE2)
    drop(folder, "readme.pdf", b"%PDF-1.4")  # not an instrument file: left alone
    drop(folder, ".partial.csv", sample_bytes("analyzer.csv"))  # hidden: left alone

    handled, lines = scan(folder)
    assert handled == 3
    assert sorted(p.name for p in (folder / "done").iterdir()) == [
        "gold_reader.xlsx", "gold_reader.xlsx.log", "pesticide_tester.csv", "pesticide_tester.csv.log"]
    assert sorted(p.name for p in (folder / "failed").iterdir()) == ["old.xls", "old.xls.log"]
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == [".partial.csv", "readme.pdf"]
    assert (folder / "done" / "pesticide_tester.csv").read_bytes() == sample_bytes("pesticide_tester.csv")

    log = (folder / "done" / "pesticide_tester.csv.log").read_text(encoding="utf-8")
    assert "imported" in log and "rows 12: ok 11" in log and "row 15 [no_data]" in log
    failed = (folder / "failed" / "old.xls.log").read_text(encoding="utf-8")
    assert "REFUSED" in failed and "xlsx" in failed
    assert any("pesticide_tester.csv: imported" in l for l in lines)

    assert _count(db, Result) == 17
    sources = db.session.execute(sa.select(Import.source, Import.status, Import.created_by_id)).all()
    assert sorted(sources) == sorted([("watch", "committed", world.tech.id), ("watch", "committed", world.tech.id),
                                      ("watch", "rejected", world.tech.id)])


def test_scanning_again_imports_nothing_twice(folder, scan, db):
    from lims.models import Import, Result

    drop(folder, "analyzer.csv", sample_bytes("analyzer.csv"))
    assert scan(folder)[0] == 1
    assert scan(folder) == (0, [])
    # The same bytes dropped again (say, the instrument PC copied it twice) are recognised.
    drop(folder, "analyzer.csv", sample_bytes("analyzer.csv"))
    handled, lines = scan(folder)
    assert handled == 1
    assert (folder / "done" / "analyzer.1.csv").exists()
    assert "already imported" in (folder / "done" / "analyzer.1.csv.log").read_text(encoding="utf-8")
    assert _count(db, Result) == 6 and _count(db, Import) == 1


def test_a_file_imported_but_not_moved_is_only_moved(folder, scan, db, world):
    from lims.imports.cli import run_cli_import
    from lims.models import Import, Result

    path = drop(folder, "gold_reader.xlsx", sample_bytes("gold_reader.xlsx"))
    report = run_cli_import(path, username=world.tech.username, source="watch")  # …then the watcher died
    assert report.status == "committed"
    assert _count(db, Result) == 6
    handled, lines = scan(folder)
    assert handled == 1
    assert not path.exists() and (folder / "done" / "gold_reader.xlsx").exists()
    log = (folder / "done" / "gold_reader.xlsx.log").read_text(encoding="utf-8")
    assert "already imported" in log and world.tech.display_name in log
    assert _count(db, Result) == 6 and _count(db, Import) == 1


def test_a_file_still_being_written_is_left_until_it_settles(folder, scan, db, monkeypatch):
    from lims.imports import watch
    from lims.models import Result

    monkeypatch.setattr(watch, "SETTLE_SECONDS", 0.05)
    data = sample_bytes("analyzer.csv")
    path = drop(folder, "analyzer.csv", data[:200], age=0)  # mtime now

    class Copying:
        """The copy goes on while the watcher waits for the size to settle."""

        @staticmethod
        def time():
            return time.time()

        @staticmethod
        def sleep(seconds):
            assert seconds <= 0.05
            with path.open("ab") as f:
                f.write(data[200:400])

    monkeypatch.setattr(watch, "time", Copying)
    assert scan(folder) == (0, [])
    assert path.exists() and not (folder / "done").exists() and not (folder / "failed").exists()
    assert _count(db, Result) == 0

    monkeypatch.setattr(watch, "time", time)
    path.write_bytes(data)  # the copy finished just now and the size no longer changes
    handled, _ = scan(folder)
    assert handled == 1 and (folder / "done" / "analyzer.csv").exists()
    assert _count(db, Result) == 6


def test_a_crash_on_one_file_does_not_stop_the_others(folder, scan, db, monkeypatch):
    from lims.imports import cli as import_cli
    from lims.models import Import, Result

    real = import_cli.run_import

    def flaky(actor, data, options, **kw):
        if options.filename == "a_broken.csv":
            raise RuntimeError("database went away")
        return real(actor, data, options, **kw)

    monkeypatch.setattr(import_cli, "run_import", flaky)
    drop(folder, "a_broken.csv", sample_bytes("pesticide_tester.csv"))
    drop(folder, "b_good.csv", sample_bytes("analyzer.csv"))
    handled, lines = scan(folder)
    assert handled == 2
    assert "FAILED" in (folder / "failed" / "a_broken.csv.log").read_text(encoding="utf-8")
    assert (folder / "done" / "b_good.csv").exists()
    assert _count(db, Result) == 6 and _count(db, Import) == 1


def test_the_watch_command_once(app, folder, world, db):
    from lims.models import Result

    drop(folder, "analyzer.csv", sample_bytes("analyzer.csv"))
    result = app.test_cli_runner().invoke(args=["lims", "watch", str(folder), "--once", "--user",
                                                world.tech.username])
    assert result.exit_code == 0, result.output
    assert "analyzer.csv: imported" in result.output
    db.session.expire_all()
    assert _count(db, Result) == 6
    assert (folder / "done" / "analyzer.csv.log").exists() and (folder / "failed").is_dir()


def test_a_file_copied_with_its_old_mtime_is_not_imported_while_still_growing(folder, scan, db, monkeypatch):
    from lims.imports import watch
    from lims.models import Result

    monkeypatch.setattr(watch, "SETTLE_SECONDS", 0.05)
    data = sample_bytes("analyzer.csv")
    cut = data.index(b"\n", data.index(b"S-20261120-202")) + 1  # header and two records so far
    path = drop(folder, "analyzer.csv", data[:cut], age=3600)  # the copy keeps the instrument PC's mtime

    class Copying:
        @staticmethod
        def time():
            return time.time()

        @staticmethod
        def sleep(seconds):
            with path.open("ab") as f:
                f.write(data[cut:cut + 100])

    monkeypatch.setattr(watch, "time", Copying)
    handled, _ = scan(folder)
    assert handled == 0 and path.exists()
    assert _count(db, Result) == 0
