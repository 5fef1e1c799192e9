"""``read_session()`` without a usable replica: nothing configured reads the primary; a replica
that cannot be reached is passed over (the report is still made, from the primary, and says
nothing of a replica); a URL that is no PostgreSQL replica is refused at start. The real replica
is tests/reporting/test_replica_pg.py."""
from __future__ import annotations

import io
import socket
from datetime import date

import pytest


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the with block ends: nothing listens there


def test_a_replica_url_must_name_postgresql(tmp_path):
    from tests.conftest import make_test_app

    with pytest.raises(ValueError, match="LIMS_DATABASE_REPLICA_URL"):
        make_test_app(f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path, DATABASE_REPLICA_URL=f"sqlite:///{tmp_path / 'r'}")


def test_without_a_replica_reads_stay_on_the_primary(app, db, ctx):
    from lims.replica import read_session

    before = db.session()
    with read_session() as source:
        assert source is None and db.session() is before


def test_an_unreachable_replica_is_passed_over(app, db, ctx, make_user, monkeypatch, caplog):
    from openpyxl import load_workbook

    from lims.accounts.access import Actor
    from lims.replica import read_session
    from lims.reporting.monthly import monthly_xlsx

    monkeypatch.setitem(app.config, "REPORT_ISSUER", "测试区市场监督管理局")
    monkeypatch.setitem(app.extensions, "lims.replica", {
        "url": f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/lims_jobs_nothing", "engine": None,
        "pid": None})
    before = db.session()
    with read_session() as source:
        assert source is None and db.session() is before
    assert "replica unavailable, reading the primary" in caplog.text
    admin = Actor(user=make_user("admin"), ip="test")
    book = load_workbook(io.BytesIO(monthly_xlsx(admin, date(2026, 11, 1))))
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("月度快检报告" in c or "测试区市场监督管理局" in c for c in cells)
    assert not any("副本延迟" in c for c in cells)
    app.extensions["lims.replica"]["engine"].dispose()
