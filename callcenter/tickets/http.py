"""Tickets and the agent desk.  An agent reads and edits their own tickets, and
reads the history of the caller they are talking to; anything else is 403."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from callcenter.callbacks import service as campaigns
from callcenter.complaints import service as complaints
from callcenter.complaints.service import ComplaintPolicy
from callcenter.core.core import Core
from callcenter.domain import complaints as cp
from callcenter.domain.phone import normalise
from callcenter.domain.ticket_rules import Deadline, TicketRules
from callcenter.errors import Forbidden
from callcenter.tickets import service as tickets
from callcenter.users.service import Session
from callcenter.web.auth import SignedIn, current_number, shown_number
from callcenter.web.live import call_view
from callcenter.web.params import RowId


class TicketChanges(BaseModel):
    """Fields an agent records while talking; supervisors may also set the rating
    and mark the team lead's callback and the review as done."""

    category: str | None = Field(None, description="咨询 | 投诉 | 建议 | 表扬 | 求助")
    content: str | None = None
    address: str | None = None
    resolution: str | None = None
    priority: str | None = Field(None, description="low | normal | high | urgent")
    mood: str | None = Field(None, description="calm | anxious | angry | satisfied")
    status: str | None = Field(None, description="open | dispatched | accepted | resolved | closed")
    customer_name: str | None = None
    dispatched_to: str | None = None
    rating: str | None = Field(None, description="satisfied | ordinary | unsatisfied")
    lead_called: bool | None = None
    reviewed: bool | None = None
    # A complaint (投诉) or praise (表扬): whom or which department it is about.
    about_agent: str | None = Field(None, description="被投诉人: the agent's member interface "
                                    "('' for none)")
    about_name: str | None = Field(None, description="被投诉人 as written (a name, not an agent)")
    department: str | None = Field(None, description="责任归属: the responsible department")
    complaint_kind: str | None = Field(None, description="投诉类别, one of [complaints] kinds")
    praise_kind: str | None = Field(None, description="phone | letter")
    reply_promised_at: float | None = Field(None, description="回复时间 promised to the caller "
                                            "(epoch seconds)")
    verdict: str | None = Field(None, description="supervisors: confirmed | unfounded (无理投诉)")
    verdict_reason: str | None = Field(None, description="why; required for unfounded")


def _shown(ticket: dict[str, Any], session: Session, current: str | None) -> dict[str, Any]:
    return {**ticket, "caller_phone": shown_number(ticket["caller_phone"], session, current)}


def routes(core: Core, rules: TicketRules, deadline: Deadline, callback_queue: str,
           policy: ComplaintPolicy) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["tickets"])

    def current(session: Session) -> str | None:
        return current_number(core.live, session)

    def may_read(session: Session, ticket: dict[str, Any]) -> bool:
        if (session.user.is_supervisor
                or ticket["owner_interface"] == session.user.member_interface):
            return True
        call = core.live.current_call(session.user.member_interface or "")
        return call is not None and call.linkedid == ticket["linkedid"]

    @router.get("/tickets", summary="Search tickets (agents: their own only)")
    async def search(session: SignedIn, *, status: str | None = None,
                     category: str | None = None, phone: str | None = None,
                     q: str | None = None, open_only: bool = False,
                     review_pending: bool = False, since: float | None = None,
                     limit: int = 100) -> list[dict[str, Any]]:
        owner = None if session.user.is_supervisor else (session.user.member_interface or "-")
        query = tickets.TicketQuery(owner_interface=owner, status=status, category=category,
                                    phone=phone, text=q, open_only=open_only,
                                    review_pending=review_pending, since=since,
                                    limit=min(max(limit, 1), 500))
        found = await asyncio.to_thread(tickets.search, core.engine, query)
        shown_to = current(session)
        return [_shown(t, session, shown_to) for t in found]

    @router.get("/complaints/choices", summary="A complaint's and a praise's choices: the "
                "kinds ([complaints] kinds), how praise came, the verdicts")
    async def complaint_choices(session: SignedIn) -> dict[str, list[str]]:
        return {"kinds": list(policy.rules.kinds), "praise_kinds": list(cp.PRAISE_KINDS),
                "verdicts": [v for v in cp.VERDICTS if v]}

    @router.get("/tickets/{ticket_id}", summary="One ticket",
                responses={403: {"description": "another agent's ticket"}})
    async def get_ticket(ticket_id: RowId, session: SignedIn) -> dict[str, Any]:
        ticket = await asyncio.to_thread(tickets.get, core.engine, ticket_id)
        if not may_read(session, ticket):
            raise Forbidden(f"ticket #{ticket_id} belongs to another agent")
        return _shown(ticket, session, current(session))

    @router.patch("/tickets/{ticket_id}", summary="Record or change ticket fields",
                  responses={403: {"description": "another agent's ticket"},
                             409: {"description": "a complaint closed before its follow-up "
                                   "succeeded (or marked unfounded); a final verdict changed"}})
    async def change_ticket(ticket_id: RowId, body: TicketChanges,
                            session: SignedIn) -> dict[str, Any]:
        ticket = await asyncio.to_thread(tickets.get, core.engine, ticket_id)
        if (not session.user.is_supervisor
                and ticket["owner_interface"] != session.user.member_interface):
            raise Forbidden(f"ticket #{ticket_id} belongs to another agent")
        allowed = tickets.SUPERVISOR_FIELDS if session.user.is_supervisor else tickets.AGENT_FIELDS
        changes = tickets.validate(body.model_dump(exclude_none=True), allowed)
        now = core.clock.now()
        updated = await asyncio.to_thread(tickets.update_ticket, core.engine, ticket_id, changes,
                                          now, rules=rules, deadline=deadline,
                                          by=session.user.username, complaints=policy)
        rated = tickets.staff_rating_change(ticket, updated)
        if rated is not None:  # the wallboard's rating split
            core.ratings.publish([rated])
        if "verdict" in changes:  # a third confirmed complaint this month flags the agent now
            core.alerts.publish(await asyncio.to_thread(
                complaints.check_flags, core.engine, now, core.tz, policy.rules.flag_threshold))
        # A duty just done (or just started late) shows on the wallboard now, not at the
        # next check.
        core.alerts.publish(await asyncio.to_thread(tickets.check_overdue, core.engine, rules,
                                                    now))
        return _shown(updated, session, current(session))

    @router.get("/desk/current", summary="The agent's current call: ticket, caller, history")
    async def current_call(session: SignedIn) -> dict[str, Any]:
        call = core.live.current_call(session.user.member_interface or "")
        if call is None:
            return {"call": None}
        ticket = await asyncio.to_thread(tickets.by_linkedid, core.engine, call.linkedid)
        if ticket is None:  # the store writes within a batch interval: wait for it once
            await asyncio.to_thread(core.flush_store, 2.0)
            ticket = await asyncio.to_thread(tickets.by_linkedid, core.engine, call.linkedid)
        number = normalise(call.caller_number)
        history = await asyncio.to_thread(tickets.history, core.engine, number,
                                          before_linkedid=call.linkedid)
        callback = (await asyncio.to_thread(campaigns.latest_attempt, core.engine, number)
                    if call.queue == callback_queue else None)
        shown_to = current(session)
        return {"call": call_view(call),
                "ticket": ticket and _shown(ticket, session, shown_to),
                "history": [_shown(t, session, shown_to) for t in history],
                "callback": callback,
                "editable": ticket is not None
                and ticket["owner_interface"] == session.user.member_interface}

    return router
