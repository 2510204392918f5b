"""Campaign routes: supervisors create campaigns, upload contact lists (CSV or .xlsx,
streamed in under the import size limit; every rejected row listed), pause, resume,
follow them (the `campaigns` push event) and download the report; they keep the
do-not-call list (every change audited); an agent records the outcome and score of
the callback they are on."""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from callcenter.callbacks import dnc, service
from callcenter.callbacks import report as export
from callcenter.callbacks.settings import CallbackSettings, ImportLimits
from callcenter.core.core import Core
from callcenter.core.settings import CenterSettings
from callcenter.domain.callbacks import Outcome
from callcenter.domain.phone import PhoneNumber, normalise
from callcenter.domain.text import clean
from callcenter.errors import (
    CallcenterError,
    Forbidden,
    InvalidInput,
    InvalidPhoneNumber,
    UploadTooLarge,
)
from callcenter.web.auth import SignedIn, Supervisor
from callcenter.web.pages import supervisor_page
from callcenter.web.params import RowId

_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")
_INTERFACE = r"^[A-Za-z][A-Za-z0-9]*/[A-Za-z0-9+_.@/-]{1,120}$"
REJECTED_SHOWN = 1_000  # rows of the rejection report returned (the count is whole)
EXPORTS = {"csv": ("text/csv; charset=utf-8", export.write_csv),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    export.write_xlsx)}


class AttemptResult(BaseModel):
    outcome: str = Field(description="the center's outcome code, e.g. success, refused")
    score: int | None = Field(None, ge=0, le=5, description="0-5, required for success")
    note: str = Field("", max_length=500)


class NewCampaignBody(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    mode: Literal["customer_first", "agent_first"] = "customer_first"
    agent: str | None = Field(None, pattern=_INTERFACE, description="agent_first: the agent")
    deadline: str | None = Field(None, max_length=16, description="3d | 1wd | 25nm")
    max_in_flight: int | None = Field(None, ge=1, le=50)
    server: str = Field("", max_length=32, description="the [[ami]] server; empty: spread")


class DncBody(BaseModel):
    number: str = Field(min_length=1, max_length=40)
    reason: str = Field("", max_length=dnc.REASON_MAX)


def upload_name(name: str) -> str:
    """The uploaded file's name as the importer sees it: one safe path segment ending
    in a suffix it reads (the suffix decides CSV or .xlsx), or InvalidInput."""
    base = re.sub(r"[^\w.-]", "_", name.replace("\\", "/").rsplit("/", 1)[-1])[-80:]
    if not base.lower().endswith(_SUFFIXES) or base.startswith("."):
        raise InvalidInput("upload a .csv or .xlsx file")
    return base


async def receive_upload(request: Request, folder: Path, name: str, most: int) -> Path:
    """The request's body written to `folder/name` as it streams in; past `most` bytes
    it is refused at once (413), never held whole."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > most:
        raise UploadTooLarge(f"larger than {most:,} bytes (callbacks.import_max_bytes)")
    path, size = folder / name, 0
    with path.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > most:
                raise UploadTooLarge(f"larger than {most:,} bytes (callbacks.import_max_bytes)")
            await asyncio.to_thread(out.write, chunk)
    return path


def routes(core: Core, settings: CallbackSettings, limits: ImportLimits,
           changed: Callable[[], None]) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["callbacks"])
    phones = core.config.get(CenterSettings).phones

    @router.get("/campaigns", summary="Callback campaigns and their progress", tags=["supervisors"])
    async def campaign_list(session: Supervisor) -> list[dict[str, Any]]:
        return await asyncio.to_thread(service.campaigns, core.engine, core.tz)

    @router.post("/campaigns", summary="Create a campaign", tags=["supervisors"])
    async def create(body: NewCampaignBody, session: Supervisor) -> dict[str, Any]:
        name = clean(body.name, 120)
        if not name:
            raise InvalidInput("a campaign needs a name")
        spec = service.NewCampaign(name, "imported", body.mode, body.agent,
                                   body.deadline or settings.followup_deadline,
                                   body.max_in_flight or settings.pacing.per_campaign,
                                   body.server)
        try:
            new_id = await asyncio.to_thread(service.create_campaign, core.engine, spec,
                                             core.clock.now(), list(core.servers))
        except CallcenterError as exc:
            raise InvalidInput(str(exc)) from None
        changed()
        return {"id": new_id, "name": name}

    @router.post("/campaigns/{campaign_id}/import", tags=["supervisors"],
                 summary="Upload a contact list (the file as the body; CSV in UTF-8, UTF-16 "
                 "or GBK, or .xlsx): all good rows or none, every rejected row with its reason",
                 responses={413: {"description": "past callbacks.import_max_bytes"}})
    async def import_contacts(campaign_id: RowId, request: Request, session: Supervisor,
                              filename: Annotated[str, Query(min_length=1, max_length=200)]
                              ) -> dict[str, Any]:
        name = upload_name(filename)
        with tempfile.TemporaryDirectory(prefix="cc-import-") as folder:
            path = await receive_upload(request, Path(folder), name, limits.max_bytes)
            try:
                report = await asyncio.to_thread(
                    service.import_file, core.engine, campaign_id, path, core.clock.now(),
                    core.tz, calendar=settings.window.calendar, limits=limits, phones=phones)
            except CallcenterError as exc:  # unreadable, a limit passed, no such campaign
                raise InvalidInput(str(exc)) from None
        changed()
        return {"imported": len(report.good), "rejected_total": len(report.rejected),
                "rejected": [r.as_json() for r in report.rejected[:REJECTED_SHOWN]]}

    @router.post("/campaigns/{campaign_id}/{action}", summary="Pause or resume a campaign",
                 tags=["supervisors"])
    async def pause_resume(campaign_id: RowId, action: Literal["pause", "resume"],
                           session: Supervisor) -> dict[str, Any]:
        status = "paused" if action == "pause" else "active"
        try:
            await asyncio.to_thread(service.set_status, core.engine, campaign_id, status)
        except CallcenterError as exc:
            raise InvalidInput(str(exc)) from None
        changed()
        return {"id": campaign_id, "status": status}

    @router.get("/campaigns/{campaign_id}/attempts", summary="A campaign's latest attempts",
                tags=["supervisors"])
    async def campaign_attempts(campaign_id: RowId, session: Supervisor) -> list[dict[str, Any]]:
        return await asyncio.to_thread(service.attempts, core.engine, core.tz, campaign_id, 50)

    @router.post("/attempts/{attempt_id}/result", summary="Record a callback's outcome and score")
    async def attempt_result(attempt_id: RowId, body: AttemptResult,
                             session: SignedIn) -> dict[str, Any]:
        if not session.user.is_supervisor:
            call = core.live.current_call(session.user.member_interface or "")
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
        changed()
        return {"attempt_id": attempt_id, "outcome": outcome.value, "score": body.score}

    router.include_router(report_routes(core))
    router.include_router(dnc_routes(core, changed))
    return router


def page_routes() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/campaigns")
    async def campaigns_page(request: Request) -> Response:
        # sign-in for nobody, the 403 page for an agent: as every supervisors' page
        return await supervisor_page("campaigns", request)

    return router


def report_routes(core: Core) -> APIRouter:
    router = APIRouter()

    @router.get("/campaigns/{campaign_id}/report", summary="回访总结报告 (JSON)",
                tags=["supervisors"])
    async def report(campaign_id: RowId, session: Supervisor) -> dict[str, Any]:
        try:
            return await asyncio.to_thread(service.report, core.engine, campaign_id,
                                           core.clock.now(), core.tz)
        except CallcenterError as exc:
            raise InvalidInput(str(exc)) from None

    @router.get("/campaigns/{campaign_id}/report.{fmt}", summary="回访总结报告 as CSV or .xlsx",
                tags=["supervisors"])
    async def report_file(campaign_id: RowId, fmt: Literal["csv", "xlsx"],
                          session: Supervisor) -> Response:
        media, write = EXPORTS[fmt]

        def make() -> bytes:
            data = service.report(core.engine, campaign_id, core.clock.now(), core.tz)
            with tempfile.TemporaryDirectory(prefix="cc-report-") as folder:
                path = Path(folder) / f"report.{fmt}"
                write(path, data)
                return path.read_bytes()

        try:
            body = await asyncio.to_thread(make)
        except CallcenterError as exc:
            raise InvalidInput(str(exc)) from None
        return Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-report.{fmt}"'})

    return router


def dnc_routes(core: Core, changed: Callable[[], None]) -> APIRouter:
    router = APIRouter()
    phones = core.config.get(CenterSettings).phones

    @router.get("/dnc", summary="The do-not-call list (paged) and its latest changes",
                tags=["supervisors"])
    async def dnc_list(session: Supervisor, offset: Annotated[int, Query(ge=0)] = 0,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
        rows, total, audit = await asyncio.gather(
            asyncio.to_thread(dnc.dnc_list, core.engine, core.tz, offset=offset, limit=limit),
            asyncio.to_thread(dnc.dnc_count, core.engine),
            asyncio.to_thread(dnc.dnc_audit, core.engine, core.tz, 50))
        return {"total": total, "offset": offset, "rows": rows, "audit": audit}

    @router.post("/dnc", summary="Put a number on the do-not-call list (audited)",
                 tags=["supervisors"])
    async def dnc_add(body: DncBody, session: Supervisor) -> dict[str, Any]:
        try:
            number = PhoneNumber.parse(body.number, phones)
        except InvalidPhoneNumber as exc:
            raise InvalidInput(str(exc)) from None
        reason = clean(body.reason, dnc.REASON_MAX)
        added = await asyncio.to_thread(dnc.dnc_add, core.engine, number, reason,
                                        core.clock.now(), session.user.username)
        changed()
        return {"added": added, "reason": reason}

    @router.post("/dnc/remove", summary="Take a number off the do-not-call list (audited)",
                 tags=["supervisors"])
    async def dnc_remove(body: DncBody, session: Supervisor) -> dict[str, Any]:
        reason = clean(body.reason, dnc.REASON_MAX)
        if not reason:
            raise InvalidInput("say why the number may be called again")
        removed = await asyncio.to_thread(dnc.dnc_remove, core.engine, body.number, reason,
                                          core.clock.now(), session.user.username)
        return {"removed": removed, "number": normalise(body.number)}

    return router
