"""Supervisors' alert routes: the list (open ones, or the history) and acknowledging."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from callcenter.alerts import service
from callcenter.core.core import Core
from callcenter.errors import NotFound
from callcenter.web.auth import Supervisor
from callcenter.web.params import RowId


def routes(core: Core) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["supervisors"])

    @router.get("/alerts", summary="Alerts, newest first (open ones, or the history)")
    async def list_alerts(session: Supervisor, open: bool = False,
                          limit: int = 100) -> list[dict[str, Any]]:
        return await asyncio.to_thread(service.list_alerts, core.engine, open_only=open,
                                       limit=min(max(limit, 1), 500))

    @router.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert")
    async def acknowledge(alert_id: RowId, session: Supervisor) -> dict[str, Any]:
        t = await asyncio.to_thread(service.acknowledge, core.engine, alert_id,
                                    core.clock.now(), session.user.username)
        if t is None:
            raise NotFound(f"no alert #{alert_id}")
        core.alerts.publish([t])
        # The first acknowledgement wins: answer with who that was, not with who asked.
        by = await asyncio.to_thread(service.acknowledged_by, core.engine, alert_id)
        return {"id": alert_id, "acknowledged_at": t.at, "acknowledged_by": by}

    return router
