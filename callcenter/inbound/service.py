"""What the inbound tracking stored, read back for the CLI and the pages: queues,
agents and violations as plain dicts, safe while the daemon writes."""

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


def iso(at: float | None, tz: ZoneInfo) -> str | None:
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
            # answered within the ring budget: not the service level, which is the
            # reports' (answered within T of joining, abandons counted: `report queues`)
            "three_ring_pct": (round(100.0 * int(st.in_budget or 0) / n_answered, 1)
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
            "since": iso(a.since, tz),
            "calls_taken": int(taken.get(a.interface, 0)),
            "violations_today": int(violations.get(a.interface, 0)),
            "points": int(points.get(a.interface, 0) or 0),
        } for a in s.scalars(select(m.Agent).order_by(m.Agent.name))]


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
            "at": iso(v.raised_at, tz),
        } for v in s.scalars(select(m.Violation)
                             .order_by(m.Violation.raised_at.desc(), m.Violation.id.desc())
                             .limit(limit))]


def start_of_quarter(now: float, tz: ZoneInfo) -> float:
    local = datetime.fromtimestamp(now, tz)
    first_month = 3 * ((local.month - 1) // 3) + 1
    return local.replace(month=first_month, day=1, hour=0, minute=0, second=0,
                         microsecond=0).timestamp()


def ledger(engine: Engine, since: float) -> list[Row]:
    """Points per agent since a time (奖惩), by reason, lowest first."""
    with engine.connect() as conn:
        names = {r[0]: r[1] for r in conn.execute(select(m.Agent.interface, m.Agent.name)).all()}
        rows = conn.execute(select(m.PointsEntry.agent_interface, m.PointsEntry.reason,
                                   func.sum(m.PointsEntry.points), func.count())
                            .where(m.PointsEntry.at >= since)
                            .group_by(m.PointsEntry.agent_interface, m.PointsEntry.reason)).all()
    per_agent: dict[str, Row] = {}
    for iface, name in names.items():
        per_agent[iface] = {"interface": iface, "name": name, "points": 0, "entries": {}}
    for iface, reason, points, count in rows:
        agent = per_agent.setdefault(iface, {"interface": iface, "name": iface, "points": 0,
                                             "entries": {}})
        agent["points"] += int(points or 0)
        agent["entries"][reason] = {"points": int(points or 0), "count": int(count)}
    return sorted(per_agent.values(), key=lambda a: (a["points"], a["name"]))
