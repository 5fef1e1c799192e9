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


def _is_select(node) -> bool:
    """An expression building a SELECT: ``select(…)`` / ``sa.select(…)``, or a method chain on one."""
    while isinstance(node, ast.Call):
        func = node.func
        if (isinstance(func, ast.Name) and func.id == "select") or (isinstance(func, ast.Attribute)
                                                                     and func.attr == "select"):
            return True
        node = func.value if isinstance(func, ast.Attribute) else None
    return False


def test_no_not_in_over_a_subquery():
    """``column.not_in(<subquery>)`` is NOT IN (SELECT …): PostgreSQL cannot turn it into an
    anti-join and at ten million results ran one subplan per row — a dashboard for minutes
    (bench/scale_bench.py). Write ``~sa.exists().where(…)`` instead."""
    found = []
    for path in (ROOT / "lims").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            selects = {t.id for n in ast.walk(func) if isinstance(n, ast.Assign) and _is_select(n.value)
                       for t in n.targets if isinstance(t, ast.Name)}
            for call in ast.walk(func):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                        and call.func.attr in ("not_in", "notin_") and call.args:
                    arg = call.args[0]
                    if _is_select(arg) or (isinstance(arg, ast.Name) and arg.id in selects):
                        found.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    allowed = {"lims/pagecache.py"}  # prune(): a handful of change marks, not a table of millions
    assert not [f for f in found if f.split(":")[0] not in allowed], found
