"""Tickets and the agent desk.  An agent reads and edits their own tickets, and
reads the history of the caller they are talking to; anything else is 403."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from callcenter.callbacks import service as campaigns
from callcenter.domain.callbacks import Outcome
from callcenter.domain.phone import normalise
from callcenter.errors import CallcenterError, Forbidden, InvalidInput
from callcenter.store import models as m
from callcenter.tickets import service as tickets
from callcenter.users.service import Session
from callcenter.web.auth import SignedIn, context, current_number, shown_number
from callcenter.web.context import WebContext
from callcenter.web.schemas import AttemptResult, TicketChanges

router = APIRouter(prefix="/api", tags=["tickets"])


def _shown(ticket: dict[str, Any], session: Session, current: str | None) -> dict[str, Any]:
    return {**ticket, "caller_phone": shown_number(ticket["caller_phone"], session, current)}


def _may_read(ctx: WebContext, session: Session, ticket: dict[str, Any]) -> bool:
    if session.user.is_supervisor or ticket["owner_interface"] == session.user.member_interface:
        return True
    call = ctx.live.call_of(session.user.member_interface)
    return call is not None and call["linkedid"] == ticket["linkedid"]


@router.get("/tickets", summary="Search tickets (agents: their own only)")
async def search(session: SignedIn, request: Request, *, status: str | None = None,
                 category: str | None = None, phone: str | None = None, q: str | None = None,
                 open_only: bool = False, since: float | None = None,
                 limit: int = 100) -> list[dict[str, Any]]:
    ctx = context(request)
    owner = None if session.user.is_supervisor else (session.user.member_interface or "-")
    query = tickets.TicketQuery(owner_interface=owner, status=status, category=category,
                                phone=phone, text=q, open_only=open_only, since=since,
                                limit=min(max(limit, 1), 500))
    found = await asyncio.to_thread(tickets.search, ctx.engine, query)
    current = current_number(ctx, session)
    return [_shown(t, session, current) for t in found]


@router.get("/tickets/{ticket_id}", summary="One ticket",
            responses={403: {"description": "another agent's ticket"}})
async def get_ticket(ticket_id: int, session: SignedIn, request: Request) -> dict[str, Any]:
    ctx = context(request)
    ticket = await asyncio.to_thread(tickets.get, ctx.engine, ticket_id)
    if not _may_read(ctx, session, ticket):
        raise Forbidden(f"ticket #{ticket_id} belongs to another agent")
    return _shown(ticket, session, current_number(ctx, session))


@router.patch("/tickets/{ticket_id}", summary="Record or change ticket fields",
              responses={403: {"description": "another agent's ticket"}})
async def change_ticket(ticket_id: int, body: TicketChanges, session: SignedIn,
                        request: Request) -> dict[str, Any]:
    ctx = context(request)
    ticket = await asyncio.to_thread(tickets.get, ctx.engine, ticket_id)
    if not session.user.is_supervisor and ticket["owner_interface"] != session.user.member_interface:
        raise Forbidden(f"ticket #{ticket_id} belongs to another agent")
    allowed = tickets.SUPERVISOR_FIELDS if session.user.is_supervisor else tickets.AGENT_FIELDS
    changes = tickets.validate(body.model_dump(exclude_none=True), allowed)
    now = ctx.clock.now()
    updated = await asyncio.to_thread(tickets.update_ticket, ctx.engine, ticket_id, changes, now,
                                      rules=ctx.ticket_rules, deadline=ctx.deadline)
    # A duty just done (or just started late) shows on the wallboard now, not at the next check.
    ctx.publish_alerts(await asyncio.to_thread(tickets.check_overdue, ctx.engine,
                                               ctx.ticket_rules, now))
    return _shown(updated, session, current_number(ctx, session))


def _callback_attempt(engine: Engine, phone: str) -> dict[str, Any] | None:
    with OrmSession(engine) as s:
        row = s.execute(
            select(m.Attempt, m.Contact, m.Campaign.name.label("campaign"))
            .join(m.Contact, m.Contact.id == m.Attempt.contact_id)
            .join(m.Campaign, m.Campaign.id == m.Attempt.campaign_id)
            .where(m.Attempt.phone == phone)
            .order_by(m.Attempt.started_at.desc()).limit(1)).one_or_none()
    if row is None:
        return None
    return {"attempt_id": row.Attempt.id, "campaign": row.campaign, "name": row.Contact.name,
            "note": row.Contact.note, "member": row.Contact.member,
            "attempts": row.Contact.attempts, "outcome": row.Attempt.outcome,
            "score": row.Attempt.score,
            "outcomes": [o.value for o in Outcome if o is not Outcome.FAILED]}


@router.get("/desk/current", summary="The agent's current call: ticket, caller, history")
async def current_call(session: SignedIn, request: Request) -> dict[str, Any]:
    ctx = context(request)
    call = ctx.live.call_of(session.user.member_interface)
    if call is None:
        return {"call": None}
    ticket = await asyncio.to_thread(tickets.by_linkedid, ctx.engine, call["linkedid"])
    if ticket is None:  # the store writes within a batch interval: wait for it once
        await asyncio.to_thread(ctx.flush_store, 2.0)
        ticket = await asyncio.to_thread(tickets.by_linkedid, ctx.engine, call["linkedid"])
    number = normalise(call["caller_number"])
    history = await asyncio.to_thread(tickets.history, ctx.engine, number,
                                      before_linkedid=call["linkedid"])
    callback = (await asyncio.to_thread(_callback_attempt, ctx.engine, number)
                if call["queue"] == ctx.callback_queue else None)
    return {"call": call, "ticket": ticket, "history": history, "callback": callback,
            "editable": ticket is not None
            and ticket["owner_interface"] == session.user.member_interface}


@router.post("/attempts/{attempt_id}/result", summary="Record a callback's outcome and score")
async def attempt_result(attempt_id: int, body: AttemptResult, session: SignedIn,
                         request: Request) -> dict[str, Any]:
    ctx = context(request)
    call = ctx.live.call_of(session.user.member_interface)
    if not session.user.is_supervisor:
        mine = (None if call is None else
                await asyncio.to_thread(_callback_attempt, ctx.engine,
                                        normalise(call["caller_number"])))
        if mine is None or mine["attempt_id"] != attempt_id:
            raise Forbidden("only the callback you are on")
    try:
        outcome = Outcome(body.outcome)
        await asyncio.to_thread(campaigns.record_outcome, ctx.engine, attempt_id, outcome,
                                ctx.clock.now(), ctx.retry_policy, score=body.score,
                                note=body.note, agent=session.user.member_interface)
    except ValueError:
        raise InvalidInput(f"unknown outcome {body.outcome!r}") from None
    except CallcenterError as exc:
        raise InvalidInput(str(exc)) from None
    return {"attempt_id": attempt_id, "outcome": outcome.value, "score": body.score}

