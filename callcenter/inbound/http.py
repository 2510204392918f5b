"""Supervisors' reading of what the tracking stored: the points ledger."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from callcenter.core.core import Core
from callcenter.inbound import service
from callcenter.web.auth import Supervisor


def routes(core: Core) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["supervisors"])

    @router.get("/ledger", summary="Points per agent this quarter (奖惩), by reason")
    async def ledger(session: Supervisor) -> list[dict[str, Any]]:
        since = service.start_of_quarter(core.clock.now(), core.tz)
        return await asyncio.to_thread(service.ledger, core.engine, since)

    return router
