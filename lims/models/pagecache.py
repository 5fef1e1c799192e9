"""Rendered pages shared by every app process (:mod:`lims.pagestore`)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lims.database import Base, UTCDateTime


class CachedPage(Base):
    """A rendered page, kept under the SHA-256 of its page-cache key (address, host, language,
    data version, minute and, for a signed-in page, the viewer). Only a shortcut: a row is never
    the truth about anything, is never updated (a write moves the version in the key instead)
    and is dropped a few minutes after it was made (``lims tick``). On PostgreSQL the table is
    UNLOGGED (no WAL, emptied after a crash, not replicated) and backups leave its rows out."""

    __tablename__ = "page_cache"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    etag: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
