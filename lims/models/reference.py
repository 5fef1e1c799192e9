"""Reference data: food categories and foods, test items with their decision rules and
per-category overrides, reagent lots, instruments."""
from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, lazyload, mapped_column, relationship

from lims.database import Base, Signal, UTCDateTime, enum_check, utcnow
from lims.rules.judging import PRINCIPLES, RULES


class FoodCategory(Base):
    """Two-level food category tree (蔬菜 › 叶菜类)."""

    __tablename__ = "food_categories"
    __table_args__ = (sa.CheckConstraint("level IN (1, 2)", name="level_enum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    name_en: Mapped[str | None] = mapped_column(sa.String(64))
    level: Mapped[int]
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("food_categories.id"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    parent = relationship("FoodCategory", remote_side=[id])

    @property
    def top(self) -> "FoodCategory":
        return self.parent or self

    @property
    def path(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent else self.name


class Food(Base):
    """A food name for type-ahead, with its category and pinyin initials (青菜 → qc)."""

    __tablename__ = "foods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(32), unique=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("food_categories.id"), index=True)
    initials: Mapped[str] = mapped_column(sa.String(32), default="")

    category = relationship("FoodCategory")


item_categories = sa.Table(
    "test_item_categories",
    Base.metadata,
    sa.Column("item_id", sa.ForeignKey("test_items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("food_categories.id", ondelete="CASCADE"), primary_key=True),
)


class TestItem(Base):
    """检测项目: what is tested, by which method and principle, and how it is judged."""

    __tablename__ = "test_items"
    __test__ = False  # not a pytest class
    __table_args__ = (
        enum_check("principle", PRINCIPLES),
        enum_check("rule", RULES),
        sa.CheckConstraint("gold_mode IS NULL OR gold_mode IN ('line', 'ratio')", name="gold_mode_enum"),
        sa.CheckConstraint("limit_sign IS NULL OR limit_sign IN ('<=', '<')", name="limit_sign_enum"),
        sa.CheckConstraint("cutoff IS NULL OR (cutoff >= 0 AND cutoff <= 100)", name="cutoff_range"),
        sa.CheckConstraint("a IS NULL OR b IS NULL OR a <= b", name="a_le_b"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str | None] = mapped_column(sa.String(100))
    analyte: Mapped[str | None] = mapped_column(sa.String(100))
    principle: Mapped[str] = mapped_column(sa.String(24))
    method: Mapped[str | None] = mapped_column(sa.String(64))
    unit: Mapped[str | None] = mapped_column(sa.String(16))
    rule: Mapped[str] = mapped_column(sa.String(16))
    cutoff: Mapped[Decimal | None] = mapped_column(Signal)  # inhibition % cut-off
    control_min: Mapped[Decimal | None] = mapped_column(Signal)  # minimum ΔA0 of a valid control
    gold_mode: Mapped[str | None] = mapped_column(sa.String(8))
    c_min: Mapped[Decimal | None] = mapped_column(Signal)
    a: Mapped[Decimal | None] = mapped_column(Signal)
    b: Mapped[Decimal | None] = mapped_column(Signal)
    limit_value: Mapped[Decimal | None] = mapped_column(Signal)
    limit_sign: Mapped[str | None] = mapped_column(sa.String(2))
    detection_limit: Mapped[Decimal | None] = mapped_column(Signal)
    banned: Mapped[bool] = mapped_column(default=False)
    legal_limit: Mapped[str | None] = mapped_column(sa.String(100))  # context only, GB 2763 etc.
    needs_pretreatment_for: Mapped[str | None] = mapped_column(sa.String(100))
    aliases: Mapped[list] = mapped_column(sa.JSON, default=list)
    verified: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    row_version: Mapped[int] = mapped_column(default=1)

    categories = relationship("FoodCategory", secondary=item_categories, lazy="selectin",
                              order_by="FoodCategory.sort_order")
    overrides = relationship("TestItemOverride", back_populates="item", lazy="selectin",
                             cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": row_version}


@functools.cache
def item_shown() -> tuple:
    """Loader options for an item read for what a list or a page shows of it (code, name,
    unit, rule): its categories and overrides stay unread until something asks for them — two
    statements less for every page that lists results. Made once, when first asked (the
    mappers must be complete)."""
    return lazyload(TestItem.categories), lazyload(TestItem.overrides)


class TestItemOverride(Base):
    """A category-specific decision parameter (e.g. a different SO₂ limit for ginger)."""

    __tablename__ = "test_item_overrides"
    __test__ = False
    __table_args__ = (sa.UniqueConstraint("item_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("test_items.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("food_categories.id"))
    cutoff: Mapped[Decimal | None] = mapped_column(Signal)
    limit_value: Mapped[Decimal | None] = mapped_column(Signal)
    a: Mapped[Decimal | None] = mapped_column(Signal)
    b: Mapped[Decimal | None] = mapped_column(Signal)
    note: Mapped[str | None] = mapped_column(sa.String(200))

    item = relationship("TestItem", back_populates="overrides")
    category = relationship("FoodCategory")


class ReagentLot(Base):
    """试剂/检测卡批号: a kit lot with its expiry and, for gold cards, the maker's thresholds."""

    __tablename__ = "reagent_lots"
    __table_args__ = (
        sa.UniqueConstraint("item_id", "lot"),
        sa.CheckConstraint("mode IS NULL OR mode IN ('line', 'ratio')", name="mode_enum"),
        sa.CheckConstraint("c_min IS NULL OR c_min >= 0", name="c_min_nonneg"),
        sa.CheckConstraint("a IS NULL OR b IS NULL OR a <= b", name="a_le_b"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("test_items.id"), index=True)
    lot: Mapped[str] = mapped_column(sa.String(32))
    maker: Mapped[str | None] = mapped_column(sa.String(100))
    expires_on: Mapped[date]
    mode: Mapped[str | None] = mapped_column(sa.String(8))
    c_min: Mapped[Decimal | None] = mapped_column(Signal)
    a: Mapped[Decimal | None] = mapped_column(Signal)
    b: Mapped[Decimal | None] = mapped_column(Signal)
    received_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    row_version: Mapped[int] = mapped_column(default=1)
    seal: Mapped[str | None] = mapped_column(sa.String(32))  # keyed seal of the audited fields (lims.audit.seal)
    # The testing organisation holding the lot (its administrators manage it); none: the
    # deployment's, managed by its administrator.
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)

    item = relationship("TestItem")
    org = relationship("Organisation")

    __mapper_args__ = {"version_id_col": row_version}


class Instrument(Base):
    """仪器: a tester, reader or analyser at a station."""

    __tablename__ = "instruments"
    __table_args__ = (sa.CheckConstraint("channels >= 1", name="channels_pos"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(sa.String(64), unique=True)
    model: Mapped[str] = mapped_column(sa.String(64))
    maker: Mapped[str | None] = mapped_column(sa.String(100))
    channels: Mapped[int] = mapped_column(default=1)
    station_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stations.id"), index=True)
    last_verified_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)

    station = relationship("Station")
