"""The audit trail: append-only, hash-chained entries.

Each entry's ``hash`` covers its content and the previous entry's hash, so editing or
deleting any entry breaks the chain from that point; ``AuditHead`` remembers the last
sequence number and hash so that removing the newest entries is caught too. Database
triggers (see the migration) refuse UPDATE and DELETE on ``audit_entries``.

Keyed entries (``keyed``) are chained with HMAC under LIMS_AUDIT_KEY and carry the audited
row's state after the change (``row_id``, ``state``), so that ``lims audit verify`` can
reconcile what is stored with what was audited. Entries written before keying are the
legacy segment: plain SHA-256, no state."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lims.database import BigId, Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_subject", "subject_type", "subject_id"),
        sa.Index("ix_audit_batch", "batch_id", "seq"),
        sa.Index("ix_audit_row", "subject_type", "row_id", "seq"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor: Mapped[str | None] = mapped_column(sa.String(64))  # the name as it was then
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    action: Mapped[str] = mapped_column(sa.String(40))
    subject_type: Mapped[str] = mapped_column(sa.String(24))
    subject_id: Mapped[str] = mapped_column(sa.String(40))
    batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # for the batch timeline
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    keyed: Mapped[bool] = mapped_column(default=True, server_default=sa.false())
    row_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # the audited row (results, batches, …)
    state: Mapped[dict | None] = mapped_column(sa.JSON)  # its audited fields after this entry


class AuditHead(Base):
    """One row: the newest entry's sequence number and hash (and the lock writers take)."""

    __tablename__ = "audit_head"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64))


class ReportSigningKey(Base):
    """One row: the key that signs printed reports' QR codes (验证码). It lives in the
    database — and so in every backup — so that a restored system still verifies the codes
    already printed, whatever its SECRET_KEY."""

    __tablename__ = "report_signing_key"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64))
