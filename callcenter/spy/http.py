"""POST /api/spy: a supervisor listens to, whispers to or barges in on an agent's call.

Only the agent (a member interface the tracker follows) and the mode come from the
request; the call is the tracker's, the channel Asterisk's, the phone the
supervisor's own (their user's `phone_interface`).  An agent gets 403."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from fastapi import APIRouter
from pydantic import BaseModel, Field

from callcenter.ami.grammar import CHANNEL_NAME
from callcenter.core.core import Core
from callcenter.domain.spy import SpyMode, agent_leg, spy_fields
from callcenter.errors import AmiError, AmiUnsafeValue, SpyRefused
from callcenter.spy import ami
from callcenter.spy.settings import SpySettings
from callcenter.web.auth import Supervisor

log = structlog.get_logger("callcenter.spy")

_INTERFACE = r"[A-Za-z][A-Za-z0-9]*/[A-Za-z0-9+_.@/-]{1,120}"


class SpyRequest(BaseModel):
    agent: str = Field(max_length=128, pattern=f"^{_INTERFACE}$",
                       description="the agent's member interface, as the wallboard shows it")
    mode: SpyMode = Field(description="listen (监听) | whisper (耳语: the agent alone hears "
                          "you) | barge (强插: both hear you)")


def routes(core: Core, settings: SpySettings) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["supervisors"])

    @router.post("/spy", summary="Ring my phone into an agent's call: listen, whisper or barge",
                 responses={403: {"description": "not a supervisor"},
                            409: {"description": "the agent is on no call, you have no phone, "
                                  "or Asterisk cannot be asked"}})
    async def spy(body: SpyRequest, session: Supervisor) -> dict[str, Any]:
        phone = session.user.phone_interface
        if not phone:
            raise SpyRefused("you have no phone of your own: "
                             "`callcenter users phone <you> PJSIP/...`")
        call = core.live.current_call(body.agent)  # the loop's own, read here
        if call is None:
            raise SpyRefused(f"{body.agent} is on no call now")
        try:
            live = await ami.channels(core.ami_of(body.agent))
        except AmiError as exc:
            raise SpyRefused(f"Asterisk cannot be asked now ({exc.error_id})") from None
        channel = agent_leg(live, call.linkedid, body.agent)
        if channel is None or not CHANNEL_NAME.fullmatch(channel):
            raise SpyRefused(f"Asterisk shows no channel of {body.agent} on its call")
        channel_id = f"spy-{uuid.uuid4().hex}"
        fields = spy_fields(phone=phone, context=settings.context, channel=channel,
                            mode=body.mode, channel_id=channel_id,
                            caller_id=settings.caller_id, ring_timeout_s=settings.ring_timeout_s)
        bound = log.bind(linkedid=call.linkedid, uniqueid=channel_id, agent=body.agent,
                         supervisor=session.user.username, mode=body.mode.value)
        try:
            await ami.ring_supervisor(core.ami_of(body.agent), fields)
        except AmiUnsafeValue as exc:
            bound.warning("spy.refused", error_id=exc.error_id, detail=str(exc))
            raise SpyRefused(f"refused at the AMI boundary ({exc.error_id})") from None
        except AmiError as exc:
            bound.warning("spy.failed", error_id=exc.error_id, detail=str(exc))
            raise SpyRefused(f"Asterisk did not take it ({exc.error_id})") from None
        bound.info("spy.started", channel=channel)
        return {"mode": body.mode.value, "agent": body.agent, "linkedid": call.linkedid,
                "channel": channel, "channel_id": channel_id, "phone": phone}

    return router
