"""Public naming rules shared by the board, labels and (for the web) the stall QR page:
operators are shown by surname only.

The public words for a result ("本次快检未发现问题", never "safe"; "复测中" for invalid and
suspect) come with the data, from the application's one wording table.
"""

from __future__ import annotations

# Two-character surnames that are common enough to keep whole.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "申屠",
})


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def public_operator_name(name: str | None) -> str:
    """An operator's name as shown to the public: the surname followed by 某 ("王丽" → "王某").

    Names that are not a 2–4 character Chinese personal name (a company, a Latin name) keep
    only their first character followed by "*" so that no full personal name is printed.
    """
    if not name:
        return ""
    name = name.strip()
    if 2 <= len(name) <= 4 and all(_is_han(ch) for ch in name):
        surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
        return surname + "某"
    return name[:1] + "*"

