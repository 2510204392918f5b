"""The push channel: server-sent events.  The first message is a snapshot of what
this user may see; after it, only changes, as they happen."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from callcenter.alerts import store as alerts
from callcenter.users.service import Session
from callcenter.web.auth import SignedIn, context
from callcenter.web.context import WebContext
from callcenter.web.hub import Subscriber

router = APIRouter(prefix="/api", tags=["push"])
KEEPALIVE_S = 15.0


async def _snapshot(ctx: WebContext, session: Session) -> dict[str, Any]:
    if session.user.is_supervisor:
        open_alerts = await asyncio.to_thread(alerts.list_alerts, ctx.engine, open_only=True)
        return {**ctx.live.snapshot(), "alerts": open_alerts, "now": ctx.clock.now()}
    interface = session.user.member_interface or ""
    agent = ctx.live.wallboard.agents.get(interface)
    return {"me": agent.view() if agent else None, "call": ctx.live.call_of(interface),
            "now": ctx.clock.now()}


def _frame(event: str, data: str) -> str:
    return f"event: {event}\ndata: {data}\n\n"


async def _events(ctx: WebContext, sub: Subscriber, first: dict[str, Any]) -> AsyncIterator[str]:
    try:
        yield _frame("snapshot", json.dumps(first, ensure_ascii=False, separators=(",", ":")))
        while True:
            try:
                event, data = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"  # proxies and browsers drop silent streams
                continue
            if not event:  # dropped as too slow, or the daemon is stopping
                return
            yield _frame(event, data)
    finally:
        ctx.hub.unsubscribe(sub)


@router.get("/stream", summary="Server-sent events: snapshot, then every change",
            response_class=StreamingResponse)
async def stream(session: SignedIn, request: Request) -> StreamingResponse:
    ctx = context(request)
    sub = ctx.hub.subscribe(session.user)  # before the snapshot: nothing falls in between
    first = await _snapshot(ctx, session)
    return StreamingResponse(_events(ctx, sub, first), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
