"""Sampling: rounds and batches (批次) with their planned tests."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.database import BigId, Base, Quantity, UTCDateTime, enum_check, utcnow
from lims.rules.batch_status import BATCH_STATUSES
from lims.rules.judging import OUTCOMES


class Round(Base):
    """A morning's sampling round at one site by one station."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stations.id"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"))
    day: Mapped[date] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(sa.String(200))

    site = relationship("Site")
    station = relationship("Station")
    event = relationship("Event")
    created_by = relationship("User")
    batches = relationship("Batch", back_populates="round", order_by="Batch.id")


batch_tests = sa.Table(
    "batch_tests",
    Base.metadata,
    sa.Column("batch_id", BigId, sa.ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("item_id", sa.ForeignKey("test_items.id"), primary_key=True),
)


class Batch(Base):
    """批次: one lot of one food at one stall (or event kitchen), sampled once."""

    __tablename__ = "batches"
    __table_args__ = (
        enum_check("status", BATCH_STATUSES),
        sa.CheckConstraint(f"verdict IS NULL OR verdict IN ({', '.join(repr(o) for o in OUTCOMES)})",
                           name="verdict_enum"),
        sa.CheckConstraint("quantity_kg IS NULL OR quantity_kg >= 0", name="quantity_nonneg"),
        sa.Index("ix_batches_sampled", "sampled_at", "id"),
        sa.Index("ix_batches_site_sampled", "site_id", "sampled_at", "id"),
        sa.Index("ix_batches_stall_sampled", "stall_id", "sampled_at"),
        sa.Index("ix_batches_supplier_sampled", "supplier_id", "sampled_at"),
        sa.Index("ix_batches_status_sampled", "status", "sampled_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    stall_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stalls.id"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stations.id"))
    food: Mapped[str] = mapped_column(sa.String(32))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("food_categories.id"))
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("suppliers.id"))
    origin: Mapped[str | None] = mapped_column(sa.String(100))
    purchase_date: Mapped[date | None]
    quantity_kg: Mapped[Decimal | None] = mapped_column(Quantity)
    certificate_no: Mapped[str | None] = mapped_column(sa.String(64))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sampled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(12), default="registered")
    verdict: Mapped[str | None] = mapped_column(sa.String(12))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    row_version: Mapped[int] = mapped_column(default=1)
    seal: Mapped[str | None] = mapped_column(sa.String(32))  # keyed seal of the audited fields (lims.audit.seal)

    site = relationship("Site")
    stall = relationship("Stall")
    event = relationship("Event")
    round = relationship("Round", back_populates="batches")
    station = relationship("Station")
    category = relationship("FoodCategory")
    supplier = relationship("Supplier")
    sampled_by = relationship("User", foreign_keys=[sampled_by_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    planned_items = relationship("TestItem", secondary=batch_tests, order_by="TestItem.sort_order")
    results = relationship("Result", back_populates="batch", order_by="Result.id")
    disposition = relationship("Disposition", back_populates="batch", uselist=False)

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def current_results(self) -> list:
        return [r for r in self.results if r.current]

    def __repr__(self) -> str:
        return f"<Batch {self.code}>"
