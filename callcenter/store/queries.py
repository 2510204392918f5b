"""Read models for the CLI (and later the web): plain dicts, safe while the daemon writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.orm import Session

from callcenter.store import models as m

Row = dict[str, Any]


def start_of_day(now: float, tz: ZoneInfo) -> float:
    local = datetime.fromtimestamp(now, tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _iso(at: float | None, tz: ZoneInfo) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, tz).isoformat(timespec="seconds")


def queues(engine: Engine, now: float, tz: ZoneInfo) -> list[Row]:
    today = start_of_day(now, tz)
    with Session(engine) as s:
        live = {q.queue: q for q in s.scalars(select(m.QueueLive))}
        answered = func.sum(case((m.Call.outcome == "answered", 1), else_=0))
        in_budget = func.sum(case((and_(m.Call.outcome == "answered",
                                        m.Call.late_answer.is_(False)), 1), else_=0))
        abandoned = func.sum(case((m.Call.outcome == "abandoned", 1), else_=0))
        stats = {r.queue: r for r in s.execute(
            select(m.Call.queue, answered.label("answered"), in_budget.label("in_budget"),
                   abandoned.label("abandoned"))
            .where(m.Call.joined_at >= today).group_by(m.Call.queue))}
    rows = []
    for name in sorted(set(live) | set(stats)):
        q, st = live.get(name), stats.get(name)
        n_answered = int(st.answered or 0) if st else 0
        oldest = q.oldest_joined_at if q else None
        rows.append({
            "queue": name,
            "waiting": q.waiting if q else 0,
            "longest_wait_s": round(max(0.0, now - oldest), 1) if oldest else 0.0,
            "answered": n_answered,
            "abandoned": int(st.abandoned or 0) if st else 0,
            "service_level_pct": (round(100.0 * int(st.in_budget or 0) / n_answered, 1)
                                  if st and n_answered else None),
            "agents_available": q.agents_available if q else 0,
        })
    return rows


def agents(engine: Engine, now: float, tz: ZoneInfo) -> list[Row]:
    today = start_of_day(now, tz)
    with Session(engine) as s:
        taken = dict(s.execute(
            select(m.Call.agent_interface, func.count())
            .where(m.Call.outcome == "answered", m.Call.answered_at >= today)
            .group_by(m.Call.agent_interface)).all())
        violations = dict(s.execute(
            select(m.Violation.agent_interface, func.count())
            .where(m.Violation.raised_at >= today)
            .group_by(m.Violation.agent_interface)).all())
        points = dict(s.execute(
            select(m.PointsEntry.agent_interface, func.sum(m.PointsEntry.points))
            .group_by(m.PointsEntry.agent_interface)).all())
        return [{
            "agent": a.name,
            "interface": a.interface,
            "state": a.state,
            "paused_reason": a.paused_reason or None,
            "since": _iso(a.since, tz),
            "calls_taken": int(taken.get(a.interface, 0)),
            "violations_today": int(violations.get(a.interface, 0)),
            "points": int(points.get(a.interface, 0) or 0),
        } for a in s.scalars(select(m.Agent).order_by(m.Agent.name))]


def tickets(engine: Engine, tz: ZoneInfo, limit: int = 50) -> list[Row]:
    with Session(engine) as s:
        rows = s.scalars(select(m.Ticket).order_by(m.Ticket.opened_at.desc(), m.Ticket.id.desc())
                         .limit(limit)).all()
        parts: dict[int, list[str]] = {}
        for p in s.scalars(select(m.TicketParticipant)
                           .where(m.TicketParticipant.ticket_id.in_([t.id for t in rows]))
                           .order_by(m.TicketParticipant.joined_at)):
            parts.setdefault(p.ticket_id, []).append(p.agent_name)
        return [{
            "id": t.id,
            "linkedid": t.linkedid,
            "caller_number": t.caller_phone,
            "customer_id": t.customer_id,
            "calls_last_7d": t.calls_last_window,
            "agent": t.owner_name,
            "participants": parts.get(t.id, [t.owner_name]),
            "queue": t.queue,
            "opened_at": _iso(t.opened_at, tz),
            "hold_s": t.hold_s,
            "ring_s": round(t.ring_s, 1),
            "late_answer": t.late_answer,
            "talk_s": t.talk_s,
            "hangup_by": t.hangup_by,
            "status": t.status,
        } for t in rows]


def violations(engine: Engine, tz: ZoneInfo, limit: int = 100) -> list[Row]:
    with Session(engine) as s:
        return [{
            "agent": v.agent_name,
            "interface": v.agent_interface,
            "queue": v.queue,
            "linkedid": v.linkedid,
            "kind": v.kind,
            "settled": v.settled,
            "ring_s": None if v.ring_s is None else round(v.ring_s, 1),
            "at": _iso(v.raised_at, tz),
        } for v in s.scalars(select(m.Violation)
                             .order_by(m.Violation.raised_at.desc(), m.Violation.id.desc())
                             .limit(limit))]
