"""Playback: a ticket's recording, with HTTP Range (Starlette's FileResponse answers
206 partial content, so the browser's <audio> element can seek).  Supervisors hear any
recording; an agent only those of calls they answered or joined (else 403).  The file
is found by the ticket id, never by a path from the request."""

from __future__ import annotations

import asyncio
import os
from pathlib import PurePosixPath

import structlog
from fastapi import APIRouter
from fastapi.responses import FileResponse

from callcenter.core.core import Core
from callcenter.errors import Forbidden, NotFound, RecordingGone, RecordingMissing
from callcenter.recordings import service
from callcenter.recordings.settings import FORMATS
from callcenter.web.auth import SignedIn
from callcenter.web.params import RowId

log = structlog.get_logger("callcenter.recordings")


def routes(core: Core) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["recordings"])

    @router.get("/tickets/{ticket_id}/recording", summary="The call's recording (audio, Range)",
                response_class=FileResponse,
                responses={200: {"description": "the recording",
                                 "content": {"audio/wav": {}}},
                           206: {"description": "the requested byte range (Range: bytes=...)"},
                           403: {"description": "another agent's call"},
                           404: {"description": "no such ticket, or the call was not recorded"},
                           410: {"description": "deleted after its retention period"}})
    async def recording(ticket_id: RowId, session: SignedIn) -> FileResponse:
        rec = await asyncio.to_thread(service.of_ticket, core.engine, ticket_id)
        if (not session.user.is_supervisor
                and (session.user.member_interface or "") not in rec.agents):
            raise Forbidden(f"ticket #{ticket_id} is another agent's call")
        if rec.deleted_at is not None:
            raise RecordingGone(f"the recording of ticket #{ticket_id} was deleted after its "
                                "retention period")
        path = rec.path
        # Only a file the link job named after this very call (defence in depth).
        if path is None or PurePosixPath(path).stem != rec.linkedid:
            raise NotFound(f"ticket #{ticket_id} has no recording")
        if not await asyncio.to_thread(os.path.isfile, path):
            log.warning("recording.missing", error_id=RecordingMissing.error_id,
                        ticket=ticket_id, linkedid=rec.linkedid, path=path)
            raise NotFound(f"the recording of ticket #{ticket_id} is not on disk")
        suffix = PurePosixPath(path).suffix
        media = FORMATS.get(suffix.lstrip("."), "application/octet-stream")
        log.debug("recording.played", ticket=ticket_id, linkedid=rec.linkedid,
                  user=session.user.username)
        return FileResponse(path, media_type=media, filename=f"ticket-{ticket_id}{suffix}",
                            content_disposition_type="inline",
                            headers={"Cache-Control": "private, no-store"})

    return router
