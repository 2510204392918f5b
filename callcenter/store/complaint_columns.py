"""The columns a complaint (投诉) or praise (表扬) ticket adds to the ticket (mixed into
`models.Ticket`), and those the points ledger's audit adds to `models.PointsEntry`:
kept apart so the two tables' declarations stay readable."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

_Id = BigInteger().with_variant(Integer, "sqlite")


class ComplaintColumns:
    """被投诉人 / 责任归属, the promised reply, the investigation's deadline, the verdict."""

    # The agent a complaint or praise is about (member interface), if an agent.
    about_agent: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    about_name: Mapped[str] = mapped_column(String(100), default="", server_default="")  # 被投诉人 as written
    department: Mapped[str] = mapped_column(String(100), default="", server_default="")  # 责任归属
    complaint_kind: Mapped[str] = mapped_column(String(32), default="", server_default="")  # 投诉类别
    praise_kind: Mapped[str] = mapped_column(String(8), default="", server_default="")  # phone | letter
    reply_promised_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # 回复时间
    investigation_due_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    resolved_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # "" (none yet) | confirmed | unfounded (无理投诉)
    verdict: Mapped[str] = mapped_column(String(16), default="", server_default="")
    verdict_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    verdict_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    verdict_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class LedgerAudit:
    """Who entered a ledger row and why; which entry a reversal undoes (once); the
    month a periodic award is for (once per agent, reason and period)."""

    entered_by: Mapped[str] = mapped_column(String(64), default="", server_default="")  # "" = the daemon
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")

    @declared_attr
    def reverses_id(cls) -> Mapped[int | None]:
        return mapped_column(_Id, ForeignKey("points_ledger.id"), unique=True, nullable=True)

    period: Mapped[str | None] = mapped_column(String(16), nullable=True)
