"""The cluster's leader row (standby mode on PostgreSQL): one row, whose epoch the
daemon that takes the advisory lock moves on.  The epoch is the fencing token: a
callback is claimed only while the row still holds the claimer's epoch."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.store.models import Base


class ClusterLeader(Base):
    __tablename__ = "cluster_leader"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    epoch: Mapped[int] = mapped_column(BigInteger)
    holder: Mapped[str] = mapped_column(String(100))  # the leading daemon's node name
    since: Mapped[float] = mapped_column(Float)
