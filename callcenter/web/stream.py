"""The push channel: server-sent events.  The first message is a snapshot of what
this user may see; after it, only changes, as they happen."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, Literal

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from callcenter.alerts import service as alerts
from callcenter.users.service import Session, find_session
from callcenter.web.auth import SESSION_COOKIE, SignedIn, context
from callcenter.web.context import WebContext
from callcenter.web.hub import Subscriber
from callcenter.web.live import call_view

router = APIRouter(prefix="/api", tags=["push"])
KEEPALIVE_S = 15.0
MAX_BATCH = 200
log = structlog.get_logger("callcenter.web")


async def wallboard_snapshot(ctx: WebContext) -> dict[str, Any]:
    """Everything the wallboard shows, now: what a supervisor's stream starts with."""
    open_alerts = await asyncio.to_thread(alerts.list_alerts, ctx.engine, open_only=True)
    return {**ctx.live.snapshot(), "alerts": open_alerts, "now": ctx.clock.now()}


HEALTH_ONLY = frozenset({"health"})


async def _snapshot(ctx: WebContext, session: Session, health_only: bool) -> dict[str, Any]:
    if health_only:
        return {"health": ctx.live.health_snapshot(), "now": ctx.clock.now()}
    if session.user.is_supervisor:
        return await wallboard_snapshot(ctx)
    interface = session.user.member_interface or ""
    agent = ctx.live.wallboard.agents.get(interface)
    call = ctx.tracker.current_call(interface)
    return {"me": agent.view() if agent else None,
            "call": call_view(call) if call else None, "now": ctx.clock.now(),
            "health": ctx.live.health_snapshot()}


def _frame(event: str, data: str) -> str:
    return f"event: {event}\ndata: {data}\n\n"


# The last frame of a stream whose session ended: the page goes to the sign-in page
# instead of reconnecting.
SIGNED_OUT = _frame("signed_out", "{}")


class _SessionWatch:
    """Re-reads the stream's session now and then (a worker thread, at most once per
    `stream_recheck_s`), so a user signed out, disabled or past expiry stops receiving
    within seconds instead of for as long as the browser keeps the stream open."""

    def __init__(self, ctx: WebContext, token: str) -> None:
        self.ctx, self.token = ctx, token
        self.checked_at = ctx.clock.now()

    async def still_valid(self) -> bool:
        now = self.ctx.clock.now()
        if now - self.checked_at < self.ctx.settings.stream_recheck_s:
            return True
        self.checked_at = now
        try:
            found = await asyncio.to_thread(find_session, self.ctx.engine, self.token, now)
        except Exception:  # the database unreachable: fail closed, the browser reconnects
            log.warning("web.stream_recheck_failed", exc_info=True)
            return False
        return found is not None


async def _events(ctx: WebContext, sub: Subscriber, first: dict[str, Any],
                  watch: _SessionWatch) -> AsyncIterator[str]:
    try:
        yield _frame("snapshot", json.dumps(first, ensure_ascii=False, separators=(",", ":")))
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE_S):  # no extra task per message
                    first_message = await sub.queue.get()
            except TimeoutError:
                if not await watch.still_valid():
                    yield SIGNED_OUT
                    return
                yield ": keep-alive\n\n"  # proxies and browsers drop silent streams
                continue
            # Whatever queued up meanwhile goes out in the same write.
            batch = [first_message]
            while not sub.queue.empty() and len(batch) < MAX_BATCH:
                batch.append(sub.queue.get_nowait())
            if not await watch.still_valid():  # checked before, so nothing more leaks
                yield SIGNED_OUT
                return
            frames = "".join(_frame(event, data) for event, data in batch if event)
            if frames:
                yield frames
            if any(not event for event, _ in batch):  # dropped as too slow, or stopping
                return
    finally:
        ctx.hub.unsubscribe(sub)


@router.get("/stream", summary="Server-sent events: snapshot, then every change",
            response_class=StreamingResponse)
async def stream(session: SignedIn, request: Request,
                 only: Literal["health"] | None = None) -> StreamingResponse:
    """`?only=health`: the daemon's health alone, for pages without live figures."""
    ctx = context(request)
    health_only = only == "health"
    # Subscribed before the snapshot: nothing falls in between.
    sub = ctx.hub.subscribe(session.user, HEALTH_ONLY if health_only else None)
    first = await _snapshot(ctx, session, health_only)
    watch = _SessionWatch(ctx, request.cookies.get(SESSION_COOKIE, ""))
    return StreamingResponse(_events(ctx, sub, first, watch), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
