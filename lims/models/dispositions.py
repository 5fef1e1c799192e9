"""What happens after a positive: the disposition, the objection and lab retest, the
disposal actions and their photos."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.database import BigId, Base, Quantity, Signal, UTCDateTime, enum_check, utcnow
from lims.rules.disposition import DISPOSAL_ACTIONS, DISPOSITION_STATUSES


class Disposition(Base):
    __tablename__ = "dispositions"
    __table_args__ = (
        enum_check("status", DISPOSITION_STATUSES),
        sa.Index("ix_dispositions_status_due", "status", "disposal_due_at"),
        sa.Index("ix_dispositions_opened", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("batches.id"), unique=True)
    result_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("results.id"))
    status: Mapped[str] = mapped_column(sa.String(12), default="stopped")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    notified_person: Mapped[str | None] = mapped_column(sa.String(32))
    objection_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disposal_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    regulator_informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    row_version: Mapped[int] = mapped_column(default=1)
    seal: Mapped[str | None] = mapped_column(sa.String(32))  # keyed seal of the audited fields (lims.audit.seal)

    batch = relationship("Batch", back_populates="disposition")
    result = relationship("Result")
    notified_by = relationship("User")
    objections = relationship("Objection", back_populates="disposition", order_by="Objection.id")
    actions = relationship("DisposalAction", back_populates="disposition", order_by="DisposalAction.done_at")

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def objection(self) -> "Objection | None":
        """The objection to the current positive (a batch re-opened by a later positive on
        another item may have an earlier, decided one)."""
        current = [o for o in self.objections if o.current]
        return current[-1] if current else None


class Objection(Base):
    """异议 and the non-rapid laboratory retest (复检) it leads to."""

    __tablename__ = "objections"
    __table_args__ = (
        sa.CheckConstraint("lab_outcome IS NULL OR lab_outcome IN ('negative', 'positive')",
                           name="lab_outcome_enum"),
        sa.CheckConstraint("fee IS NULL OR fee >= 0", name="fee_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    disposition_id: Mapped[int] = mapped_column(sa.ForeignKey("dispositions.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applicant: Mapped[str | None] = mapped_column(sa.String(64))
    lab: Mapped[str] = mapped_column(sa.String(100))
    method: Mapped[str] = mapped_column(sa.String(100))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current: Mapped[bool] = mapped_column(default=True)  # False once a later positive re-opened the case
    lab_report_no: Mapped[str | None] = mapped_column(sa.String(64))
    lab_outcome: Mapped[str | None] = mapped_column(sa.String(12))
    lab_value: Mapped[Decimal | None] = mapped_column(Signal)
    lab_unit: Mapped[str | None] = mapped_column(sa.String(16))
    fee: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    lab_result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lab_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    disposition = relationship("Disposition", back_populates="objections")


class DisposalAction(Base):
    """One disposal step: 下架/停售, 销毁, 无害化处理, 退货, 封存, 召回."""

    __tablename__ = "disposal_actions"
    __table_args__ = (
        enum_check("action", DISPOSAL_ACTIONS),
        sa.CheckConstraint("quantity_kg >= 0", name="quantity_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    disposition_id: Mapped[int] = mapped_column(sa.ForeignKey("dispositions.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(12))
    quantity_kg: Mapped[Decimal] = mapped_column(Quantity)
    method: Mapped[str | None] = mapped_column(sa.String(100))
    place: Mapped[str | None] = mapped_column(sa.String(100))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    done_by: Mapped[str | None] = mapped_column(sa.String(32))
    supervisor: Mapped[str | None] = mapped_column(sa.String(32))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    disposition = relationship("Disposition", back_populates="actions")
    photos = relationship("Photo", back_populates="action", order_by="Photo.id")


class Photo(Base):
    """A re-encoded JPEG/PNG stored under LIMS_DATA_DIR, evidence of a disposal."""

    __tablename__ = "photos"
    __table_args__ = (sa.CheckConstraint("size_bytes >= 0", name="size_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("disposal_actions.id"), index=True)
    path: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(32))
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action = relationship("DisposalAction", back_populates="photos")
