"""The FastAPI application the core owns: error translation, security headers and
the static files.  Features add their routes to it; the web feature serves it."""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callcenter import __version__
from callcenter.errors import InvalidInput, LoginThrottled, WebError
from callcenter.web.pages import STATIC_DIR

log = structlog.get_logger("callcenter.web")

# Everything the pages load comes from this server: no inline script, no CDN.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


async def _web_error(request: Request, exc: Exception) -> Response:
    err = exc if isinstance(exc, WebError) else WebError(str(exc))
    headers = ({"Retry-After": str(int(err.retry_after_s) + 1)}
               if isinstance(err, LoginThrottled) else None)
    return JSONResponse({"error": err.error_id, "detail": str(err)}, status_code=err.status,
                        headers=headers)


async def _data_refused(request: Request, exc: Exception) -> Response:
    """The database refused a request's value as data (PostgreSQL takes no NUL in text;
    a number past a column's range): the request's fault, a 422, not a 500 with a
    traceback.  The error's text holds the bound values, so only its kind is logged."""
    cause = getattr(exc, "orig", exc)
    log.warning("web.data_refused", path=request.url.path, kind=type(cause).__name__)
    return JSONResponse({"error": InvalidInput.error_id,
                         "detail": "a value the database cannot store (a NUL character?)"},
                        status_code=InvalidInput.status)


def relative_location(location: str) -> str:
    """Redirects stay on this site: starlette builds the trailing-slash redirect from
    the request's Host header, which anyone can forge, so only the path is kept (and a
    path starting `//` or `/\\`, which browsers read as another host, is folded)."""
    parts = urlsplit(location)
    path = "/" + parts.path.lstrip("/\\")
    return path + (f"?{parts.query}" if parts.query else "") + (
        f"#{parts.fragment}" if parts.fragment else "")


class SecurityHeaders:
    """Plain ASGI middleware (not BaseHTTPMiddleware, whose extra stream hop would sit
    between every pushed event and the socket)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if api:
                    headers.setdefault("Cache-Control", "no-store")
                if "location" in headers:
                    headers["Location"] = relative_location(headers["location"])
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app() -> FastAPI:
    app = FastAPI(title="callcenter", version=__version__,
                  description="Live queues, agents, tickets and alerts of the call center. "
                  "Errors are JSON {error, detail}; `error` is a stable id.",
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)
    app.add_exception_handler(WebError, _web_error)
    app.add_exception_handler(DataError, _data_refused)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
