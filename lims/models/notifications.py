"""In-app notifications (and their e-mail copies)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lims.database import BigId, Base, UTCDateTime, enum_check, utcnow

NOTIFICATION_KINDS = ("positive", "window_closing", "overdue", "supplier_alert", "not_notified")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        enum_check("kind", NOTIFICATION_KINDS),
        sa.UniqueConstraint("user_id", "dedupe_key"),
        sa.Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    dedupe_key: Mapped[str] = mapped_column(sa.String(120))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # worded when shown, in the reader's language
    link: Mapped[str | None] = mapped_column(sa.String(200))
    batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
