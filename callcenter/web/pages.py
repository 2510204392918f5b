"""The HTML pages: static files, served with the language chosen and strict
security headers.  No CDN, no build step: plain HTML, CSS and JavaScript."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callcenter.web.auth import SESSION_COOKIE, context, issue_login_csrf, language

STATIC_DIR = Path(str(files("callcenter.web") / "static"))
PAGES = ("login", "wallboard", "desk", "tickets", "manage")
router = APIRouter(include_in_schema=False)


def page(name: str, request: Request, status: int = 200) -> HTMLResponse:
    """A static page in the language chosen (features serve their own pages with it)."""
    lang = language(request, context(request).settings.default_language)
    html = (STATIC_DIR / f"{name}.html").read_text(encoding="utf-8").replace("{{lang}}", lang)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in ("zh-CN", "en"):
        response.set_cookie("cc_lang", lang, samesite="strict", path="/", max_age=365 * 86400)
    return response


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


def _register(name: str) -> None:
    async def serve(request: Request) -> Response:
        return page(name, request)

    router.add_api_route(f"/{name}", serve, methods=["GET"])


for _name in PAGES[1:]:
    _register(_name)
