"""The audit trail: append-only, keyed entries, chained afterwards by a sealing step.

A writer numbers its entry from a database sequence (``seq``) and stores it with ``mac``, a
keyed seal of its content and number: writers never wait for one another. The sealing step
(:func:`lims.audit.services.seal`) later gives each unsealed entry the next chain position
(``pos``) and a link ``hash`` over the previous link and the entry's ``mac``; ``AuditHead``
remembers the last sealed position and link, so removing the newest sealed entries is caught
too. Only the sealing step touches ``AuditHead``. Database triggers (see the migrations)
refuse DELETE on ``audit_entries`` and any UPDATE except sealing an unsealed entry.

Entries written before the sealing step existed carry no ``mac``: their ``hash`` covers their
content and the previous hash (``pos`` = ``seq``), checked as they were written.

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
        sa.Index("ix_audit_unsealed", "seq", postgresql_where=sa.text("pos IS NULL"),
                 sqlite_where=sa.text("pos IS NULL")),
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
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))  # set when sealed
    hash: Mapped[str | None] = mapped_column(sa.String(64))  # set when sealed
    pos: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)  # chain position, set when sealed
    mac: Mapped[str | None] = mapped_column(sa.String(64))  # the writer's keyed seal of the entry
    row_seal: Mapped[str | None] = mapped_column(sa.String(32))  # the audited row's seal after this entry
    keyed: Mapped[bool] = mapped_column(default=True, server_default=sa.false())
    row_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # the audited row (results, batches, …)
    state: Mapped[dict | None] = mapped_column(sa.JSON)  # its audited fields after this entry


class AuditHead(Base):
    """One row: the last sealed chain position (``seq``) and its link hash. Only the sealing
    step reads or writes it; writers never do."""

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


class CacheBump(Base):
    """Append-only marks that something a cached page shows has changed: one row per scope
    (``stall:7``, ``site:3``, ``siteinfo:3``, ``all``) per committing transaction, written with
    the change itself. A page's version is the newest mark of the scopes it shows; writers
    only insert, so they never wait for one another (``lims tick`` prunes the older marks)."""

    __tablename__ = "cache_bumps"
    __table_args__ = (sa.Index("ix_cache_bumps_scope", "scope", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(40))
