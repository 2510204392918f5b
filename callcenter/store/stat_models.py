"""The interval statistics' tables (issue 12): figures per 15-minute interval of a
queue, an agent and an agent's pause reason, added to as calls complete
(`FiguresAdded`), and the keys of the facts already added (so a replay adds
nothing).  `start` is the interval's UTC epoch second, a multiple of 900."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.store.models import Base, Id


class StatQueueInterval(Base):
    __tablename__ = "stat_queue_interval"
    __table_args__ = (UniqueConstraint("start", "queue", name="uq_stat_queue_interval"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    start: Mapped[float] = mapped_column(Float)
    queue: Mapped[str] = mapped_column(String(80))
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answered_in_sl: Mapped[int] = mapped_column(Integer, default=0)
    answered_in_rings: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_in_sl: Mapped[int] = mapped_column(Integer, default=0)
    short_abandoned: Mapped[int] = mapped_column(Integer, default=0)
    timeouts: Mapped[int] = mapped_column(Integer, default=0)
    exit_key: Mapped[int] = mapped_column(Integer, default=0)
    exit_empty: Mapped[int] = mapped_column(Integer, default=0)
    wait_answered_s: Mapped[float] = mapped_column(Float, default=0.0)
    wait_s: Mapped[float] = mapped_column(Float, default=0.0)
    longest_wait_s: Mapped[float] = mapped_column(Float, default=0.0)
    handled: Mapped[int] = mapped_column(Integer, default=0)
    talk_s: Mapped[float] = mapped_column(Float, default=0.0)
    wrapup_s: Mapped[float] = mapped_column(Float, default=0.0)


class StatAgentInterval(Base):
    __tablename__ = "stat_agent_interval"
    __table_args__ = (UniqueConstraint("start", "interface", name="uq_stat_agent_interval"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    start: Mapped[float] = mapped_column(Float)
    interface: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(100), default="")
    answered: Mapped[int] = mapped_column(Integer, default=0)
    missed_rings: Mapped[int] = mapped_column(Integer, default=0)
    violations: Mapped[int] = mapped_column(Integer, default=0)
    talk_s: Mapped[float] = mapped_column(Float, default=0.0)
    wrapup_s: Mapped[float] = mapped_column(Float, default=0.0)
    paused_s: Mapped[float] = mapped_column(Float, default=0.0)
    logged_in_s: Mapped[float] = mapped_column(Float, default=0.0)
    available_s: Mapped[float] = mapped_column(Float, default=0.0)


class StatAgentPause(Base):
    __tablename__ = "stat_agent_pause"
    __table_args__ = (UniqueConstraint("start", "interface", "reason",
                                       name="uq_stat_agent_pause"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    start: Mapped[float] = mapped_column(Float)
    interface: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(100))
    paused_s: Mapped[float] = mapped_column(Float, default=0.0)


class StatKey(Base):
    """A fact whose figures were added (a SHA-1 of its scope and key), kept long
    enough for any replay (`[reports] keys_kept_days`), then pruned."""

    __tablename__ = "stat_keys"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)


SCOPES: dict[str, type[Base]] = {"queue": StatQueueInterval, "agent": StatAgentInterval,
                                 "pause": StatAgentPause}


class ReportClose(Base):
    """A daily close or monthly report sent (its key: `daily:2026-10-31`), claimed
    before it is sent, so a restart never sends it twice."""

    __tablename__ = "report_closes"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    sent_at: Mapped[float] = mapped_column(Float)
