"""The web layer's database work: what the store knows of today, to start the
wallboard after a restart (the queues' day figures as the reports sum them)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, select

from callcenter.domain.kpi_periods import Period
from callcenter.domain.ratings_today import Seed
from callcenter.domain.wallboard import DaySeed
from callcenter.inbound.service import start_of_day, start_of_quarter
from callcenter.reports.service import queue_sums
from callcenter.store import models as m
from callcenter.surge.service import load_series


def day_seed(engine: Engine, now: float, tz: ZoneInfo, bucket_s: float, scope: str) -> DaySeed:
    today = start_of_day(now, tz)
    quarter = start_of_quarter(now, tz)
    day = datetime.fromtimestamp(now, tz).date()
    tomorrow = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).timestamp()
    # Today's interval figures per queue, as a report of today sums them.
    queues = {s.name: s.figures for s in queue_sums(engine, [Period(today, tomorrow)], None)}
    with engine.connect() as conn:
        live = conn.execute(select(m.Agent)).all()
        names = {a.interface: a.name for a in live}
        states = {a.interface: (a.state, a.paused_reason, a.since) for a in live}
        calls = {r[0]: r[1] for r in conn.execute(
            select(m.Call.agent_interface, func.count()).where(
                m.Call.answered_at >= today, m.Call.agent_interface.is_not(None))
            .group_by(m.Call.agent_interface)).all()}
        violations = {r[0]: r[1] for r in conn.execute(
            select(m.Violation.agent_interface, func.count())
            .where(m.Violation.raised_at >= today)
            .group_by(m.Violation.agent_interface)).all()}
        points = {r[0]: r[1] for r in conn.execute(
            select(m.PointsEntry.agent_interface, func.sum(m.PointsEntry.points))
            .where(m.PointsEntry.at >= quarter)
            .group_by(m.PointsEntry.agent_interface)).all()}
    agents = {}
    for iface in set(names) | set(calls) | set(violations) | set(points):
        if iface is None:
            continue
        agents[iface] = (names.get(iface, iface), int(calls.get(iface, 0)),
                         int(violations.get(iface, 0)), int(points.get(iface, 0) or 0))
    series = [(s.at, s.waiting) for s in load_series(engine, today, bucket_s, scope)]
    return DaySeed(day, queues, agents, series, states)


def rating_seed(engine: Engine, now: float, tz: ZoneInfo) -> Seed:
    """Tickets rated today, per queue, rating and source: the wallboard's rating split."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Ticket.queue, m.Ticket.rating, m.Ticket.rating_source, func.count())
            .where(m.Ticket.rated_at >= start_of_day(now, tz), m.Ticket.rating.is_not(None))
            .group_by(m.Ticket.queue, m.Ticket.rating, m.Ticket.rating_source)).all()
    seed: dict[str, dict[tuple[str, str], int]] = {}
    for queue, rating, source, count in rows:
        seed.setdefault(queue, {})[(str(rating), source or "staff")] = int(count)
    return seed


def pause_seed(engine: Engine, now: float, tz: ZoneInfo) -> dict[str, list[tuple[str, str, float]]]:
    """Each agent's state changes today, after its last one before midnight: today's
    paused time by reason, after a restart."""
    today = start_of_day(now, tz)
    c = m.AgentStateChange
    last_before = (select(c.agent_interface, func.max(c.at).label("at"))
                   .where(c.at < today).group_by(c.agent_interface).subquery())
    seed: dict[str, list[tuple[str, str, float]]] = {}
    with engine.connect() as conn:
        rows = list(conn.execute(
            select(c.agent_interface, c.state, c.reason, c.at).join(
                last_before, and_(c.agent_interface == last_before.c.agent_interface,
                                  c.at == last_before.c.at))))
        rows += conn.execute(select(c.agent_interface, c.state, c.reason, c.at)
                             .where(c.at >= today).order_by(c.at, c.id)).all()
    for interface, state, reason, at in rows:
        seed.setdefault(interface, []).append((state, reason or "", float(at)))
    return seed
