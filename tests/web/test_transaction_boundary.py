"""One request = one transaction (architecture.md): the request commits when the handler
returns and rolls back when it raises — the HTTP status code decides nothing — and e-mail
leaves only after the commit. No view decides the transaction itself."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm.exc import StaleDataError

from tests.conftest import make_test_app
from tests.lifecycle.test_notice_email import inbox  # noqa: F401  (the SMTP fixture)

LIMS = Path(__file__).resolve().parents[2] / "lims"


def _add_site(code: str):
    from lims.extensions import db
    from lims.models import Site

    db.session.add(Site(code=code, name=f"Boundary {code}", kind="market"))
    db.session.flush()


def _raise(kind: str):
    from lims.errors import Conflict

    if kind == "lims":
        raise Conflict("refused after a flush")
    if kind == "http":
        abort(400)
    if kind == "stale":
        raise StaleDataError("changed meanwhile")
    raise RuntimeError("a bug after a flush")


@pytest.fixture(scope="module")
def boundary_app(database_url, tmp_path_factory):
    """The application with a few routes that do work and then answer in different ways."""
    app = make_test_app(database_url, tmp_path_factory.mktemp("boundary"), PROPAGATE_EXCEPTIONS=False,
                        WTF_CSRF_ENABLED=False)

    @app.route("/t/flush-then-raise/<kind>/<code>", methods=["POST"])
    def flush_then_raise(kind, code):
        _add_site(code)
        _raise(kind)

    @app.route("/t/flush-then-answer/<int:status>/<code>", methods=["POST"])
    def flush_then_answer(status, code):
        _add_site(code)
        return "answered without raising", status

    @app.route("/t/notice/<int:user_id>/<then>", methods=["POST"])
    def notice(user_id, then):
        from lims.extensions import db
        from lims.models import User
        from lims.notifications.services import notify

        notify([db.session.get(User, user_id)], "overdue", f"overdue:boundary-{then}", {
            "site": "MA", "stall": "A-01", "food": "韭菜", "code": "CD-261120-001",
            "due": "2026-11-21T08:00:00+00:00"}, "/batches/CD-261120-001")
        if then == "raise":
            _raise("lims")
        return "noticed"

    return app


def _site_kept(db, code: str) -> bool:
    from lims.models import Site

    db.session.expire_all()
    return db.session.execute(sa.select(Site.id).where(Site.code == code)).first() is not None


def _post(app, path):
    with app.app_context():
        return app.test_client().post(path)


@pytest.mark.parametrize("kind, status", [("lims", 409), ("http", 400), ("stale", 409), ("bug", 500)])
def test_a_handler_that_flushes_then_raises_keeps_nothing(boundary_app, db, kind, status):
    r = _post(boundary_app, f"/t/flush-then-raise/{kind}/RB{status}")
    assert r.status_code == status
    assert not _site_kept(db, f"RB{status}")


@pytest.mark.parametrize("status", [200, 201, 400, 409, 422, 429])
def test_a_handler_that_returns_keeps_its_work_whatever_the_status(boundary_app, db, status):
    """The status code a handler chooses (a refused file's report, a refused sign-in's
    form) does not decide the transaction: it returned, so its work is committed."""
    r = _post(boundary_app, f"/t/flush-then-answer/{status}/KA{status}")
    assert r.status_code == status
    assert _site_kept(db, f"KA{status}")


def test_e_mail_leaves_only_after_a_commit(app, boundary_app, db, inbox, make_user):  # noqa: F811
    user = make_user("regulator", email="inspector@example.cn")
    smtp = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_SENDER")}
    boundary_app.config.update(smtp)
    db.session.commit()
    r = _post(boundary_app, f"/t/notice/{user.id}/raise")
    assert r.status_code == 409
    assert inbox.messages == []
    r = _post(boundary_app, f"/t/notice/{user.id}/return")
    assert r.status_code == 200
    assert [m["To"] for m in inbox.messages] == ["inspector@example.cn"]
    boundary_app.config.update(SMTP_HOST=None)


def _view_modules():
    yield from sorted(LIMS.rglob("views.py"))
    yield from sorted((LIMS / "api").glob("*.py"))


def test_no_view_decides_the_transaction():
    """Views and API routes neither commit nor roll back, nor set flags that make the
    request keep an error's work: the request boundary (lims/web.py) alone decides."""
    found = []
    for path in _view_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("commit", "rollback") and \
                    isinstance(node.value, ast.Attribute) and node.value.attr == "session":
                found.append(f"{path.relative_to(LIMS)}:{node.lineno} session.{node.attr}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "g" \
                    and node.attr in ("commit_on_error", "rollback"):
                found.append(f"{path.relative_to(LIMS)}:{node.lineno} g.{node.attr}")
    assert list(_view_modules()), "no view modules found"
    assert found == []
