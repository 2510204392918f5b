"""The HTML pages: static files, served with the language chosen and strict
security headers.  No CDN, no build step: plain HTML, CSS and JavaScript.

Supervisors' pages are checked here, before any script runs: an agent gets a plain
403 page in their language (with the other language under it), a visitor without a
session the sign-in page.  Every page links the favicon."""

from __future__ import annotations

import asyncio
import html
import json
from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callcenter.users.service import find_session
from callcenter.web.auth import SESSION_COOKIE, context, issue_login_csrf, language

STATIC_DIR = Path(str(files("callcenter.web") / "static"))
PAGES = ("login", "wallboard", "desk", "tickets", "manage")
SUPERVISOR_PAGES = frozenset({"wallboard", "manage"})  # an agent gets the 403 page
FAVICON = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
LANGUAGES = ("zh-CN", "en")
router = APIRouter(include_in_schema=False)


def page(name: str, request: Request, status: int = 200) -> HTMLResponse:
    """A static page in the language chosen (features serve their own pages with it)."""
    lang = language(request, context(request).settings.default_language)
    html_text = (STATIC_DIR / f"{name}.html").read_text(encoding="utf-8").replace("{{lang}}", lang)
    response = HTMLResponse(html_text.replace("</head>", f"{FAVICON}</head>", 1),
                            status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("cc_lang", lang, samesite="strict", path="/", max_age=365 * 86400)
    return response


@cache
def _words(lang: str) -> dict[str, str]:
    words: dict[str, str] = json.loads(
        (STATIC_DIR / "i18n" / f"errors.{lang}.json").read_text(encoding="utf-8"))
    return words


def forbidden_page(request: Request, who: str, role: str) -> HTMLResponse:
    """The 403 page: what happened, who is signed in, the way back; both languages
    (the chosen one first).  No script: nothing on it can fail."""
    lang = language(request, context(request).settings.default_language)
    parts = []
    for i, code in enumerate(sorted(LANGUAGES, key=lambda c: c != lang)):
        w = _words(code)
        parts.append(
            f'<section class="card forbidden{" other" if i else ""}" lang="{code}">'
            f'<h1>403 · {html.escape(w["forbidden_title"])}</h1>'
            f'<p>{html.escape(w["forbidden_text"])}</p>'
            f'<p class="muted">{html.escape(w["signed_in_as"])} <b>{html.escape(who)}</b>'
            f'{html.escape(w.get("role_" + role, role))}</p>'
            f'<p><a class="button primary" href="/">{html.escape(w["back_home"])}</a></p>'
            '</section>')
    page = (STATIC_DIR / "forbidden.html").read_text(encoding="utf-8")
    body = page.replace("{{lang}}", lang).replace("{{title}}", html.escape(
        _words(lang)["forbidden_title"])).replace("{{sections}}", "".join(parts))
    return HTMLResponse(body.replace("</head>", f"{FAVICON}</head>", 1), status_code=403)


async def supervisor_page(name: str, request: Request) -> Response:
    """A supervisors' page (features serve theirs with it too): 303 to sign-in without a
    session, the 403 page for an agent."""
    ctx = context(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = (await asyncio.to_thread(find_session, ctx.engine, token, ctx.clock.now())
               if token else None)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    if not session.user.is_supervisor:
        return forbidden_page(request, session.user.display_name or session.user.username,
                              session.user.role)
    return page(name, request)


@router.get("/")
async def home(request: Request) -> Response:
    if not request.cookies.get(SESSION_COOKIE):
        return RedirectResponse("/login", status_code=303)
    return page("home", request)


@router.get("/login")
async def login_page(request: Request) -> Response:
    response = page("login", request)
    issue_login_csrf(response, context(request).settings.secure_cookies)
    return response


@router.get("/favicon.ico")
async def favicon() -> Response:
    """Browsers ask for /favicon.ico on their own (pages link the SVG)."""
    return Response((STATIC_DIR / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


def _register(name: str) -> None:
    async def serve(request: Request) -> Response:
        if name in SUPERVISOR_PAGES:
            return await supervisor_page(name, request)
        return page(name, request)

    router.add_api_route(f"/{name}", serve, methods=["GET"])


for _name in PAGES[1:]:
    _register(_name)
