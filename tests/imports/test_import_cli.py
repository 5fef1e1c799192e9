"""``flask lims import FILE [--format] [--dry-run] [--strict] [--create-batches] [--user]``:
exit 0 when imported or nothing to do, 1 when the file is refused; the output has the summary
and every problem with its row."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.imports.conftest import (IMPORT_DATA, INSTRUMENT_DATA, PESTICIDE_HEADER, make_csv, pesticide_row,
                                    row_label)


@pytest.fixture
def cli(app, world, batches, db):
    db.session.commit()
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=["lims", "import", *[str(a) for a in args]])
        db.session.expire_all()
        return result

    return invoke


def _imports(db):
    from lims.models import Import

    return db.session.execute(sa.select(Import).order_by(Import.id)).scalars().all()


def _results(db):
    from lims.models import Result

    return db.session.execute(sa.select(Result).order_by(Result.id)).scalars().all()


def test_a_file_imports_with_exit_0_and_a_summary(cli, db, world):
    result = cli(INSTRUMENT_DATA / "pesticide_tester.csv", "--user", world.tech.username)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("pesticide_tester.csv: imported") and "[pesticide-csv]" in lines[0]
    assert "rows 12: ok 11, rejected 0, unmatched 0, no data 1" in result.output
    assert "positives 1" in result.output
    assert "row 15 [no_data]" in result.output
    (entry,) = _imports(db)
    assert (entry.status, entry.source, entry.created_by_id, entry.imported) == ("committed", "cli", world.tech.id, 11)
    assert len(_results(db)) == 11


def test_without_user_the_first_administrator_imports(cli, db, world):
    result = cli(INSTRUMENT_DATA / "analyzer.csv")
    assert result.exit_code == 0, result.output
    (entry,) = _imports(db)
    assert entry.created_by.role == "admin"


def test_every_problem_is_printed_with_its_row(cli, db, tmp_path, world, lot):
    lot("CLB", "KJ-EXPIRED", expires_on=date(2026, 11, 19))
    db.session.commit()
    result = cli(IMPORT_DATA / "gold_row_problems.xlsx", "--user", world.tech.username)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ok 3, rejected 3" in out
    for n, word in ((3, "2026-11-19"), (4, "苏丹红"), (5, "2099")):
        line = next(l for l in out.splitlines() if l.strip().startswith(f"row {n} [rejected]"))
        assert word in line and row_label(n).search(line)
    assert any(l.strip().startswith("row 6 [ok]") and "KJ-NEW-99" in l for l in out.splitlines())  # a warning


def test_dry_run_saves_nothing(cli, db):
    result = cli(INSTRUMENT_DATA / "gold_reader.xlsx", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "rows 6: ok 6" in result.output
    assert _imports(db) == [] and _results(db) == []


def test_strict_refuses_the_file_with_exit_1(cli, db, tmp_path):
    path = tmp_path / "problems.csv"
    path.write_bytes(make_csv([pesticide_row(1, "S-20261120-001"),
                               pesticide_row(2, "S-20261120-002", item="瘦肉精X", when="2026-11-20 09:12:05")],
                              PESTICIDE_HEADER))
    result = cli(path, "--strict")
    assert result.exit_code == 1, result.output
    assert "REFUSED" in result.output.splitlines()[0]
    assert "瘦肉精X" in result.output and "row 3 [rejected]" in result.output
    assert _results(db) == []
    assert [(e.status, e.strict) for e in _imports(db)] == [("rejected", True)]  # only its own log entry


@pytest.mark.parametrize("name,data", [
    ("old.xls", bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2048),
    ("empty.csv", b""),
    ("noise.csv", bytes(range(256)) * 8),
])
def test_a_refused_file_exits_1_and_says_why(cli, db, tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    result = cli(path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "REFUSED" in lines[0] and len(lines) >= 2 and lines[1].strip()
    if name.endswith(".xls"):
        assert "xlsx" in result.output
    assert _results(db) == []
    assert [e.status for e in _imports(db)] == ["rejected"]


def test_the_same_file_twice_is_nothing_to_do(cli, db, world):
    path = INSTRUMENT_DATA / "analyzer.csv"
    assert cli(path, "--user", world.tech.username).exit_code == 0
    again = cli(path)
    assert again.exit_code == 0, again.output
    assert "already imported" in again.output and world.tech.display_name in again.output
    assert len(_imports(db)) == 1 and len(_results(db)) == 6


def test_format_and_create_batches_options(cli, db, tmp_path):
    wrong = cli(INSTRUMENT_DATA / "pesticide_tester.csv", "--format", "analyzer-csv")
    assert wrong.exit_code == 1 and "REFUSED" in wrong.output
    created = cli(INSTRUMENT_DATA / "template_example.xlsx", "--format", "template-xlsx", "--create-batches")
    assert created.exit_code == 0, created.output
    assert "new batches 3" in created.output
    assert len(_results(db)) == 3


def test_an_unknown_user_is_an_error(cli, db):
    result = cli(INSTRUMENT_DATA / "analyzer.csv", "--user", "nobody-here")
    assert result.exit_code != 0
    assert "nobody-here" in result.output
    assert _imports(db) == []


def test_a_missing_file_is_a_usage_error(cli, tmp_path):
    result = cli(tmp_path / "not-there.csv")
    assert result.exit_code == 2


def test_a_user_who_may_not_import_gets_a_message_not_a_traceback(cli, db, world):
    result = cli(INSTRUMENT_DATA / "analyzer.csv", "--user", world.manager.username)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an uncaught exception
    assert "not allowed" in result.output.lower() or "不允许" in result.output or "无权" in result.output
    assert _imports(db) == []
