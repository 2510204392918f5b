"""Campaign routes: the list for supervisors, and an agent recording the outcome and
score of the callback they are on."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from callcenter.callbacks import service
from callcenter.callbacks.settings import CallbackSettings
from callcenter.core.core import Core
from callcenter.domain.callbacks import Outcome
from callcenter.domain.phone import normalise
from callcenter.errors import CallcenterError, Forbidden, InvalidInput
from callcenter.web.auth import SignedIn, Supervisor
from callcenter.web.params import RowId


class AttemptResult(BaseModel):
    outcome: str = Field(description="the center's outcome code, e.g. success, refused")
    score: int | None = Field(None, ge=0, le=5, description="0-5, required for success")
    note: str = Field("", max_length=500)


def routes(core: Core, settings: CallbackSettings) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["callbacks"])

    @router.get("/campaigns", summary="Callback campaigns and their progress", tags=["supervisors"])
    async def campaign_list(session: Supervisor) -> list[dict[str, Any]]:
        return await asyncio.to_thread(service.campaigns, core.engine, core.tz)

    @router.post("/attempts/{attempt_id}/result", summary="Record a callback's outcome and score")
    async def attempt_result(attempt_id: RowId, body: AttemptResult,
                             session: SignedIn) -> dict[str, Any]:
        if not session.user.is_supervisor:
            call = core.tracker.current_call(session.user.member_interface or "")
            mine = (None if call is None else
                    await asyncio.to_thread(service.latest_attempt, core.engine,
                                            normalise(call.caller_number)))
            if mine is None or mine["attempt_id"] != attempt_id:
                raise Forbidden("only the callback you are on")
        try:
            outcome = Outcome(body.outcome)
            await asyncio.to_thread(service.record_outcome, core.engine, attempt_id, outcome,
                                    core.clock.now(), settings.policy, score=body.score,
                                    note=body.note, agent=session.user.member_interface)
        except ValueError:
            raise InvalidInput(f"unknown outcome {body.outcome!r}") from None
        except CallcenterError as exc:
            raise InvalidInput(str(exc)) from None
        return {"attempt_id": attempt_id, "outcome": outcome.value, "score": body.score}

    return router
