"""Background jobs as users see them: what was asked, by whom, how far it got, what came of it.

The queue itself is procrastinate's (its own tables on PostgreSQL; in-process on SQLite): this
row is what the job page and its JSON show, and what makes a job idempotent — a job whose row
is ``done`` does nothing when it runs again."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from lims.database import Base, UTCDateTime, enum_check, utcnow

JOB_KINDS = ("import.preview", "import.commit", "report.monthly", "notices.email")
JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        enum_check("kind", JOB_KINDS),
        enum_check("status", JOB_STATUSES),
        sa.Index("ix_jobs_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(8), default="queued")
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The input a worker on another machine needs (an uploaded file); emptied when done.
    data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict | None] = deferred(mapped_column(sa.JSON))
    # A generated file (a report), kept for download.
    output: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")
