"""The desk's routes: drafts (only the user's own, only on a ticket they may edit), the
agent's state controls (only the interface on their own user: no request names one)
and the standard phrases."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from callcenter.ami.grammar import is_member_text
from callcenter.core.core import Core
from callcenter.desk import service as drafts
from callcenter.desk.ami import memberships_view, send_member_action
from callcenter.desk.settings import DeskSettings
from callcenter.errors import Forbidden, InvalidInput
from callcenter.tickets import service as tickets
from callcenter.users.service import Session
from callcenter.web.auth import SignedIn
from callcenter.web.params import RowId


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: dict[str, Any] = Field(description="ticket fields as typed (content, address, ...)")


class Pause(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an "interface" of someone else's: 422
    reason: str = Field(max_length=40, description="one of the center's pause reasons")


class NoBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


def routes(core: Core, settings: DeskSettings) -> APIRouter:
    router = APIRouter(prefix="/api/desk", tags=["desk"])

    async def editable(session: Session, ticket_id: int) -> dict[str, Any]:
        ticket = await asyncio.to_thread(tickets.get, core.engine, ticket_id)
        if (not session.user.is_supervisor
                and ticket["owner_interface"] != session.user.member_interface):
            raise Forbidden(f"ticket #{ticket_id} belongs to another agent")
        return ticket

    @router.get("/drafts", summary="The user's own unsaved drafts, newest first")
    async def my_drafts(session: SignedIn) -> list[dict[str, Any]]:
        return await asyncio.to_thread(drafts.of_user, core.engine, session.user.id)

    @router.get("/drafts/{ticket_id}", summary="The user's draft of a ticket (null: none)",
                responses={403: {"description": "another agent's ticket"}})
    async def get_draft(ticket_id: RowId, session: SignedIn) -> dict[str, Any]:
        await editable(session, ticket_id)
        return {"draft": await asyncio.to_thread(drafts.load, core.engine, session.user.id,
                                                 ticket_id)}

    @router.put("/drafts/{ticket_id}", summary="Keep what was typed into a ticket",
                responses={403: {"description": "another agent's ticket"},
                           422: {"description": "not a ticket field, a wrong choice, too long"}})
    async def put_draft(ticket_id: RowId, body: Draft, session: SignedIn) -> dict[str, Any]:
        await editable(session, ticket_id)
        fields = drafts.clean_draft(body.fields)
        saved_at = await asyncio.to_thread(drafts.save, core.engine, session.user.id,
                                           ticket_id, fields, core.clock.now())
        return {"ticket_id": ticket_id, "fields": fields, "saved_at": saved_at}

    @router.delete("/drafts/{ticket_id}", status_code=204, response_class=Response,
                   summary="Drop the draft (after saving the ticket)")
    async def drop_draft(ticket_id: RowId, session: SignedIn) -> Response:
        await asyncio.to_thread(drafts.discard, core.engine, session.user.id, ticket_id)
        return Response(status_code=204)

    def own_interface(session: Session) -> str:
        interface = session.user.member_interface
        if not interface:
            raise Forbidden("this user answers no queue: no interface to control")
        return interface

    def member_name(session: Session) -> str:
        name = session.user.display_name.strip()[:40]
        return name if is_member_text(name) else session.user.username[:40]

    @router.get("/setup", summary="Pause reasons, the queues, phrases and my memberships")
    async def setup(session: SignedIn) -> dict[str, Any]:
        name = session.user.display_name or session.user.username
        interface = session.user.member_interface
        return {"pause_reasons": list(settings.pause_reasons), "queues": list(settings.queues),
                "scripts": [{"title": t, "text": text.replace("{name}", name)}
                            for t, text in settings.scripts.items()],
                "memberships": memberships_view(core.live, interface) if interface else []}

    @router.post("/pause", status_code=202, summary="Pause in every queue, with a reason",
                 responses={403: {"description": "no interface on this user"},
                            409: {"description": "Asterisk refused (in no queue)"},
                            503: {"description": "the AMI link is down"}})
    async def pause(body: Pause, session: SignedIn) -> dict[str, str]:
        interface = own_interface(session)
        if body.reason not in settings.pause_reasons:
            raise InvalidInput(f"reason must be one of {', '.join(settings.pause_reasons)}")
        await send_member_action(core.ami_of(interface).action, {
            "Action": "QueuePause", "Interface": interface, "Paused": "true",
            "Reason": body.reason}, user=session.user.username)
        return {"sent": "QueuePause"}

    @router.post("/unpause", status_code=202, summary="Back from a pause, in every queue")
    async def unpause(session: SignedIn, body: NoBody | None = None) -> dict[str, str]:
        interface = own_interface(session)
        await send_member_action(core.ami_of(interface).action, {
            "Action": "QueuePause", "Interface": interface, "Paused": "false"},
            user=session.user.username)
        return {"sent": "QueuePause"}

    def desk_queue(queue: str) -> str:
        if queue not in settings.queues:
            raise InvalidInput(f"queue must be one of {', '.join(settings.queues)}")
        return queue

    @router.post("/queues/{queue}/login", status_code=202, summary="Log in to a queue")
    async def queue_login(queue: str, session: SignedIn,
                          body: NoBody | None = None) -> dict[str, str]:
        interface, name = own_interface(session), desk_queue(queue)
        paused = [m for m in core.live.memberships_of(interface) if m.paused]
        await send_member_action(core.ami_of(interface).action, {
            "Action": "QueueAdd", "Queue": name, "Interface": interface,
            "MemberName": member_name(session), "Paused": "false"}, user=session.user.username)
        if paused and paused[0].reason in settings.pause_reasons:  # joins as it is: paused
            await send_member_action(core.ami_of(interface).action, {
                "Action": "QueuePause", "Queue": name, "Interface": interface,
                "Paused": "true", "Reason": paused[0].reason}, user=session.user.username)
        return {"sent": "QueueAdd"}

    @router.post("/queues/{queue}/logout", status_code=202, summary="Log out of a queue")
    async def queue_logout(queue: str, session: SignedIn,
                           body: NoBody | None = None) -> dict[str, str]:
        interface, name = own_interface(session), desk_queue(queue)
        await send_member_action(core.ami_of(interface).action, {
            "Action": "QueueRemove", "Queue": name, "Interface": interface},
            user=session.user.username)
        return {"sent": "QueueRemove"}

    return router
