"""The supervisors' wallboard: everything it shows, now (the stream sends the same
snapshot first)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from callcenter.web.auth import Supervisor, context
from callcenter.web.stream import wallboard_snapshot

router = APIRouter(prefix="/api", tags=["supervisors"])


@router.get("/wallboard", summary="Everything the wallboard shows, now")
async def wallboard(session: Supervisor, request: Request) -> dict[str, Any]:
    return await wallboard_snapshot(context(request))
