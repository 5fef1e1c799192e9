"""Places and parties: sites, stalls, events, stations, suppliers."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.database import Base, UTCDateTime, enum_check, utcnow

SITE_KINDS = ("market", "wholesale", "supermarket", "canteen", "banquet", "event", "other")
EVENT_KINDS = ("banquet", "major_event")
STATION_KINDS = ("room", "van", "kit")


class Site(Base):
    """被检场所: where food is sampled."""

    __tablename__ = "sites"
    __table_args__ = (
        enum_check("kind", SITE_KINDS),
        sa.CheckConstraint("planned_monthly_batches IS NULL OR planned_monthly_batches >= 0",
                           name="planned_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    district: Mapped[str | None] = mapped_column(sa.String(64))
    # The jurisdiction node (district or office) the site belongs to.
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(32))  # complaint phone on the board
    planned_monthly_batches: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stalls = relationship("Stall", back_populates="site", order_by="Stall.code")
    org = relationship("Organisation")

    def __repr__(self) -> str:
        return f"<Site {self.code}>"


class Stall(Base):
    """档口/摊位 in a site, with a stable public code for its QR page (一摊一码)."""

    __tablename__ = "stalls"
    __table_args__ = (sa.UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(16))
    operator: Mapped[str | None] = mapped_column(sa.String(32))
    licence: Mapped[str | None] = mapped_column(sa.String(32))  # ID card or credit code
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    public_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site", back_populates="stalls")

    @property
    def operator_surname(self) -> str:
        """What the public may see of the operator: the surname only."""
        return (self.operator or "")[:1]

    def __repr__(self) -> str:
        return f"<Stall {self.code}>"


class Event(Base):
    """A rural banquet (农村家宴) or a major-event guarantee (重大活动保障)."""

    __tablename__ = "events"
    __table_args__ = (
        enum_check("kind", EVENT_KINDS),
        sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        sa.CheckConstraint("people IS NULL OR people >= 0", name="people_nonneg"),
        sa.CheckConstraint("tables IS NULL OR tables >= 0", name="tables_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(100))
    organiser: Mapped[str | None] = mapped_column(sa.String(100))  # host of a banquet
    chef: Mapped[str | None] = mapped_column(sa.String(32))
    menu: Mapped[str | None] = mapped_column(sa.Text)
    tables: Mapped[int | None]
    people: Mapped[int | None]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site")
    venues = relationship("EventVenue", back_populates="event", order_by="EventVenue.id",
                          cascade="all, delete-orphan")


class EventVenue(Base):
    __tablename__ = "event_venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str | None] = mapped_column(sa.String(200))

    event = relationship("Event", back_populates="venues")


class Station(Base):
    """检测点: a quick-test room, mobile lab van or field kit."""

    __tablename__ = "stations"
    __table_args__ = (enum_check("kind", STATION_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    organisation: Mapped[str | None] = mapped_column(sa.String(100))
    # The testing organisation that owns the station (its issuer on batch reports).
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    # The site a quick-test room stands in (None for a van or a kit).
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    site = relationship("Site")
    org = relationship("Organisation")
    # The sites it serves: its own market, or the markets of a van's rota.
    sites = relationship("Site", secondary="station_sites", order_by="Site.code")


class Supplier(Base):
    """供货者, recorded on purchase (FSL art. 65) for traceback."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    address: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    licence: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
