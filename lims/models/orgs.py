"""The organisation tree: the jurisdiction (province → city → district → office) that sites
belong to and regulators work in, and the testing organisations that own stations."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.database import Base, UTCDateTime, enum_check, utcnow

#: The jurisdiction tree, from the top; ``testing`` organisations own stations.
JURISDICTION_KINDS = ("province", "city", "district", "office")
ORG_KINDS = (*JURISDICTION_KINDS, "testing")


class Organisation(Base):
    """A node of the tree. ``path`` holds the ids from the root ("/1/4/9/"), so a subtree is
    one indexed prefix match (the Dayuan platform rolls up by organisation-code prefix)."""

    __tablename__ = "organisations"
    __table_args__ = (enum_check("kind", ORG_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(12))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    path: Mapped[str] = mapped_column(sa.String(400), index=True, default="")
    # What a report issued for this node prints (domain.md §8): issuing unit, seal, signatories.
    issuer_name: Mapped[str | None] = mapped_column(sa.String(100))
    seal_text: Mapped[str | None] = mapped_column(sa.String(100))
    compiled_by: Mapped[str | None] = mapped_column(sa.String(32))  # 编制
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(32))  # 审核
    signed_by: Mapped[str | None] = mapped_column(sa.String(32))  # 签发
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent = relationship("Organisation", remote_side=[id])

    @property
    def is_jurisdiction(self) -> bool:
        return self.kind in JURISDICTION_KINDS

    @property
    def report_issuer(self) -> str:
        return self.issuer_name or self.name

    def __repr__(self) -> str:
        return f"<Organisation {self.code} {self.kind}>"


#: The sites a station serves (a van serves many markets on a rota).
station_sites = sa.Table(
    "station_sites",
    Base.metadata,
    sa.Column("station_id", sa.ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("site_id", sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True, index=True),
)

#: Regulators and administrators: the organisations whose subtree they work in.
user_orgs = sa.Table(
    "user_orgs",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)

#: Technicians and reviewers: the stations they work for.
user_stations = sa.Table(
    "user_stations",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("station_id", sa.ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
)
