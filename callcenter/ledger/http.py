"""Ledger routes (supervisors): the entries of a period, a manual entry with its
reason, a reversal, the quarter's bonus.  Who entered it is the signed-in user."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from callcenter.core.core import Core
from callcenter.errors import InvalidInput, LedgerError
from callcenter.ledger import service
from callcenter.ledger.settings import LedgerSettings
from callcenter.web.auth import Supervisor
from callcenter.web.params import RowId


class ManualEntry(BaseModel):
    agent: str = Field(max_length=128, description="member interface, e.g. PJSIP/1001")
    points: int = Field(description="+ or -, not 0")
    reason: str = Field(min_length=1, max_length=500)


class Reversal(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


def routes(core: Core, settings: LedgerSettings) -> APIRouter:
    router = APIRouter(prefix="/api/ledger", tags=["supervisors"])

    def iso(at: float) -> str:
        return datetime.fromtimestamp(at, core.tz).isoformat(timespec="seconds")

    # GET /api/ledger itself is the per-agent quarter summary (inbound/http.py).
    @router.get("/entries", summary="Ledger entries of a period (epoch seconds)")
    async def entries(session: Supervisor, start: float, end: float,
                      agent: str | None = None) -> list[dict[str, Any]]:
        return await asyncio.to_thread(service.entries, core.engine, start, end, agent=agent,
                                       iso=iso)

    @router.post("/entries", summary="A manual entry, with its reason (audited)")
    async def add(body: ManualEntry, session: Supervisor) -> dict[str, Any]:
        try:
            entry = await asyncio.to_thread(
                service.add_manual, core.engine, body.agent, body.points, body.reason,
                by=session.user.username, now=core.clock.now(),
                max_points=settings.manual_max_points)
        except LedgerError as exc:
            raise InvalidInput(str(exc)) from None
        return {"entry": entry}

    @router.post("/entries/{entry_id}/reverse", summary="Undo an entry by a reversing entry (once)")
    async def reverse(entry_id: RowId, body: Reversal, session: Supervisor) -> dict[str, Any]:
        try:
            new_id = await asyncio.to_thread(service.reverse, core.engine, entry_id, body.reason,
                                             session.user.username, core.clock.now())
        except LedgerError as exc:
            raise InvalidInput(str(exc)) from None
        return {"reversal": new_id, "reverses": entry_id}

    @router.get("/bonus", summary="The quarter's bonus and top three, e.g. ?quarter=2026Q4")
    async def bonus(session: Supervisor, quarter: str) -> list[dict[str, Any]]:
        try:
            return await asyncio.to_thread(service.bonus, core.engine, quarter, core.tz,
                                           settings.rules)
        except LedgerError as exc:
            raise InvalidInput(str(exc)) from None

    return router
