"""The recordings' database work: which ended calls still need their recording looked
for, linking what was found, which recordings retention must delete, and what the
playback route needs to decide who may listen.  Synchronous (run in worker threads);
the files themselves are the jobs' business."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, or_, select, update

from callcenter.errors import NotFound
from callcenter.store import models as m
from callcenter.store.upsert import insert_for


@dataclass(frozen=True, slots=True)
class Unlinked:
    """An ended call whose recording has not been looked for yet."""

    ticket_id: int
    linkedid: str
    opened_at: float


@dataclass(frozen=True, slots=True)
class Found:
    ticket_id: int
    path: str | None  # None: no file (the call was not recorded)
    bytes: int | None
    recorded_at: float


@dataclass(frozen=True, slots=True)
class Expired:
    recording_id: int
    ticket_id: int
    linkedid: str
    path: str


@dataclass(frozen=True, slots=True)
class TicketRecording:
    """A ticket's recording as the playback route needs it, and who may hear it besides
    supervisors."""

    ticket_id: int
    linkedid: str
    path: str | None  # None: not recorded, or not looked for yet
    deleted_at: float | None  # deleted by retention
    agents: frozenset[str]  # the owner's and every participant's member interface


def unlinked(engine: Engine, now: float, *, since: float, unended_after_s: float,
             limit: int = 500) -> list[Unlinked]:
    """Tickets opened after `since` (older recordings are past retention anyway) with no
    recording row whose call ended (or started so long ago that its end was missed),
    oldest first."""
    query = (select(m.Ticket.id, m.Ticket.linkedid, m.Ticket.opened_at)
             .outerjoin(m.Recording, m.Recording.ticket_id == m.Ticket.id)
             .where(m.Ticket.opened_at >= since, m.Recording.id.is_(None),
                    or_(m.Ticket.completed_at.is_not(None),
                        m.Ticket.opened_at <= now - unended_after_s))
             .order_by(m.Ticket.opened_at, m.Ticket.id).limit(limit))
    with engine.connect() as conn:
        return [Unlinked(r.id, r.linkedid, r.opened_at) for r in conn.execute(query)]


def link(engine: Engine, found: list[Found], now: float) -> int:
    """Stores what was looked for; a ticket linked meanwhile keeps its row."""
    if not found:
        return 0
    stored = 0
    with engine.begin() as conn:
        for f in found:
            inserted = conn.execute(insert_for(conn, m.Recording).values(
                ticket_id=f.ticket_id, path=f.path, bytes=f.bytes, recorded_at=f.recorded_at,
                checked_at=now).on_conflict_do_nothing().returning(m.Recording.id)).all()
            stored += len(inserted)
    return stored


def expired(engine: Engine, before: float, *, limit: int = 500) -> list[Expired]:
    """Recordings of calls older than `before` that are still on disk (as far as we know)."""
    query = (select(m.Recording.id, m.Recording.ticket_id, m.Recording.path, m.Ticket.linkedid)
             .join(m.Ticket, m.Ticket.id == m.Recording.ticket_id)
             .where(m.Recording.path.is_not(None), m.Recording.deleted_at.is_(None),
                    m.Recording.recorded_at < before)
             .order_by(m.Recording.recorded_at).limit(limit))
    with engine.connect() as conn:
        return [Expired(r.id, r.ticket_id, r.linkedid, r.path) for r in conn.execute(query)]


def mark_deleted(engine: Engine, recording_id: int, now: float) -> None:
    with engine.begin() as conn:
        conn.execute(update(m.Recording).where(m.Recording.id == recording_id,
                                               m.Recording.deleted_at.is_(None))
                     .values(deleted_at=now))


def of_ticket(engine: Engine, ticket_id: int) -> TicketRecording:
    """The ticket's recording (NotFound: no such ticket)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(m.Ticket.linkedid, m.Ticket.owner_interface, m.Recording.path,
                   m.Recording.deleted_at)
            .outerjoin(m.Recording, m.Recording.ticket_id == m.Ticket.id)
            .where(m.Ticket.id == ticket_id)).one_or_none()
        if row is None:
            raise NotFound(f"no ticket #{ticket_id}")
        participants = conn.scalars(select(m.TicketParticipant.agent_interface)
                                    .where(m.TicketParticipant.ticket_id == ticket_id)).all()
    return TicketRecording(ticket_id, row.linkedid, row.path, row.deleted_at,
                           frozenset({row.owner_interface, *participants}))
