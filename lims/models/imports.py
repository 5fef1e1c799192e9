"""Instrument file imports: the file (hash, stored original) and its per-row log."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.database import BigId, Base, UTCDateTime, enum_check, utcnow  # noqa: F401

IMPORT_STATUSES = ("committed", "rejected")
IMPORT_ROW_STATUSES = ("imported", "rejected", "no_data", "unmatched", "duplicate")
IMPORT_SOURCES = ("web", "api", "cli", "watch")


class Import(Base):
    __tablename__ = "imports"
    __table_args__ = (
        enum_check("status", IMPORT_STATUSES),
        enum_check("source", IMPORT_SOURCES),
        sa.CheckConstraint("size_bytes >= 0", name="size_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    # Set only on a committed import: the database itself refuses the same file twice.
    committed_sha256: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    format: Mapped[str | None] = mapped_column(sa.String(20))
    size_bytes: Mapped[int]
    stored_path: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(12))
    source: Mapped[str] = mapped_column(sa.String(8), default="web")
    strict: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str | None] = mapped_column(sa.String(500))
    rows_total: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    no_data: Mapped[int] = mapped_column(default=0)
    unmatched: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by = relationship("User")
    rows = relationship("ImportRow", back_populates="import_", order_by="ImportRow.row_no")


class ImportRow(Base):
    __tablename__ = "import_rows"
    __table_args__ = (enum_check("status", IMPORT_ROW_STATUSES),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("imports.id", ondelete="CASCADE"), index=True)
    row_no: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(12))
    sample_code: Mapped[str | None] = mapped_column(sa.String(64))
    item: Mapped[str | None] = mapped_column(sa.String(64))
    problems: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"code", "column", "params"}]

    import_ = relationship("Import", back_populates="rows")
