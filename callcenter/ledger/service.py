"""The ledger's SQL: writing entries (each source once, by the table's constraints),
a supervisor's manual entries and reversals, the zero-complaint month's award, and
the readers the reports use.

Row shapes (fixed keys, for the CLI's --json, the reports page and its exports):

- `entries()`: id, at, agent, interface, points, reason, ticket_id, period,
  entered_by, note, reverses_id, reversed_by_id — one row per ledger entry, oldest first.
- `bonus()`: quarter, rank, agent, interface, points, bonus_yuan, top_three — one row
  per agent with entries in the quarter, highest points first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Connection, Engine, func, or_, select, union
from sqlalchemy.exc import IntegrityError

from callcenter.domain import ledger as lg
from callcenter.domain.complaints import UNFOUNDED
from callcenter.domain.text import clean
from callcenter.domain.ticket_rules import COMPLAINT
from callcenter.errors import LedgerError
from callcenter.store import models as m
from callcenter.store import stat_models as sm
from callcenter.store.upsert import insert_for

log = structlog.get_logger("callcenter.ledger")

_INTERFACE = re.compile(r"[A-Za-z0-9/@._:+-]{1,128}")
NOTE_MAX = 500
# The reports' columns (names fixed: the CLI's --json, the page, the exports).
ENTRY_COLUMNS = ("id", "at", "agent", "interface", "points", "reason", "ticket_id", "period",
                 "entered_by", "note", "reverses_id", "reversed_by_id")
BONUS_COLUMNS = ("quarter", "rank", "agent", "interface", "points", "bonus_yuan", "top_three")


def write(conn: Connection, agent: str, points: int, reason: str, at: float, *,
          ticket_id: int | None = None, period: str | None = None, by: str = "",
          note: str = "", reverses_id: int | None = None) -> int | None:
    """One entry; None if this fact was scored already (ticket and reason, or agent,
    reason and period)."""
    new_id = conn.execute(insert_for(conn, m.PointsEntry).values(
        agent_interface=agent, points=points, reason=reason, ticket_id=ticket_id,
        period=period, entered_by=by, note=note, reverses_id=reverses_id, at=at)
        .on_conflict_do_nothing().returning(m.PointsEntry.id)).scalar()
    return None if new_id is None else int(new_id)


def names(conn: Connection) -> dict[str, str]:
    """Agents' names by member interface: the web users', then the live table's."""
    out = {i: n for i, n in conn.execute(select(m.Agent.interface, m.Agent.name)) if n}
    out.update({i: n for i, n in conn.execute(
        select(m.User.member_interface, m.User.display_name)
        .where(m.User.member_interface.is_not(None))) if i and n})
    return out


def known_agent(conn: Connection, interface: str) -> bool:
    return conn.execute(select(m.Agent.interface).where(m.Agent.interface == interface)
                        .union(select(m.User.member_interface)
                               .where(m.User.member_interface == interface))).first() is not None


def _reason_text(text: str) -> str:
    cleaned = clean(text, NOTE_MAX)
    if not cleaned:
        raise LedgerError("a reason is required (who, when and why are kept)")
    return cleaned


def _by(by: str) -> str:
    cleaned = clean(by, 64)
    if not cleaned:
        raise LedgerError("the supervisor entering it must be named (--by)")
    return cleaned


def add_manual(engine: Engine, agent: str, points: int, why: str, *, by: str, now: float,
               max_points: int, reason: str = lg.MANUAL) -> int:
    """A supervisor's entry, with who and why (a praise letter is one, its points from
    the settings)."""
    if not _INTERFACE.fullmatch(agent):
        raise LedgerError(f"{agent!r} is not a member interface (like PJSIP/1001)")
    if points == 0 or abs(points) > max_points:
        raise LedgerError(f"points must be non-zero and at most {max_points} either way")
    note, who = _reason_text(why), _by(by)
    with engine.begin() as conn:
        if not known_agent(conn, agent):
            raise LedgerError(f"no agent {agent!r} (neither seen on a queue nor a web user)")
        entry = write(conn, agent, points, reason, now, by=who, note=note)
    if entry is None:  # a manual entry has no uniqueness key: never happens
        raise LedgerError("the entry was not written")
    log.info("ledger.manual_entry", entry=entry, agent=agent, points=points, by=who)
    return entry


def reverse(engine: Engine, entry_id: int, why: str, by: str, now: float) -> int:
    """Undo an entry by a reversing one (the original is never edited); once only."""
    note, who = _reason_text(why), _by(by)
    try:
        with engine.begin() as conn:
            row = conn.execute(select(m.PointsEntry).where(m.PointsEntry.id == entry_id)
                               .with_for_update()).one_or_none()
            if row is None:
                raise LedgerError(f"no ledger entry #{entry_id}")
            done = conn.execute(select(m.PointsEntry.id)
                                .where(m.PointsEntry.reverses_id == entry_id)).first()
            refusal = lg.reversal_refusal(row.reason, done is not None, entry_id)
            if refusal:
                raise LedgerError(refusal)
            new_id = write(conn, row.agent_interface, -row.points, lg.REVERSAL, now, by=who,
                           note=note, reverses_id=entry_id)
    except IntegrityError:  # reversed at the same moment by someone else
        raise LedgerError(f"entry #{entry_id} has been reversed already") from None
    if new_id is None:
        raise LedgerError(f"entry #{entry_id} has been reversed already")
    log.info("ledger.reversed", entry=entry_id, reversal=new_id, by=who)
    return new_id


def reverse_ticket_entry(conn: Connection, ticket_id: int, reason: str, *, by: str, why: str,
                         now: float) -> int | None:
    """A ticket's entry undone (a confirmed complaint found unfounded)."""
    row = conn.execute(select(m.PointsEntry).where(m.PointsEntry.ticket_id == ticket_id,
                                                   m.PointsEntry.reason == reason)).one_or_none()
    if row is None:
        return None
    return write(conn, row.agent_interface, -row.points, lg.REVERSAL, now, by=by,
                 note=why[:NOTE_MAX], reverses_id=row.id)


def award_zero_complaint_month(engine: Engine, month: str, tz: ZoneInfo, rules: lg.LedgerRules,
                               now: float) -> list[str]:
    """+points to every agent who worked the month (logged in or answered, or owned a
    ticket) and had no complaint about them (unfounded ones aside).  Once per agent
    and month, by the table's constraint: run it as often as you like."""
    start, end = lg.month_bounds(month, tz)
    s, t = sm.StatAgentInterval, m.Ticket
    with engine.begin() as conn:
        active = set(conn.execute(union(
            select(s.interface).where(s.start >= start, s.start < end,
                                      or_(s.logged_in_s > 0, s.answered > 0)),
            select(t.owner_interface).where(t.opened_at >= start, t.opened_at < end))).scalars())
        complained = {a for a in conn.execute(select(t.about_agent).where(
            t.category == COMPLAINT, t.about_agent.is_not(None), t.verdict != UNFOUNDED,
            t.opened_at >= start, t.opened_at < end)).scalars() if a}
        awarded = [a for a in lg.zero_complaint_awards(active, complained)
                   if write(conn, a, rules.zero_complaint_points, lg.ZERO_COMPLAINT_MONTH, now,
                            period=month, note=f"当月零投诉 {month}") is not None]
    if awarded:
        log.info("ledger.zero_complaint_month", month=month, agents=len(awarded))
    return awarded


def entries(engine: Engine, start: float, end: float, *, agent: str | None,
            iso: Callable[[float], str]) -> list[dict[str, Any]]:
    p = m.PointsEntry
    query = select(p).where(p.at >= start, p.at < end).order_by(p.at, p.id)
    if agent:
        query = query.where(p.agent_interface == agent)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        known = names(conn)
        reversed_by = {original: reversal for original, reversal in conn.execute(
            select(p.reverses_id, p.id).where(p.reverses_id.in_([r.id for r in rows])))
            } if rows else {}
    return [{"id": r.id, "at": iso(r.at), "agent": known.get(r.agent_interface, ""),
             "interface": r.agent_interface, "points": r.points, "reason": r.reason,
             "ticket_id": r.ticket_id, "period": r.period, "entered_by": r.entered_by,
             "note": r.note, "reverses_id": r.reverses_id,
             "reversed_by_id": reversed_by.get(r.id)} for r in rows]


def totals(engine: Engine, start: float, end: float) -> dict[str, int]:
    p = m.PointsEntry
    with engine.connect() as conn:
        return {a: int(n or 0) for a, n in conn.execute(
            select(p.agent_interface, func.sum(p.points))
            .where(p.at >= start, p.at < end).group_by(p.agent_interface))}


def bonus(engine: Engine, quarter: str, tz: ZoneInfo, rules: lg.LedgerRules) -> list[dict[str, Any]]:
    """The quarter's points per agent, its bonus (points × yuan per point) and the top."""
    try:
        start, end = lg.quarter_bounds(quarter, tz)
    except ValueError as exc:
        raise LedgerError(str(exc)) from None
    points = totals(engine, start, end)
    with engine.connect() as conn:
        known = names(conn)
    label = lg.quarter_of(start, tz)
    return [{"quarter": label, "rank": b.rank, "agent": b.name, "interface": b.agent,
             "points": b.points, "bonus_yuan": b.bonus_yuan, "top_three": b.top_three}
            for b in lg.bonus_table(points, known, rules)]
