"""The reports' SQL: the interval tables summed per period (a 15-minute period is a
row as stored; a longer one one GROUP BY over its intervals, using the tables'
(start, ...) index), and the figures other parts own (ratings on tickets, the
points ledger) read for the same periods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from callcenter.complaints.service import confirmed_per_agent
from callcenter.domain.kpi import (
    AGENT_FIGURES,
    MAXIMA,
    QUEUE_FIGURES,
    KpiRules,
    agent_row,
    queue_row,
)
from callcenter.domain.kpi_periods import Period
from callcenter.store import models as m
from callcenter.store import stat_models as sm
from callcenter.store.stats import prune_keys
from callcenter.store.upsert import insert_for


@dataclass(frozen=True, slots=True)
class Summed:
    period: Period
    name: str  # queue, or agent interface
    label: str  # agent name ("" for a queue)
    figures: dict[str, float]


def _aggregates(table: Any, names: Sequence[str]) -> list[Any]:
    return [(func.max if n in MAXIMA else func.sum)(table.__table__.c[n]).label(n)
            for n in names]


def _sum(engine: Engine, table: Any, key: Any, names: Sequence[str], periods: Sequence[Period],
         *, only: str | None, label: Any = None) -> list[Summed]:
    out: list[Summed] = []
    columns = [key.label("key"), (func.max(label) if label is not None else key).label("label"),
               *_aggregates(table, names)]
    with engine.connect() as conn:
        if len(periods) > 1 and all(p.end - p.start == 900 for p in periods):
            # 15-minute periods are the stored rows: one query.
            lo, hi = periods[0].start, periods[-1].end
            query = select(table.start, *columns).where(table.start >= lo, table.start < hi)
            if only:
                query = query.where(key == only)
            for row in conn.execute(query.group_by(table.start, key)):
                out.append(_summed(Period(row.start, row.start + 900), row, names))
            return sorted(out, key=lambda s: (s.period.start, s.name))
        for period in periods:
            query = select(*columns).where(table.start >= period.start, table.start < period.end)
            if only:
                query = query.where(key == only)
            for row in conn.execute(query.group_by(key).order_by(key)):
                out.append(_summed(period, row, names))
    return out


def _summed(period: Period, row: Any, names: Sequence[str]) -> Summed:
    mapping = row._mapping
    label = mapping["label"] if mapping["label"] != mapping["key"] else ""
    return Summed(period, str(mapping["key"]), str(label or ""),
                  {n: float(mapping[n] or 0.0) for n in names})


def queue_sums(engine: Engine, periods: Sequence[Period], queue: str | None) -> list[Summed]:
    t = sm.StatQueueInterval
    return _sum(engine, t, t.queue, QUEUE_FIGURES, periods, only=queue)


def agent_sums(engine: Engine, periods: Sequence[Period], agent: str | None) -> list[Summed]:
    t = sm.StatAgentInterval
    return _sum(engine, t, t.interface, AGENT_FIGURES, periods, only=agent, label=t.name)


def pause_sums(engine: Engine, period: Period, agent: str | None) -> dict[str, dict[str, float]]:
    """Paused seconds per agent and reason over the period."""
    t = sm.StatAgentPause
    query = (select(t.interface, t.reason, func.sum(t.paused_s))
             .where(t.start >= period.start, t.start < period.end))
    if agent:
        query = query.where(t.interface == agent)
    out: dict[str, dict[str, float]] = {}
    with engine.connect() as conn:
        for interface, reason, seconds in conn.execute(query.group_by(t.interface, t.reason)):
            out.setdefault(interface, {})[reason] = round(float(seconds or 0.0), 1)
    return out


def ledger(engine: Engine, period: Period) -> tuple[dict[str, int], dict[str, int]]:
    """Ratings given to each owner's tickets, and each agent's points, in the period."""
    t, p = m.Ticket, m.PointsEntry
    with engine.connect() as conn:
        ratings: dict[str, int] = dict(conn.execute(
            select(t.owner_interface, func.count()).where(
                t.rating.is_not(None), t.rated_at >= period.start, t.rated_at < period.end)
            .group_by(t.owner_interface)).all())
        points: dict[str, int] = dict(conn.execute(
            select(p.agent_interface, func.sum(p.points)).where(
                p.at >= period.start, p.at < period.end).group_by(p.agent_interface))
            .all())
    return ({k: int(v) for k, v in ratings.items()}, {k: int(v or 0) for k, v in points.items()})


def prune(engine: Engine, before: float) -> int:
    with engine.begin() as conn:
        return prune_keys(conn, before)


def _row(values: Any, period: Period | None, iso: Any) -> dict[str, Any]:
    row: dict[str, Any] = {} if period is None else {"interval_start": iso(period.start)}
    row.update({k: getattr(values, k) for k in values.__slots__})
    return row


def queue_report(engine: Engine, periods: Sequence[Period], rules: KpiRules, *,
                 queue: str | None, iso: Any, with_interval: bool) -> list[dict[str, Any]]:
    return [_row(queue_row(s.name, s.figures, rules), s.period if with_interval else None, iso)
            for s in queue_sums(engine, periods, queue)]


def agent_report(engine: Engine, periods: Sequence[Period], *, agent: str | None, iso: Any,
                 with_interval: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    extras: dict[Period, tuple[dict[str, int], dict[str, int], dict[str, int]]] = {}
    for s in agent_sums(engine, periods, agent):
        if s.period not in extras:
            extras[s.period] = (*ledger(engine, s.period),
                                confirmed_per_agent(engine, s.period.start, s.period.end))
        ratings, points, complaints = extras[s.period]
        # Complaints: confirmed ones about the agent that came in within the period.
        values = agent_row(s.label or s.name, s.name, s.figures, ratings=ratings.get(s.name, 0),
                           complaints=complaints.get(s.name, 0), points=points.get(s.name, 0))
        rows.append(_row(values, s.period if with_interval else None, iso))
    return rows


def names(engine: Engine) -> tuple[list[str], list[tuple[str, str]]]:
    """Every queue and agent (interface, latest name) figures were kept for."""
    q, a = sm.StatQueueInterval, sm.StatAgentInterval
    with engine.connect() as conn:
        queues = [row[0] for row in conn.execute(select(q.queue).distinct().order_by(q.queue))]
        agents = [(row[0], str(row[1] or row[0])) for row in conn.execute(
            select(a.interface, func.max(a.name)).group_by(a.interface).order_by(a.interface))]
    return queues, agents


def claim_close(engine: Engine, key: str, now: float) -> bool:
    """True once per key: the close is ours to send (claimed before it is sent)."""
    with engine.begin() as conn:
        claimed = conn.execute(insert_for(conn, sm.ReportClose).values(key=key, sent_at=now)
                               .on_conflict_do_nothing().returning(sm.ReportClose.key)).first()
    return claimed is not None
