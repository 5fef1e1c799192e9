"""Load the reference data shipped in ``lims/reference/data`` (domain.md §4).

Idempotent: rows are matched by code (or name) and only missing ones are added, so a
second run changes nothing and an administrator's edits (a verified flag, a corrected
cut-off) are never overwritten."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from pypinyin import Style, lazy_pinyin

from lims.extensions import db
from lims.models import Food, FoodCategory, TestItem, TestItemOverride

DATA_DIR = Path(__file__).parent / "data"
_ITEM_DECIMALS = ("cutoff", "control_min", "c_min", "a", "b", "limit_value", "detection_limit")


@dataclass
class LoadSummary:
    categories: int = 0
    items: int = 0
    foods: int = 0


def _read(name: str):
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def pinyin_initials(text: str) -> str:
    """青菜 → qc: what technicians type to find a food quickly."""
    return "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER) if p).lower()


def load_reference_data() -> LoadSummary:
    summary = LoadSummary()
    categories = {c.code: c for c in db.session.execute(sa.select(FoodCategory)).scalars()}
    for row in _read("categories.json"):
        if row["code"] in categories:
            continue
        parent = categories[row["parent"]] if row["parent"] else None
        cat = FoodCategory(code=row["code"], name=row["name"], name_en=row["name_en"],
                           level=2 if parent else 1, parent=parent, sort_order=row["sort_order"])
        db.session.add(cat)
        categories[cat.code] = cat
        summary.categories += 1
    db.session.flush()

    existing = set(db.session.execute(sa.select(TestItem.code)).scalars())
    for row in _read("test_items.json"):
        if row["code"] in existing:
            continue
        values = {k: v for k, v in row.items() if k not in ("categories", "overrides")}
        for key in _ITEM_DECIMALS:
            if values.get(key) is not None:
                values[key] = Decimal(values[key])
        item = TestItem(**values)
        item.categories = [categories[c] for c in row.get("categories", [])]
        item.overrides = [
            TestItemOverride(category=categories[o["category"]], note=o.get("note"),
                             **{k: Decimal(o[k]) for k in ("cutoff", "limit_value", "a", "b") if o.get(k)})
            for o in row.get("overrides", [])
        ]
        db.session.add(item)
        summary.items += 1

    foods = set(db.session.execute(sa.select(Food.name)).scalars())
    for row in _read("foods.json"):
        if row["name"] in foods:
            continue
        db.session.add(Food(name=row["name"], category=categories[row["category"]],
                            initials=pinyin_initials(row["name"])))
        foods.add(row["name"])
        summary.foods += 1
    db.session.flush()
    return summary
