"""The reported case: a template .xlsx whose 检测值 holds 0.552 formatted 0.00 % (the sheet
shows 55.20 %) must import as 55.2 % — a positive — not as 0.552 % and a passed batch."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.imports.conftest import INSTRUMENT_DATA, results_of


@pytest.mark.parametrize("name", ["template_formats_libreoffice.xlsx", "template_formats_xlsxwriter.xlsx"])
def test_a_percentage_typed_in_a_spreadsheet_is_judged_as_shown(world, register, run, db, name):
    from lims.models import Batch

    foods = ["青菜", "菠菜", "芹菜", "韭菜", "生菜", "油麦菜"]
    made = {n: register(f"S-20261120-00{n}", "城东综合市场", "A-01", food) for n, food in enumerate(foods, start=1)}
    report = run((INSTRUMENT_DATA / name).read_bytes(), name)
    assert report.status == "committed", report.error
    results = results_of(db, report.import_id)
    first, fourth = results[2], results[5]
    assert (first.value, first.outcome, first.instrument_outcome, first.disagrees) == \
        (Decimal("55.2"), "positive", "negative", True)  # the sheet said 合格: the reviewer is told
    assert (fourth.value, fourth.outcome) == (Decimal("60"), "positive")
    assert (results[3].value, results[3].outcome) == (Decimal("12.5"), "negative")
    for n in (1, 4):
        assert db.session.get(Batch, made[n].id).status != "passed"
