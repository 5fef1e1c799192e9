"""The report words (one catalogue with the web UI), value formatting and data-class rates."""

from __future__ import annotations

import ast
import re
import string
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from reports.data import BreakdownRow, MonthlyFigures
from reports.formats import (
    count_change_text,
    date_range_text,
    datetime_text,
    kg_text,
    month_bounds,
    rate_change_points,
    rate_text,
    reading_text,
)
from reports.text import Text

from lims.reporting.text import catalogue, text_for

CST = timezone(timedelta(hours=8))
ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3001-\u303f\u4e00-\u9fff\uff01-\uff3e]")  # words and punctuation, not a blank line ＿


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def report_messages() -> dict[tuple[str | None, str], str]:
    """Every fixed label reports/ prints, as ``pybabel extract`` finds it: (context, msgid) -> file."""
    found = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
            str(ROOT / "reports"), method_map=[("**.py", "python")],
            keywords={"_": None, "gettext": None, "pgettext": ((1, "c"), 2), "N_": None}):
        found[(context, message)] = filename
    return found


def test_reports_keep_no_word_table_of_their_own():
    assert not (ROOT / "reports" / "i18n.py").exists()
    assert "[python: reports/**.py]" in (ROOT / "babel.cfg").read_text(encoding="utf-8")
    messages = report_messages()
    assert len(messages) > 250  # the batch report, monthly report, board, labels, event summary and workbooks


def test_every_report_label_is_in_the_one_catalogue_in_chinese_with_its_placeholders():
    with (ROOT / "lims" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        po = {(m.context, m.id): m.string for m in read_po(fp) if m.id}
    zh = catalogue("zh_CN")
    for (context, msgid), filename in report_messages().items():
        assert po.get((context, msgid)), f"{filename}: {msgid!r} ({context}) has no Chinese in messages.po"
        printed = zh.pgettext(context, msgid) if context else zh.gettext(msgid)
        assert printed == po[(context, msgid)], msgid  # the compiled .mo is the .po
        assert fields(printed) == fields(msgid), msgid
        assert CJK.search(printed), (msgid, printed)
        # English is the msgid itself: no Chinese in it, except the import template's help, which
        # quotes the words the file itself takes (阴性, 未检出, 杭州萧山 …)
        assert filename.endswith("template.py") or not CJK.search(msgid), msgid


def test_fixed_wording_never_claims_safety():
    zh = catalogue("zh_CN")
    for context, msgid in report_messages():
        text = zh.pgettext(context, msgid) if context else zh.gettext(msgid)
        assert "安全" not in text and "合格食品" not in text, text
        assert "safe " not in f"{msgid.lower()} ", msgid


def test_reports_code_prints_no_chinese_of_its_own():
    """Chinese in reports/ is docstrings, the import file's and the tree workbook's formats (headers,
    examples, lists) and the public surname rule; every label is an English msgid."""
    allowed = {"wording.py", "template.py", "tree_template.py"}
    for path in (ROOT / "reports").rglob("*.py"):
        if path.name in allowed:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not CJK.search(node.value), f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"


def test_unknown_codes_and_languages():
    L = text_for("zh_CN")
    assert L.outcome("positive") == "阳性" and L.colour("red") == "红" and L.colour("none") == "未评级"
    assert L.site_kind("banquet") == "农村家宴中心" and L.event_kind("major_event") == "重大活动保障"
    assert L.lab_outcome("negative") == "复检阴性" and L.scope("site") == "市场" and L.scope("district") == "辖区"
    assert L.with_note("上城区", "辖区") == "上城区（辖区）" and L.colon == "：" and L.list_sep == "、"
    assert text_for("en").with_note("Shangcheng", "District") == "Shangcheng (District)"
    # Status words are data from the application's wording table, not a second table here.
    assert L.status("disposed") == "disposed"
    words = L.with_status_words({"disposed": "已处置完毕"})
    assert words.status("disposed") == "已处置完毕" and words.outcome("positive") == "阳性"
    assert L.with_status_words(None) is L and L.status("disposed") == "disposed"
    assert L.status("brand_new_status") == "brand_new_status"
    assert L.outcome(None) == "—"
    assert Text().outcome("positive") == "Positive"  # no catalogue: the English msgids
    with pytest.raises(ValueError, match="language"):
        text_for("de")


def test_datetimes_print_local_wall_time():
    assert datetime_text(datetime(2026, 11, 20, 9, 31, 59, tzinfo=CST)) == "2026-11-20 09:31"
    assert datetime_text(None) == "—"
    assert date_range_text(date(2026, 11, 17), date(2026, 11, 19)) == "2026-11-17 ~ 2026-11-19"
    assert date_range_text(date(2026, 11, 17), None) == "2026-11-17"
    assert month_bounds(date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))


@pytest.mark.parametrize(("value", "text"), [(Decimal("15.50"), "15.5"), (Decimal("40"), "40"), (Decimal("0.005"), "0.01"),
                                             (Decimal("1234.565"), "1234.57"), (Decimal("0"), "0"), (None, "—")])
def test_kilograms(value, text):
    assert kg_text(value) == text


def test_readings_keep_qualitative_words():
    assert reading_text(Decimal("12.4"), None, "%") == "12.4 %"
    assert reading_text(None, "未检出", "mg/kg") == "未检出"  # never turned into 0
    assert reading_text(Decimal("0.30"), None, None) == "0.30"
    assert reading_text(None, None, "%") == "—"


def test_rates_and_changes():
    assert rate_text(Decimal(17) / Decimal(2317)) == "0.73%"
    assert rate_text(None) == "—"
    assert rate_change_points(Decimal("0.0073"), Decimal("0.005")) == "+0.23"
    assert rate_change_points(Decimal("0.005"), Decimal("0.005")) == "0.00"
    assert rate_change_points(None, Decimal("0.005")) == "—"
    assert count_change_text(10, 12) == "-2"
    assert count_change_text(Decimal("321.75"), Decimal("100")) == "+221.75"
    assert count_change_text(3, None) == "—"


def test_figures_rates_exclude_suspect_and_invalid():
    f = MonthlyFigures(tests=110, negatives=95, positives=5, suspects=6, invalids=4, dispositions_closed=4)
    assert f.pass_rate == Decimal("0.95")
    assert f.positive_rate == Decimal("0.05")
    assert f.disposal_rate == Decimal("0.8")
    empty = MonthlyFigures()
    assert empty.pass_rate is None and empty.positive_rate is None and empty.disposal_rate is None
    assert BreakdownRow(name="x", tests=3, negatives=0, positives=0, suspects=2, invalids=1).positive_rate is None
