"""`/healthz`, `/readyz` and `/metrics`: unauthenticated probes for load balancers and
the Prometheus scrape (a bearer token if `[ops] metrics_token` is set).  Outside `/api`
and the pages: no session, no CSRF, nothing a browser caches."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from callcenter.core.core import Core
from callcenter.ops.ready import readiness
from callcenter.ops.settings import OpsSettings

NO_STORE = {"Cache-Control": "no-store"}


def routes(core: Core, settings: OpsSettings) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is up and its event loop answers")
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    @router.get("/readyz", summary="Ready to serve: AMI link(s), database, store writer",
                responses={503: {"description": "a required part is down or not reported yet"}})
    async def readyz() -> Response:
        # Only ok-ness per part: the details (a database error's text) stay in the log
        # and `callcenter status`, not on an unauthenticated page.
        found = readiness(core.health.snapshot(), settings.ready_parts)
        body: dict[str, Any] = {"ready": found.ready, "failing": list(found.failing),
                                "parts": dict(found.parts)}
        return JSONResponse(body, status_code=200 if found.ready else 503, headers=NO_STORE)

    if settings.metrics:
        @router.get("/metrics", summary="Prometheus metrics (text exposition format)",
                    response_class=Response)
        async def metrics(request: Request) -> Response:
            if settings.metrics_token and not _bearer_ok(request, settings.metrics_token):
                return JSONResponse({"error": "web.unauthenticated",
                                     "detail": "a bearer token is required"}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer", **NO_STORE})
            # On the event loop: the collectors read the tracker, which lives there.
            return Response(generate_latest(core.metrics), media_type=CONTENT_TYPE_LATEST,
                            headers=NO_STORE)

    return router


def _bearer_ok(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode())
