"""House rules of the reports package: no app imports, documented public API, no floats for money, speed."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import subprocess
import sys
import typing
from decimal import Decimal
from pathlib import Path

import report_samples as S
from report_tools import ZH

import reports
import reports.data as data
from reports.pdf.monthly_report import render_monthly_report

PACKAGE = Path(reports.__file__).parent
FORBIDDEN = {"lims", "flask", "sqlalchemy", "flask_sqlalchemy", "flask_login", "flask_babel", "werkzeug"}


def modules():
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="reports."):
        yield importlib.import_module(info.name)


def test_no_application_imports_in_source():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_importing_reports_loads_no_web_or_database_code():
    code = ("import sys, reports, reports.svg, reports.monthly_charts, reports.wording; "
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r}); "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stdout + done.stderr


def test_public_functions_and_classes_have_docstrings():
    missing = []
    for module in modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                if not (obj.__doc__ or "").strip():
                    missing.append(f"{module.__name__}.{name}")
    assert not missing, missing


def test_no_module_named_utils():
    assert not [p for p in PACKAGE.rglob("*.py") if p.stem in {"utils", "helpers", "misc", "common"}]


def test_weights_and_money_are_never_float():
    for name, cls in vars(data).items():
        if not (inspect.isclass(cls) and dataclasses.is_dataclass(cls)):
            continue
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name.endswith(("_kg", "fee")) or f.name in {"kg_disposed"}:
                assert "float" not in str(hints[f.name]) and "Decimal" in str(hints[f.name]), f"{name}.{f.name}"
            assert "float" not in str(hints[f.name]) or cls is data.LabelGrid, f"{name}.{f.name}"


def test_sample_data_uses_decimals():
    assert isinstance(S.batch_report().quantity_kg, Decimal)
    assert all(isinstance(p.kg_disposed, Decimal) for p in S.monthly_report().positives)


def test_large_monthly_report_renders(cjk_font):
    """Speed is measured in bench/report_bench.py, not here (timed tests are flaky)."""
    report = S.large_monthly_report(sites=50, items=30, positives=600)
    assert len(report.by_site) == 50 and len(report.by_item) == 30 and len(report.positives) == 600
    assert render_monthly_report(report, ZH, font=cjk_font).startswith(b"%PDF")
