"""Signing in and out, and who am I."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from callcenter.errors import CsrfRejected, NotSignedIn
from callcenter.users import service as users
from callcenter.web.auth import (
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SignedIn,
    client_address,
    context,
    language,
    same_origin,
    tokens_match,
)


class Login(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    member_interface: str | None
    csrf_token: str
    language: str
    timezone: str = Field(description="the center's time zone: pages show its wall clock")

router = APIRouter(prefix="/api", tags=["session"])
log = structlog.get_logger("callcenter.users")


@router.post("/login", response_model=Me, summary="Sign in (sets the session cookie)")
async def login(body: Login, request: Request, response: Response) -> Me:
    ctx = context(request)
    if not same_origin(request) or not tokens_match(
            request.cookies.get(LOGIN_CSRF_COOKIE, ""), request.headers.get(CSRF_HEADER)):
        raise CsrfRejected("reload the sign-in page and try again")
    # Counted before the password is checked (LoginThrottled if too many): tries sent
    # at once cannot all slip through while the first ones are still being verified.
    attempt = ctx.throttle.begin(body.username,
                                 client_address(request, ctx.settings.proxy_networks))
    try:
        user = await asyncio.to_thread(users.authenticate, ctx.engine, body.username,
                                       body.password)
    except BaseException:
        ctx.throttle.refund(attempt)  # the check itself failed: the try proved nothing
        raise
    if user is None:
        refused = NotSignedIn("wrong user name or password")
        log.warning("web.sign_in_refused", error_id=refused.error_id,
                    user=body.username[:64], address=attempt.address)
        raise refused
    ctx.throttle.succeeded(attempt)
    log.info("web.signed_in", user=user.username, role=user.role)
    token, session = await asyncio.to_thread(users.open_session, ctx.engine, user,
                                             ctx.clock.now(), ctx.settings.session_s)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=ctx.settings.secure_cookies, path="/",
                        max_age=int(ctx.settings.session_s))
    return _me(session, language(request, ctx.settings.default_language), str(ctx.tz))


@router.post("/logout", status_code=204, summary="Sign out")
async def logout(session: SignedIn, request: Request, response: Response) -> None:
    ctx = context(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    await asyncio.to_thread(users.close_session, ctx.engine, token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    log.info("web.signed_out", user=session.user.username)


@router.get("/me", response_model=Me, summary="The signed-in user and the CSRF token")
async def me(session: SignedIn, request: Request) -> Me:
    ctx = context(request)
    return _me(session, language(request, ctx.settings.default_language), str(ctx.tz))


def _me(session: users.Session, lang: str, tz: str) -> Me:
    u = session.user
    return Me(username=u.username, display_name=u.display_name, role=u.role,
              member_interface=u.member_interface, csrf_token=session.csrf_token, language=lang,
              timezone=tz)
