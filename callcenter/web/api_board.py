"""The supervisors' side: wallboard snapshot, alerts, the points ledger, campaigns."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Engine, func, select

from callcenter.alerts import store as alerts
from callcenter.callbacks import service as campaigns
from callcenter.errors import NotFound
from callcenter.store import models as m
from callcenter.web.auth import Supervisor, context
from callcenter.web.seed import start_of_quarter
from callcenter.web.stream import wallboard_snapshot

router = APIRouter(prefix="/api", tags=["supervisors"])


@router.get("/wallboard", summary="Everything the wallboard shows, now")
async def wallboard(session: Supervisor, request: Request) -> dict[str, Any]:
    return await wallboard_snapshot(context(request))


@router.get("/alerts", summary="Alerts, newest first (open ones, or the history)")
async def list_alerts(session: Supervisor, request: Request, open: bool = False,
                      limit: int = 100) -> list[dict[str, Any]]:
    ctx = context(request)
    return await asyncio.to_thread(alerts.list_alerts, ctx.engine, open_only=open,
                                   limit=min(max(limit, 1), 500))


@router.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert")
async def acknowledge(alert_id: int, session: Supervisor, request: Request) -> dict[str, Any]:
    ctx = context(request)
    t = await asyncio.to_thread(alerts.acknowledge, ctx.engine, alert_id, ctx.clock.now(),
                                session.user.username)
    if t is None:
        raise NotFound(f"no alert #{alert_id}")
    ctx.publish_alerts([t])
    # The first acknowledgement wins: answer with who that was, not with who asked.
    by = await asyncio.to_thread(_acknowledged_by, ctx.engine, alert_id)
    return {"id": alert_id, "acknowledged_at": t.at, "acknowledged_by": by}


def _acknowledged_by(engine: Engine, alert_id: int) -> str | None:
    with engine.connect() as conn:
        by: str | None = conn.execute(select(m.Alert.acknowledged_by)
                                      .where(m.Alert.id == alert_id)).scalar()
    return by


def _ledger(engine: Engine, since: float) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        names = {r[0]: r[1] for r in conn.execute(select(m.Agent.interface, m.Agent.name)).all()}
        rows = conn.execute(select(m.PointsEntry.agent_interface, m.PointsEntry.reason,
                                   func.sum(m.PointsEntry.points), func.count())
                            .where(m.PointsEntry.at >= since)
                            .group_by(m.PointsEntry.agent_interface, m.PointsEntry.reason)).all()
    per_agent: dict[str, dict[str, Any]] = {}
    for iface, name in names.items():
        per_agent[iface] = {"interface": iface, "name": name, "points": 0, "entries": {}}
    for iface, reason, points, count in rows:
        agent = per_agent.setdefault(iface, {"interface": iface, "name": iface, "points": 0,
                                             "entries": {}})
        agent["points"] += int(points or 0)
        agent["entries"][reason] = {"points": int(points or 0), "count": int(count)}
    return sorted(per_agent.values(), key=lambda a: (a["points"], a["name"]))


@router.get("/ledger", summary="Points per agent this quarter (奖惩), by reason")
async def ledger(session: Supervisor, request: Request) -> list[dict[str, Any]]:
    ctx = context(request)
    since = start_of_quarter(ctx.clock.now(), ctx.tz)
    return await asyncio.to_thread(_ledger, ctx.engine, since)


@router.get("/campaigns", summary="Callback campaigns and their progress")
async def campaign_list(session: Supervisor, request: Request) -> list[dict[str, Any]]:
    ctx = context(request)
    return await asyncio.to_thread(campaigns.campaigns, ctx.engine, ctx.tz)
