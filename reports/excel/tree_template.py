"""The organisation-tree workbook (组织机构批量导入): its sheets and headers — the file format
``lims org load`` and the upload page read — and the blank template offered for download,
with example rows and instructions. Plain data in, XLSX bytes out."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .cells import safe_text

ORGS_SHEET, SITES_SHEET, STALLS_SHEET, STATIONS_SHEET = "机构", "场所", "摊位", "检测点"
INSTRUCTIONS_SHEET = "填写说明"

#: sheet → ((field, header, required), …): the header row is the file format, the same in
#: every language; a "*" after a header marks a required column and is ignored when read.
SHEETS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    ORGS_SHEET: (("code", "机构代码", True), ("name", "机构名称", True), ("kind", "类型", True),
                 ("parent", "上级机构代码", False), ("issuer_name", "报告出具单位", False),
                 ("seal_text", "印章文字", False), ("compiled_by", "编制", False), ("reviewed_by", "审核", False),
                 ("signed_by", "签发", False)),
    SITES_SHEET: (("code", "场所代码", True), ("name", "场所名称", True), ("kind", "类型", True),
                  ("org", "所属机构代码", True), ("address", "地址", False), ("phone", "投诉电话", False)),
    STALLS_SHEET: (("site", "场所代码", True), ("code", "摊位号", True), ("operator", "经营者", False),
                   ("phone", "电话", False), ("licence", "证照号", False)),
    STATIONS_SHEET: (("code", "检测点代码", True), ("name", "检测点名称", True), ("kind", "类型", True),
                     ("org", "所属检测机构代码", True), ("sites", "服务场所代码", False)),
}

#: What the instructions say of each column (after the header).
HELP = {
    ORGS_SHEET: ("唯一，字母、数字或短横线，如 HZ、QT", "如 杭州市、钱塘区", "省、市、区县（辖区）、市场监管所、检测机构",
                 "省的上级留空；区县可挂在市或省下，监管所挂在区县下", "报告上印的出具单位，留空则用机构名称",
                 "报告盖章处的文字", "月报编制人", "月报审核人", "月报签发人"),
    SITES_SHEET: ("唯一，字母、数字或短横线", "唯一", "农贸市场、批发市场、超市、食堂、农村家宴中心、活动场所、其他",
                  "区县或市场监管所的代码", "", "公示牌上的投诉电话"),
    STALLS_SHEET: ("场所代码（本表或系统中已有）", "场所内唯一，如 A-01", "经营者姓名", "", "身份证号或统一社会信用代码"),
    STATIONS_SHEET: ("唯一，字母、数字或短横线", "唯一", "快检室、快检车、快检箱", "检测机构（类型为检测机构）的代码",
                     "该检测点服务的场所代码，多个用 、 或 , 分隔"),
}

EXAMPLES: dict[str, tuple[tuple[object, ...], ...]] = {
    ORGS_SHEET: (("HZ", "杭州市", "市", None, "杭州市市场监督管理局", None, None, None, None),
                 ("QT", "钱塘区", "区县", "HZ", "杭州市钱塘区市场监督管理局", "钱塘区市场监督管理局（盖章）", "张敏", "李强",
                  "王建国"),
                 ("QT-XS", "下沙市场监管所", "市场监管所", "QT", None, None, None, None, None),
                 ("QT-KJ", "钱塘区食品快检中心", "检测机构", "QT", None, None, None, None, None)),
    SITES_SHEET: (("QT01", "下沙农贸市场", "农贸市场", "QT-XS", "下沙街道学林街 1 号", "0571-12345678"),
                  ("QT02", "白杨农贸市场", "农贸市场", "QT", "白杨街道 8 号", None)),
    STALLS_SHEET: (("QT01", "A-01", "王丽", "13800000001", None), ("QT01", "A-02", "陈静", None, None),
                   ("QT02", "C-01", "赵刚", None, None)),
    STATIONS_SHEET: (("QT-VAN1", "钱塘区快检车一号", "快检车", "QT-KJ", "QT01、QT02"),
                     ("QT01-R", "下沙农贸市场快检室", "快检室", "QT-KJ", "QT01")),
}

HEADER_FILL = PatternFill("solid", fgColor="E9EEF4")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def header_text(header: str, required: bool) -> str:
    """A column's header as written in the file: a required column's ends in "*"."""
    return f"{header}*" if required else header


def write_tree_template(examples: Mapping[str, Sequence[Sequence[object]]] | None = None) -> bytes:
    """The blank workbook: one sheet per kind of record with its header row (required
    columns marked * and shaded), the example rows, and a sheet of instructions."""
    examples = EXAMPLES if examples is None else examples
    wb = Workbook()
    intro = wb.active
    intro.title = INSTRUCTIONS_SHEET
    intro.append(["组织机构批量导入模板"])
    intro["A1"].font = Font(bold=True, size=13)
    for line in ("每张表一类记录：机构、场所、摊位、检测点；不需要的表可以留空或删除。",
                 "按代码更新或新增：再次导入同一文件不会产生任何变化。",
                 "先检查全部内容，有任何错误（会指明表、行、列）则一条都不写入。",
                 "带 * 的列必填；示例行可以覆盖或删除。"):
        intro.append([line])
    intro.append([])
    intro.append(["表", "列", "说明"])
    for cell in intro[intro.max_row]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for sheet, columns in SHEETS.items():
        for (field, header, required), text in zip(columns, HELP[sheet]):
            intro.append([sheet, header_text(header, required), text])
    for col, width in zip("ABC", (10, 18, 70)):
        intro.column_dimensions[col].width = width
    for sheet, columns in SHEETS.items():
        ws = wb.create_sheet(sheet)
        for c, (field, header, required) in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=c, value=header_text(header, required))
            cell.font = Font(bold=True)
            cell.fill = REQUIRED_FILL if required else HEADER_FILL
            cell.alignment = Alignment(horizontal="center")
            ws.column_dimensions[get_column_letter(c)].width = max(12, 2 * len(header) + 4)
            ws.cell(row=1, column=c).number_format = "@"
        for row in examples.get(sheet, ()):
            ws.append([safe_text(v) if isinstance(v, str) else v for v in row])
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
