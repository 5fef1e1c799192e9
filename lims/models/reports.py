"""Issued reports: a monthly report a regulator has signed off (签发), one row per version."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lims.database import Base, UTCDateTime, enum_check

ISSUED_REPORT_KINDS = ("monthly",)


class IssuedReport(Base):
    """One issued version of a report of a scope and period. ``first_issued_at`` is the
    first version's issue time (签发时间), copied onto every later version; the digest of
    the figures tells a print whether the data still match what was signed."""

    __tablename__ = "issued_reports"
    __table_args__ = (
        enum_check("kind", ISSUED_REPORT_KINDS),
        sa.UniqueConstraint("kind", "scope_key", "period", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    scope_key: Mapped[str] = mapped_column(sa.String(200))  # "district" or the site codes
    scope_name: Mapped[str] = mapped_column(sa.String(200))
    period: Mapped[date] = mapped_column(sa.Date)  # first day of the month
    number: Mapped[str] = mapped_column(sa.String(60))
    version: Mapped[int] = mapped_column(sa.Integer)
    first_issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    issued_by_name: Mapped[str] = mapped_column(sa.String(64))  # the name as it was then
    figures_digest: Mapped[str] = mapped_column(sa.String(64))
