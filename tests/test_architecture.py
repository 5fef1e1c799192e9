"""The dependency rules of architecture.md, checked on the source."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["instruments", "reports"])
def test_parsers_and_renderers_know_nothing_of_the_app(package):
    for path in (ROOT / package).rglob("*.py"):
        bad = imported_modules(path) & {"lims", "flask", "flask_sqlalchemy", "sqlalchemy", "flask_babel"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_rules_are_pure():
    for path in (ROOT / "lims" / "rules").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bad = imported_modules(path) & {"flask", "flask_sqlalchemy", "sqlalchemy", "flask_babel", "requests"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lims") \
                    and not node.module.startswith("lims.rules"):
                raise AssertionError(f"{path.relative_to(ROOT)} imports {node.module}")
            if isinstance(node, ast.Attribute) and node.attr in ("now", "utcnow", "today") and \
                    isinstance(node.value, (ast.Name, ast.Attribute)) and getattr(node.value, "id", "") in ("datetime", "date"):
                raise AssertionError(f"{path.relative_to(ROOT)} reads the clock; pass `now` in")


def test_views_do_not_commit():
    """One request = one transaction: views and API routes never commit themselves (except
    sign-in, which must keep the failure count)."""
    for folder in (ROOT / "lims").iterdir():
        for name in ("views.py", "api.py"):
            path = folder / name
            if path.exists() and folder.name != "accounts":
                assert "session.commit(" not in path.read_text(encoding="utf-8"), path
    for path in (ROOT / "lims" / "api").glob("*.py"):
        assert "session.commit(" not in path.read_text(encoding="utf-8"), path
