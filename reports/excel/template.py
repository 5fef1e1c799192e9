"""The template-xlsx import file offered for download: headers, example rows, lists, instructions."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..text import Text
from .cells import DATETIME_FORMAT, safe_text

RESULTS_SHEET = "检测结果"
INSTRUCTIONS_SHEET = "填写说明"
EXAMPLES_SHEET = "示例"

# The header row is the file format (instruments.md §4): same text and order in every language.
TEMPLATE_HEADERS: tuple[str, ...] = (
    "检测点名称", "被检单位*", "档口编号", "样品编号", "样品名称*", "食品类别", "检测项目*", "检测值*", "单位",
    "检测结论*", "检测人员*", "检测时间*", "试剂批号", "供货者", "产地", "进货数量(kg)", "备注",
)
# instruction key and example per column, in header order
_HELP = ("station", "party", "stall", "code", "food", "category", "item", "value", "unit", "conclusion",
         "tester", "time", "lot", "supplier", "origin", "quantity", "remark")
_WIDTHS = (16, 16, 10, 18, 12, 16, 26, 10, 8, 11, 10, 17, 12, 22, 12, 13, 24)

FOOD_CATEGORIES = ("蔬菜", "水果", "畜禽肉及副产品", "水产品", "鲜蛋", "豆制品", "粮食及制品", "食用油", "干货及调味品",
                   "熟食卤味", "其他")
CONCLUSIONS = ("阴性", "阳性", "可疑", "无效")
UNITS = ("%", "mg/kg", "μg/kg", "g/kg")

EXAMPLE_ROWS: tuple[tuple[object, ...], ...] = (
    ("城东综合市场快检室", "城东综合市场", "A-01", "CD20261120-0001", "青菜", "蔬菜", "有机磷和氨基甲酸酯类农药",
     Decimal("12.4"), "%", "阴性", "王丽", datetime(2026, 11, 20, 9, 30), "NC-2611", "萧山蔬菜专业合作社", "杭州萧山",
     Decimal("40"), None),
    ("城东综合市场快检室", "城东综合市场", "B-03", "CD20261120-0002", "猪肉", "畜禽肉及副产品", "克伦特罗", "阴性",
     "μg/kg", "阴性", "王丽", datetime(2026, 11, 20, 9, 45), "CLB-2610", "嘉兴生猪屠宰场", "嘉兴", Decimal("120"), None),
    ("城东综合市场快检室", "城东综合市场", "B-07", "CD20261120-0003", "韭菜", "蔬菜", "有机磷和氨基甲酸酯类农药",
     Decimal("55.2"), "%", "阳性", "王丽", datetime(2026, 11, 20, 9, 50), "NC-2611", "临平蔬菜批发部", "杭州临平",
     Decimal("15"), "已热处理"),
    ("城东综合市场快检室", "城东综合市场", "C-04", None, "鱿鱼", "水产品", "甲醛", "未检出", "mg/kg", "阴性", "陈静",
     datetime(2026, 11, 20, 10, 5), "HCHO-2611", "舟山海鲜冷链有限公司", "舟山", Decimal("8"), "无样品编号：导入时指派或新建批次"),
)

HEADER_FILL = PatternFill("solid", fgColor="E9EEF4")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
EXAMPLE_FONT = Font(color="555555", italic=True)


def import_template(text: Text | None = None) -> bytes:
    """The result import template as XLSX bytes.

    First sheet "检测结果": the header row exactly as the importer expects it (the same in
    every language), empty, with drop-down lists for 食品类别, 单位 and 检测结论 and input
    hints — so that nothing in it is imported by mistake. Second sheet "填写说明": what goes
    in each column (in the language of ``text``). Third sheet "示例": four example rows.
    """
    L = text or Text()
    help_text = _help(L)
    wb = Workbook()
    ws = wb.active
    ws.title = RESULTS_SHEET
    _header(ws)
    _validations(ws, help_text)

    help_ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    help_ws.column_dimensions["A"].width = 16
    help_ws.column_dimensions["B"].width = 8
    help_ws.column_dimensions["C"].width = 90
    help_ws.column_dimensions["D"].width = 28
    help_ws.append([safe_text(L._("Columns marked * are required. Do not change the header row or the column order; "
                                  "enter "
                                  "one test result per row from row 2 on. Overwrite or delete the example rows."))])
    help_ws.append([safe_text(L._("Rapid test results are screening results; imported rows are never supervisory "
                                  "sampling "
                                  "data."))])
    help_ws["A2"].font = Font(color="B00020")
    help_ws.append([])
    help_ws.append([L._("Column"), L._("Required"), L._("How to fill it in"), L._("Example")])
    for cell in help_ws[4]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    first = EXAMPLE_ROWS[0]
    for c, (title, key) in enumerate(zip(TEMPLATE_HEADERS, _HELP)):
        example = first[c]
        if isinstance(example, datetime):
            example = example.strftime("%Y-%m-%d %H:%M")
        elif isinstance(example, Decimal):
            example = f"{example:f}"
        help_ws.append([title, L._("Yes") if title.endswith("*") else L._("No"), safe_text(help_text[key]),
                        safe_text(example) if isinstance(example, str) else None])
        help_ws.cell(row=help_ws.max_row, column=3).alignment = Alignment(wrap_text=True, vertical="top")
    examples = wb.create_sheet(EXAMPLES_SHEET)
    _header(examples)
    for r, row in enumerate(EXAMPLE_ROWS, start=2):
        for c, value in enumerate(row, start=1):
            cell = examples.cell(row=r, column=c, value=safe_text(value) if isinstance(value, str) else value)
            cell.font = EXAMPLE_FONT
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _help(L: Text) -> dict[str, str]:
    """What goes in each column, by the instruction key of ``_HELP``."""
    return {
        "station": L._("The quick-test room, van or kit that ran the test, as named in the system."),
        "party": L._("The market, supermarket, canteen or banquet centre sampled, as named in the system."),
        "stall": L._("Stall number such as A-01; leave empty when the site has no stalls."),
        "code": L._("The sample code on the bag label; rows are matched to registered batches by it. Rows "
                    "without a code are listed as unmatched: assign them to a batch, or let the import create"
                    " batches when you ask for it and the site and stall are recognised."),
        "food": L._("Food name, e.g. 青菜, 猪肉, 鱿鱼."),
        "category": L._("Food category; pick from the list."),
        "item": L._("Test item as named in the system, e.g. 有机磷和氨基甲酸酯类农药, 克伦特罗, 甲醛."),
        "value": L._("A number (e.g. 12.4, without unit) or a word: 阴性, 阳性, 未检出. 未检出 is never turned into 0."),
        "unit": L._("Unit of the value, e.g. %, mg/kg, μg/kg; may be empty for words."),
        "conclusion": L._("阴性, 阳性, 可疑 or 无效 (合格 and 不合格 are accepted). The system recomputes the verdict and flags "
                    "a disagreement for review."),
        "tester": L._("Name of the person who tested."),
        "time": L._("Test time as YYYY-MM-DD HH:MM (e.g. 2026-11-20 09:30), Beijing time, or an Excel date "
                    "cell. Must not be in the future."),
        "lot": L._("Reagent or test-card lot; results made with an expired lot are refused."),
        "supplier": L._("Supplier name (purchase check record)."),
        "origin": L._("Place of origin, e.g. 杭州萧山."),
        "quantity": L._("Quantity purchased in kilograms, a number."),
        "remark": L._("Anything else, e.g. leeks heat-treated."),
    }


def _header(ws) -> None:
    for c, (title, width) in enumerate(zip(TEMPLATE_HEADERS, _WIDTHS), start=1):
        cell = ws.cell(row=1, column=c, value=title)
        cell.font = Font(bold=True, color="B00020" if title.endswith("*") else "1F1F1F")
        cell.fill = REQUIRED_FILL if title.endswith("*") else HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"


def _column(title: str) -> str:
    return get_column_letter(TEMPLATE_HEADERS.index(title) + 1)


def _validations(ws, help_text: dict[str, str]) -> None:
    last = 2000

    def add(title: str, validation: DataValidation) -> None:
        column = _column(title)
        validation.add(f"{column}2:{column}{last}")
        ws.add_data_validation(validation)

    add("检测结论*", DataValidation(type="list", formula1='"' + ",".join(CONCLUSIONS) + '"', allow_blank=True,
                                 showErrorMessage=True, errorStyle="warning", promptTitle="检测结论",
                                 prompt=help_text["conclusion"][:250], showInputMessage=True))
    add("食品类别", DataValidation(type="list", formula1='"' + ",".join(FOOD_CATEGORIES) + '"', allow_blank=True,
                               showErrorMessage=True, errorStyle="warning"))
    add("单位", DataValidation(type="list", formula1='"' + ",".join(UNITS) + '"', allow_blank=True,
                             showErrorMessage=False))
    add("进货数量(kg)", DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                   showErrorMessage=True, errorStyle="stop"))
    add("检测值*", DataValidation(allow_blank=True, showInputMessage=True, promptTitle="检测值",
                               prompt=help_text["value"][:250]))
    add("检测时间*", DataValidation(allow_blank=True, showInputMessage=True, promptTitle="检测时间",
                                prompt=help_text["time"][:250]))
