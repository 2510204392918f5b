"""Who is asking: the session cookie, the CSRF check, and role gates.

Sessions live in HttpOnly, SameSite=Strict cookies.  Every state-changing request
must also carry the session's CSRF token in the X-CSRF-Token header (the page gets
it from /api/me); the login form, which has no session yet, uses a double-submit
cookie instead.  A cross-site Origin is refused outright."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from callcenter.domain.live_view import LiveView
from callcenter.domain.phone import mask, normalise
from callcenter.domain.text import plain
from callcenter.errors import CsrfRejected, Forbidden, NotSignedIn
from callcenter.users.service import Session, find_session
from callcenter.web.context import WebContext
from callcenter.web.settings import IpNetwork

SESSION_COOKIE = "cc_session"
LOGIN_CSRF_COOKIE = "cc_login_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # not a browser form post (curl, scripts): the CSRF token still applies
    return urlsplit(origin).netloc == request.headers.get("host", "")


def client_address(request: Request, trusted: Sequence[IpNetwork]) -> str:
    """The address sign-in limits count against.  X-Forwarded-For is believed only when
    the peer is a trusted proxy, and then read from the right: each trusted proxy
    appended the address it saw, so the right-most hop that is not a trusted proxy is
    the client; whatever lies left of it the client may have written itself."""
    peer = request.client.host if request.client else "?"
    peer = _address(peer) or peer
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",")]
    client = peer
    for hop in reversed(hops):
        if not _address(hop):
            break  # not written by a proxy: keep the last address a trusted hop gave
        client = _address(hop)
        if not _trusted(client, trusted):
            break
    return client


def _address(text: str) -> str:
    """The address in its one spelling ("" if it is none): an IPv4 address seen on an
    IPv6 socket (::ffff:10.0.0.1) is that IPv4 address, so limits and CIDRs match."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return ""
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return str(mapped or ip)


def _trusted(address: str, trusted: Sequence[IpNetwork]) -> bool:
    canonical = _address(address)
    return bool(canonical) and any(ipaddress.ip_address(canonical) in net for net in trusted)


def tokens_match(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


async def signed_in(request: Request) -> Session:
    ctx = context(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedIn("sign in first")
    session = await asyncio.to_thread(find_session, ctx.engine, token, ctx.clock.now())
    if session is None:
        raise NotSignedIn("the session has ended; sign in again")
    if request.method not in SAFE_METHODS and (
            not same_origin(request)
            or not tokens_match(session.csrf_token, request.headers.get(CSRF_HEADER))):
        raise CsrfRejected("missing or wrong CSRF token")
    return session


SignedIn = Annotated[Session, Depends(signed_in)]


async def supervisor(session: SignedIn) -> Session:
    if not session.user.is_supervisor:
        raise Forbidden("for supervisors only")
    return session


Supervisor = Annotated[Session, Depends(supervisor)]


def current_number(tracker: LiveView, session: Session) -> str | None:
    """The number of the caller this user is talking to now (agents only)."""
    call = tracker.current_call(session.user.member_interface or "")
    return normalise(call.caller_number) if call else None


def shown_number(number: str, session: Session, current: str | None) -> str:
    """Agents see full numbers only on the call they are on.  Control characters a
    caller put in their caller ID are dropped (see domain/text.py)."""
    if session.user.is_supervisor or (current is not None and normalise(number) == current):
        return plain(number)
    return mask(plain(number))


def language(request: Request, default: str) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("cc_lang")
    return chosen if chosen in ("zh-CN", "en") else default


def issue_login_csrf(response: Response, secure: bool) -> str:
    token = secrets.token_urlsafe(24)
    # Readable by the login page's script (double-submit), useless to other sites.
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=False, samesite="strict",
                        secure=secure, path="/")
    return token
