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
        # traceback (lims.batches.services.traceback): the supplier's batches around a date, and
        # where and how each stands, from the index alone on PostgreSQL
        sa.Index("ix_batches_supplier_sampled", "supplier_id", "sampled_at",
                 postgresql_include=["id", "site_id", "status"]),
        sa.Index("ix_batches_status_sampled", "status", "sampled_at"),
        # the day's codes by prefix (lims.database.prefixed); SQLite uses the unique index
        sa.Index("ix_batches_code_pattern", "code", postgresql_ops={"code": "varchar_pattern_ops"})
        .ddl_if(dialect="postgresql"),
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
    # Registered by mistake: kept, shown struck through with the reason, counted nowhere.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(sa.String(200))
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
    voided_by = relationship("User", foreign_keys=[voided_by_id])
    planned_items = relationship("TestItem", secondary=batch_tests, order_by="TestItem.sort_order")
    results = relationship("Result", back_populates="batch", order_by="Result.id")
    disposition = relationship("Disposition", back_populates="batch", uselist=False)
    # the correction or void waiting for a reviewer (at most one), to load with a page of batches
    waiting_change = relationship("BatchChange", uselist=False, viewonly=True,
                                  primaryjoin="and_(BatchChange.batch_id == Batch.id, BatchChange.status == 'pending')")

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def current_results(self) -> list:
        return [r for r in self.results if r.current]

    @property
    def voided(self) -> bool:
        return self.status == "voided"

    def __repr__(self) -> str:
        return f"<Batch {self.code}>"


class BatchChange(Base):
    """A change to a batch that needs a reviewer: a correction of the registration data after
    its results were reviewed, or voiding a batch that has results. The requester is never the
    one who decides (four-eyes, :mod:`lims.rules.permissions`)."""

    __tablename__ = "batch_changes"
    __table_args__ = (
        enum_check("kind", ("correct", "void")),
        enum_check("status", ("pending", "approved", "rejected")),
        sa.Index("ix_batch_changes_batch", "batch_id", "id"),
        sa.Index("ix_batch_changes_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("batches.id"))
    kind: Mapped[str] = mapped_column(sa.String(8))
    # field → the value asked for / the value when asked (JSON-safe, as the audit trail has them)
    changes: Mapped[dict | None] = mapped_column(sa.JSON)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.String(200))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(8), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(sa.String(200))

    batch = relationship("Batch")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
