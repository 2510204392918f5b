"""The supervisors' wallboard: everything it shows, now (the stream sends the same
snapshot first); and what every page names things by (the queues' display names)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request

from callcenter.web.auth import SignedIn, Supervisor, context
from callcenter.web.stream import wallboard_snapshot

router = APIRouter(prefix="/api", tags=["supervisors"])


@router.get("/wallboard", summary="Everything the wallboard shows, now")
async def wallboard(session: Supervisor, request: Request) -> dict[str, Any]:
    return await wallboard_snapshot(context(request))


def display_routes(queue_names: Mapping[str, str]) -> APIRouter:
    """The queues' display names (`[wallboard.queue_names]`, their one source): every
    page loads them at start for `CC.label("queue", code)`."""
    names = dict(queue_names)
    shared = APIRouter(prefix="/api", tags=["pages"])

    @shared.get("/display", summary="The queues' display names, for every page")
    async def display(session: SignedIn) -> dict[str, Any]:
        return {"queue_names": names}

    return shared
