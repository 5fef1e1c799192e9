"""Results: one test of one batch — raw signals, the instrument's word, our verdict, versions."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.database import BigId, Base, Signal, UTCDateTime, enum_check, utcnow
from lims.rules.judging import OUTCOMES


def _nullable_outcome_check(column: str) -> sa.CheckConstraint:
    values = ", ".join(f"'{o}'" for o in OUTCOMES)
    return sa.CheckConstraint(f"{column} IS NULL OR {column} IN ({values})", name=f"{column}_enum")


class Result(Base):
    """A test result. After review it is immutable: a correction is a new version that
    supersedes it (``current`` moves), and both stay visible."""

    __tablename__ = "results"
    __table_args__ = (
        enum_check("outcome", OUTCOMES),
        _nullable_outcome_check("instrument_outcome"),
        _nullable_outcome_check("qualitative"),
        sa.CheckConstraint("version >= 1", name="version_pos"),
        sa.CheckConstraint("version = 1 OR correction_reason IS NOT NULL", name="correction_has_reason"),
        sa.Index("ix_results_batch", "batch_id", "item_id"),
        sa.Index("ix_results_tested", "tested_at", "id"),
        sa.Index("ix_results_item_tested", "item_id", "tested_at"),
        # A period's results of some sites, read without touching other sites' rows or batches.
        sa.Index("ix_results_site_tested", "site_id", "tested_at", "id"),
        # Partial, so that it serves only the review worklist and never lures the planner
        # away from the test-time index in period reports (``current`` alone is not selective).
        sa.Index("ix_results_pending_review", "tested_at", "id", sqlite_where=sa.text("reviewed_at IS NULL"),
                 postgresql_where=sa.text("reviewed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("batches.id"))
    # Always the batch's site (written with the result, moved with the batch): figures filter
    # and group a period's results by site without joining each to its batch.
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("test_items.id"))
    version: Mapped[int] = mapped_column(default=1)
    current: Mapped[bool] = mapped_column(default=True)
    supersedes_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("results.id"))
    correction_reason: Mapped[str | None] = mapped_column(sa.String(200))
    # Identifies an instrument record (sample, item, channel, tested-at) so that
    # overlapping exports never create the same result twice.
    record_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)

    value: Mapped[Decimal | None] = mapped_column(Signal)
    value_text: Mapped[str | None] = mapped_column(sa.String(32))
    qualitative: Mapped[str | None] = mapped_column(sa.String(12))
    unit: Mapped[str | None] = mapped_column(sa.String(16))
    control_delta: Mapped[Decimal | None] = mapped_column(Signal)
    sample_delta: Mapped[Decimal | None] = mapped_column(Signal)
    c_line: Mapped[Decimal | None] = mapped_column(Signal)
    t_line: Mapped[Decimal | None] = mapped_column(Signal)
    tc_ratio: Mapped[Decimal | None] = mapped_column(Signal)
    reading_mode: Mapped[str | None] = mapped_column(sa.String(8))
    computed_value: Mapped[Decimal | None] = mapped_column(Signal)
    cutoff: Mapped[Decimal | None] = mapped_column(Signal)  # the threshold applied
    method: Mapped[str | None] = mapped_column(sa.String(64))
    pretreated: Mapped[bool | None]

    outcome: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str | None] = mapped_column(sa.String(40))  # why: a code from lims.rules.judging
    instrument_word: Mapped[str | None] = mapped_column(sa.String(32))
    instrument_outcome: Mapped[str | None] = mapped_column(sa.String(12))
    disagrees: Mapped[bool] = mapped_column(default=False)
    signal_mismatch: Mapped[bool] = mapped_column(default=False)  # printed value ≠ raw signals

    reagent_lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reagent_lots.id"))
    instrument_id: Mapped[int | None] = mapped_column(sa.ForeignKey("instruments.id"))
    station_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stations.id"))
    channel: Mapped[str | None] = mapped_column(sa.String(8))
    tested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    tester_name: Mapped[str | None] = mapped_column(sa.String(32))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(sa.String(200))
    # Sent back by the reviewer (the reason in review_note): kept as a non-current version.
    rejected: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("imports.id"), index=True)
    import_row: Mapped[int | None]
    row_version: Mapped[int] = mapped_column(default=1)
    seal: Mapped[str | None] = mapped_column(sa.String(32))  # keyed seal of the audited fields (lims.audit.seal)

    batch = relationship("Batch", back_populates="results")
    item = relationship("TestItem")
    reagent_lot = relationship("ReagentLot")
    instrument = relationship("Instrument")
    station = relationship("Station")
    tested_by = relationship("User", foreign_keys=[tested_by_id])
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    supersedes = relationship("Result", remote_side=[id])

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None

    @property
    def tester_label(self) -> str:
        if self.tested_by is not None:
            return self.tested_by.display_name
        return self.tester_name or ""
