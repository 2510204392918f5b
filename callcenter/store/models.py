"""Database tables (SQLAlchemy 2).  Times are UTC epoch seconds (float): exact,
portable between SQLite and PostgreSQL, and what the domain already uses.

Idempotency lives in constraints, not only code: one ticket per Linkedid, one
violation per ring leg, one ledger entry per violation, one call per
(Linkedid, queue), one ring-leg row per member leg.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from callcenter.store.complaint_columns import ComplaintColumns, LedgerAudit


class Base(DeclarativeBase):
    pass


Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)  # normalised
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[float] = mapped_column(Float)


class Call(Base):
    """A caller's stay in a queue."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("linkedid", "queue", name="uq_calls_linkedid_queue"),
        Index("ix_calls_phone_joined", "caller_phone", "joined_at"),
        Index("ix_calls_queue_joined", "queue", "joined_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64))
    uniqueid: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(80))
    caller_phone: Mapped[str] = mapped_column(String(32), default="")
    joined_at: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16), default="waiting")  # answered|abandoned
    answered_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    agent_interface: Mapped[str | None] = mapped_column(String(128), nullable=True)
    hold_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    ring_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    late_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    talk_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    hangup_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The Asterisk server it happened on (`[[ami]]` name; "default" with one `[ami]`).
    server: Mapped[str] = mapped_column(String(32), default="default", server_default="default")


class RingLeg(Base):
    __tablename__ = "ring_legs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    leg_uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(80))
    agent_interface: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float] = mapped_column(Float)
    ring_s: Mapped[float] = mapped_column(Float)
    result: Mapped[str] = mapped_column(String(16))
    # The Asterisk server it happened on (`[[ami]]` name; "default" with one `[ami]`).
    server: Mapped[str] = mapped_column(String(32), default="default", server_default="default")


class Violation(Base):
    __tablename__ = "violations"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    leg_uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(80))
    agent_interface: Mapped[str] = mapped_column(String(128), index=True)
    agent_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # no_answer until answered late
    settled: Mapped[bool] = mapped_column(Boolean, default=False)
    ring_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    budget_s: Mapped[float] = mapped_column(Float)
    raised_at: Mapped[float] = mapped_column(Float, index=True)
    settled_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The Asterisk server it happened on (`[[ami]]` name; "default" with one `[ami]`).
    server: Mapped[str] = mapped_column(String(32), default="default", server_default="default")


class PointsEntry(LedgerAudit, Base):
    """The agent's points ledger (奖惩): one row per scored fact, never edited (a wrong
    one is undone by a reversing entry)."""

    __tablename__ = "points_ledger"
    # A ticket scores once per reason (the caller's survey rating, a confirmed complaint),
    # a periodic award once per agent and period: the database keeps it.
    __table_args__ = (UniqueConstraint("ticket_id", "reason", name="uq_points_ledger_ticket_reason"),
                      UniqueConstraint("agent_interface", "reason", "period",
                                       name="uq_points_ledger_period"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agent_interface: Mapped[str] = mapped_column(String(128), index=True)
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    violation_id: Mapped[int | None] = mapped_column(
        ForeignKey("violations.id"), unique=True, nullable=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    at: Mapped[float] = mapped_column(Float)


class Agent(Base):
    """Each agent's live state (one row per member interface), kept by the daemon."""

    __tablename__ = "agents"
    interface: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))
    paused_reason: Mapped[str] = mapped_column(String(100), default="")
    current_linkedid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    since: Mapped[float] = mapped_column(Float)


class AgentStateChange(Base):
    __tablename__ = "agent_state_changes"
    __table_args__ = (Index("ix_agent_state_changes_agent_at", "agent_interface", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agent_interface: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[float] = mapped_column(Float)


class QueueSample(Base):
    """The queue-length time series (the surge monitor reads it)."""

    __tablename__ = "queue_samples"
    __table_args__ = (Index("ix_queue_samples_queue_at", "queue", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    queue: Mapped[str] = mapped_column(String(80))
    at: Mapped[float] = mapped_column(Float)
    waiting: Mapped[int] = mapped_column(Integer)
    longest_wait_s: Mapped[float] = mapped_column(Float)


class Ticket(ComplaintColumns, Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    caller_phone: Mapped[str] = mapped_column(String(32))
    owner_interface: Mapped[str] = mapped_column(String(128), index=True)
    owner_name: Mapped[str] = mapped_column(String(100))
    # The Asterisk server it happened on (`[[ami]]` name; "default" with one `[ami]`).
    server: Mapped[str] = mapped_column(String(32), default="default", server_default="default")
    queue: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16), default="phone")  # 受理方式
    opened_at: Mapped[float] = mapped_column(Float, index=True)
    hold_s: Mapped[float] = mapped_column(Float)
    ring_s: Mapped[float] = mapped_column(Float)
    late_answer: Mapped[bool] = mapped_column(Boolean)  # "apologise first"
    calls_last_window: Mapped[int] = mapped_column(Integer)  # this number, last 7 days
    # Opened from Asterisk's queue_log: the daemon missed the call live (gap recovery).
    recovered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    talk_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    hangup_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    completed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # open | dispatched | accepted | resolved | closed
    # What the agent records while talking (工单录入), SERVICE_STANDARDS section 2.
    category: Mapped[str] = mapped_column(String(16), default="")  # 咨询/投诉/建议/表扬/求助
    content: Mapped[str] = mapped_column(String(4000), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    resolution: Mapped[str] = mapped_column(String(4000), default="")
    priority: Mapped[str] = mapped_column(String(16), default="normal")  # low|normal|high|urgent
    mood: Mapped[str] = mapped_column(String(16), default="")  # calm|anxious|angry|satisfied
    updated_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The workflow's clocks: each *_due_at is set when its rule starts to run.
    dispatched_to: Mapped[str] = mapped_column(String(100), default="")
    dispatched_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    accepted_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    callback_due_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    lead_called_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    rating: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # ivr: the caller's own key in the post-call survey (never overwritten); staff: set
    # on the desk.
    rating_source: Mapped[str | None] = mapped_column(String(8), nullable=True)
    rated_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    review_due_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    reviewed_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Recording(Base):
    """A ticket's call recording (MixMonitor, named by the call's Linkedid), found once
    the call ended.  `path` None: the call ended and no file was there (not recorded).
    Deleted by the retention job (过期销毁): `deleted_at` set, the path kept."""

    __tablename__ = "recordings"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    path: Mapped[str | None] = mapped_column(String(500), nullable=True)  # as the daemon reads it
    bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    recorded_at: Mapped[float] = mapped_column(Float, index=True)  # the call's time (opened_at)
    checked_at: Mapped[float] = mapped_column(Float)
    deleted_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class TicketParticipant(Base):
    __tablename__ = "ticket_participants"
    __table_args__ = (UniqueConstraint("ticket_id", "agent_interface",
                                       name="uq_ticket_participants_agent"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    agent_interface: Mapped[str] = mapped_column(String(128))
    agent_name: Mapped[str] = mapped_column(String(100))
    queue: Mapped[str] = mapped_column(String(80))
    joined_at: Mapped[float] = mapped_column(Float)


class QueueLive(Base):
    """Each queue's live picture, kept by the daemon for readers (CLI, later web)."""

    __tablename__ = "queues_live"
    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    waiting: Mapped[int] = mapped_column(Integer)
    oldest_joined_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    agents_available: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[float] = mapped_column(Float)


# -- callbacks (回访) -------------------------------------------------------------------


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # followup | abandoned | imported
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|paused|finished
    mode: Mapped[str] = mapped_column(String(16), default="customer_first")  # or agent_first
    agent_interface: Mapped[str | None] = mapped_column(String(128), nullable=True)
    deadline_rule: Mapped[str] = mapped_column(String(16), default="3d")  # 3d | 1wd | 25nm
    max_in_flight: Mapped[int] = mapped_column(Integer, default=2)
    created_at: Mapped[float] = mapped_column(Float)
    # The Asterisk server it dials through; "" = spread over every server that is up.
    server: Mapped[str] = mapped_column(String(32), default="", server_default="")


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "phone", name="uq_contacts_campaign_phone"),
        Index("ix_contacts_due", "campaign_id", "status", "next_due_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(32))
    member: Mapped[bool] = mapped_column(Boolean, default=False)  # 会员: 100 % coverage
    service_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    deadline: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # pending | dialing | done | failed | cancelled; keep-your-place requests:
    # waiting (a placeholder holds the place) | connected | expired
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    next_due_at: Mapped[float] = mapped_column(Float)
    appointment_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    # Keep your place (排队回呼): when the caller first joined the queue they left by key.
    joined_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Attempt(Base):
    """One dial.  Stored as `dialing` before Originate is sent, with its ids, so a
    crash can never lead to dialing the same person twice."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_phone_started", "phone", "started_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    action_id: Mapped[str] = mapped_column(String(80), unique=True)
    channel_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # dialing|answered|ended|unknown
    # The Asterisk server it was dialed through.
    server: Mapped[str] = mapped_column(String(32), default="default", server_default="default")
    started_at: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[int | None] = mapped_column(Integer, nullable=True)  # OriginateResponse
    cause: Mapped[int | None] = mapped_column(Integer, nullable=True)  # Q.850
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    agent_interface: Mapped[str | None] = mapped_column(String(128), nullable=True)


class DoNotCall(Base):
    __tablename__ = "do_not_call"
    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[float] = mapped_column(Float)


class DncAudit(Base):
    """Who put a number on the do-not-call list or took it off, when and why."""

    __tablename__ = "dnc_audit"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(8))  # add | remove
    reason: Mapped[str] = mapped_column(String(200))
    by_user: Mapped[str] = mapped_column(String(64))  # "" = the daemon or the CLI
    at: Mapped[float] = mapped_column(Float, index=True)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_open", "kind", "cleared_at"),
        # An alert about one thing (a ticket's duty) is raised once, ever: the database
        # keeps it so even when two checks run at the same moment.
        Index("uq_alerts_kind_ref", "kind", "ref", unique=True,
              sqlite_where=text("ref <> ''"), postgresql_where=text("ref <> ''")),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))  # info | warning | critical
    message: Mapped[str] = mapped_column(String(500))  # Chinese
    message_en: Mapped[str] = mapped_column(String(500), default="", server_default="")
    raised_at: Mapped[float] = mapped_column(Float)
    cleared_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    acknowledged_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ref: Mapped[str] = mapped_column(String(80), default="")  # e.g. ticket:42


class SurgeTransitionRow(Base):
    __tablename__ = "surge_transitions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))
    previous: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Float, index=True)
    waiting: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(String)  # JSON [[at, waiting], ...]


# -- web users ----------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(16))  # supervisor | agent
    password_hash: Mapped[str] = mapped_column(String(200))
    # The queue member this agent answers as (Local/1001@agents, PJSIP/1001): what
    # ties a ringing leg and a ticket to a person.
    member_interface: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    # A supervisor's own phone (PJSIP/2001): listening, whispering and barging ring it.
    phone_interface: Mapped[str | None] = mapped_column(String(128), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)


class WebSession(Base):
    """A signed-in browser.  Only the token's SHA-256 is stored."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class SetAside(Base):
    """An outcome the store could not write even alone and after retries: kept here
    for a supervisor (with the error), never only a log line, and alerted."""

    __tablename__ = "set_aside"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # the outcome's type, e.g. TicketOpened
    linkedid: Mapped[str] = mapped_column(String(64), default="", index=True)
    payload: Mapped[str] = mapped_column(Text)  # the outcome as JSON, to write it by hand
    error: Mapped[str] = mapped_column(String(500))
    at: Mapped[float] = mapped_column(Float)
    resolved_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class QueueLogCheckpoint(Base):
    """How far each Asterisk server's queue_log has been accounted for (one row per
    server): which file (its device, inode and the hash of its first line, so a
    rotated or truncated file is told from the one we read), the offset after the
    last line taken, and that line's time."""

    __tablename__ = "queue_log_checkpoints"
    # The `[[ami]]` server whose file it is ("default" with one `[ami]`).
    server: Mapped[str] = mapped_column(String(32), primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    device: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    head: Mapped[str] = mapped_column(String(64))  # SHA-256 of the first line, "" if none yet
    read_offset: Mapped[int] = mapped_column(BigInteger)
    last_entry_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[float] = mapped_column(Float)



class TicketDraft(Base):
    """What a user typed into a ticket and has not saved yet (the agent desk keeps it
    while they type, so a new call or a reload loses nothing).  One per user and ticket:
    nobody else reads it.  `fields` is a JSON object of the ticket's own fields."""

    __tablename__ = "ticket_drafts"
    __table_args__ = (UniqueConstraint("user_id", "ticket_id", name="uq_ticket_drafts_user"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    fields: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[float] = mapped_column(Float)

# The interval statistics' tables live in a module of their own (on this Base).
from callcenter.store import cluster_models as _cluster_models  # noqa: E402,F401
from callcenter.store import stat_models as _stat_models  # noqa: E402,F401
