"""Hostile input against the real daemon's web application (issue 9): bursts of wrong
passwords, a guesser's address against the real user's, forged proxy headers, an open
stream after the user is disabled, ids past 64 bits, a forged Host in redirects,
control characters in caller data (pages and CLI), and who may read the database."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from callcenter.cli.main import render_json, render_table
from callcenter.store import db
from callcenter.users import service as users
from callcenter.web.app import relative_location
from callcenter.web.ratelimit import LoginThrottle
from callcenter.web.settings import WebSettings
from tests.unit.test_web_api import (
    ALICE,
    NOW,
    PASSWORDS,
    StreamingASGITransport,
    Web,
    login,
    login_csrf,
    opened,
    read_frame,
    web,
)

ROOT = Path(__file__).resolve().parents[2]


__all__ = ["web"]  # the in-process daemon's web app, from test_web_api


def configure(w: Web, **changes: object) -> WebSettings:
    """Other [web] settings for this test (and a throttle built from them): handlers
    read the context from the app at each request."""
    settings = dataclasses.replace(w.ctx.settings, **changes)  # type: ignore[arg-type]
    w.ctx = dataclasses.replace(w.ctx, settings=settings,
                                throttle=LoginThrottle(w.clock, settings.throttle_policy))
    w.app.state.ctx = w.ctx
    return settings


def from_address(w: Web, address: str) -> httpx.AsyncClient:
    return w.client(httpx.ASGITransport(app=w.app, client=(address, 40000)))


async def wrong_logins(c: httpx.AsyncClient, names: list[str]) -> list[int]:
    """Wrong passwords for these names, all sent at once on one page's CSRF cookie."""
    token = await login_csrf(c)
    replies = await asyncio.gather(*(
        c.post("/api/login", json={"username": n, "password": "wrong-password"},
               headers={"X-CSRF-Token": token}) for n in names))
    return [r.status_code for r in replies]


# -- sign-in throttling -----------------------------------------------------------------

async def test_a_burst_of_wrong_passwords_is_counted_whole(web: Web) -> None:
    limit = web.ctx.settings.login_address_max_failures
    c = from_address(web, "203.0.113.9")
    codes = await wrong_logins(c, [f"user{i}" for i in range(limit + 5)])
    assert sorted(codes) == [401] * limit + [429] * 5  # none slipped past the count
    assert web.ctx.throttle.address_failures("203.0.113.9") == limit
    # One name at once: only the free tries reach the password check.
    free = web.ctx.settings.login_user_free_failures
    codes = await wrong_logins(from_address(web, "203.0.113.10"), ["alice"] * 10)
    assert sorted(codes) == [401] * free + [429] * (10 - free)
    assert web.ctx.throttle.user_failures("alice") == free


async def test_a_blocked_guesser_does_not_stop_the_real_user(web: Web) -> None:
    s = web.ctx.settings
    assert (await login(from_address(web, "10.0.0.5"), "alice", PASSWORDS["alice"])).status_code \
        == 200  # her desk, yesterday
    guesser = from_address(web, "10.6.6.6")
    codes = [(await login(guesser, "alice", "guess-wrong")).status_code
             for _ in range(s.login_address_max_failures + 3)]
    assert codes.count(401) == s.login_user_free_failures and codes[-1] == 429
    r = await login(guesser, "alice", PASSWORDS["alice"])  # the guesser's address is blocked
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == int(s.login_address_window_s) + 1
    # Her own desk: signs in at once.
    assert (await login(from_address(web, "10.0.0.5"), "alice", PASSWORDS["alice"])).status_code \
        == 200
    # A new address: slowed, never for longer than the cap, then in.
    new = from_address(web, "10.0.0.7")
    r = await login(new, "alice", PASSWORDS["alice"])
    assert r.status_code == 429 and int(r.headers["Retry-After"]) <= s.login_user_delay_max_s + 1
    web.clock.advance(float(r.headers["Retry-After"]))
    assert (await login(new, "alice", PASSWORDS["alice"])).status_code == 200


async def test_the_user_delay_grows_and_is_capped(web: Web) -> None:
    s = configure(web, trusted_proxies=("127.0.0.1",), login_user_delay_max_s=10.0)
    c = web.client()  # the proxy, 127.0.0.1, forwarding many clients
    waits: list[int] = []
    for i in range(9):
        hdr = {"X-Forwarded-For": f"198.51.100.{i}"}
        token = await login_csrf(c)
        r = await c.post("/api/login", json={"username": "bob", "password": "wrong-password"},
                         headers={"X-CSRF-Token": token, **hdr})
        if r.status_code == 429:
            waits.append(int(r.headers["Retry-After"]))
            web.clock.advance(float(r.headers["Retry-After"]))
            r = await c.post("/api/login", json={"username": "bob", "password": "wrong-password"},
                             headers={"X-CSRF-Token": token, **hdr})
        assert r.status_code == 401
    assert waits == [2, 3, 5, 9, 11, 11]  # 1, 2, 4, 8 s then the cap (header: +1)
    assert all(w <= s.login_user_delay_max_s + 1 for w in waits)


async def test_forwarded_for_counts_only_from_a_trusted_proxy(web: Web) -> None:
    limit = web.ctx.settings.login_address_max_failures
    c = web.client()  # 127.0.0.1, not a trusted proxy: the header is the client's own
    forged = [f"192.0.2.{i}" for i in range(limit + 1)]
    token = await login_csrf(c)
    codes = [(await c.post("/api/login", json={"username": f"u{i}", "password": "wrong-pass"},
                           headers={"X-CSRF-Token": token, "X-Forwarded-For": ip})).status_code
             for i, ip in enumerate(forged)]
    assert codes[-1] == 429  # a new forged address each time did not help
    configure(web, trusted_proxies=("127.0.0.1",))
    # Through the proxy, the blocked client is the right-most address it appended ...
    for _ in range(limit):
        r = await c.post("/api/login", json={"username": "x", "password": "wrong-pass"},
                         headers={"X-CSRF-Token": token, "X-Forwarded-For": "1.1.1.1, 203.0.113.66"})
    assert r.status_code == 429 and web.ctx.throttle.address_failures("203.0.113.66") == limit
    # ... and the real user behind the same proxy signs in.
    r = await c.post("/api/login", json={"username": "lead", "password": PASSWORDS["lead"]},
                     headers={"X-CSRF-Token": token, "X-Forwarded-For": "203.0.113.7"})
    assert r.status_code == 200


# -- the push channel -------------------------------------------------------------------

async def test_a_disabled_users_stream_closes(web: Web) -> None:
    s = configure(web, stream_recheck_s=5.0)
    transport = StreamingASGITransport(web.app)
    alice = await web.signed_in("alice", transport)
    lead = await web.signed_in("lead", transport)
    async with alice.http.stream("GET", "/api/stream") as a_resp, \
            lead.http.stream("GET", "/api/stream") as l_resp:
        a_lines, l_lines = a_resp.aiter_lines(), l_resp.aiter_lines()
        assert (await asyncio.wait_for(read_frame(a_lines.__anext__), 2.0))[0] == "snapshot"
        assert (await asyncio.wait_for(read_frame(l_lines.__anext__), 2.0))[0] == "snapshot"
        await asyncio.to_thread(users.set_disabled, web.engine, "alice", True)
        web.clock.advance(s.stream_recheck_s)
        web.connect(opened("L-a9", "13600009999", ALICE, NOW))  # a new call for her
        event, _ = await asyncio.wait_for(read_frame(a_lines.__anext__), 2.0)
        assert event == "signed_out"  # not the call: nothing more reaches her
        assert await asyncio.wait_for(_drain(a_lines), 2.0) == []  # and the stream ends
        # The supervisor, still enabled, keeps receiving after the same re-check.
        event, _ = await asyncio.wait_for(read_frame(l_lines.__anext__), 2.0)
        assert event in ("agent", "queue", "point")


async def _drain(lines: AsyncIterator[str]) -> list[str]:
    return [line async for line in lines if line]


# -- ids, redirects, caller data ----------------------------------------------------------

async def test_ids_beyond_64_bits_are_refused_not_crashed(web: Web) -> None:
    lead = await web.signed_in("lead")
    for bad in (2**63, 2**64 + 1, 10**30, 0, -1):
        for method, url, body in (("GET", f"/api/tickets/{bad}", None),
                                  ("PATCH", f"/api/tickets/{bad}", {"content": "x"}),
                                  ("POST", f"/api/alerts/{bad}/acknowledge", None),
                                  ("POST", f"/api/attempts/{bad}/result", {"outcome": "refused"})):
            r = await lead.http.request(method, url, json=body,
                                        headers={"X-CSRF-Token": lead.csrf})
            assert r.status_code == 422, (method, url, r.status_code)
    biggest = 2**63 - 1  # in range, and no such row
    assert (await lead.get(f"/api/tickets/{biggest}")).status_code == 404
    assert (await lead.post(f"/api/alerts/{biggest}/acknowledge")).status_code == 404
    r = await lead.post(f"/api/attempts/{biggest}/result", {"outcome": "refused"})
    assert r.status_code < 500


async def test_nul_characters_are_refused_not_crashed(web: Web) -> None:
    """PostgreSQL stores no NUL in text: a 422 there (SQLite takes it), never a 500."""
    refused = 422 if web.engine.dialect.name == "postgresql" else None
    lead = await web.signed_in("lead")
    for url in ("/api/tickets?q=%00", "/api/tickets?phone=1%002", "/api/tickets?status=%00"):
        assert (await lead.get(url)).status_code == (refused or 200), url
    r = await lead.patch(f"/api/tickets/{web.ticket['L-a3']}", {"content": "a\x00b"})
    assert r.status_code == (refused or 200)
    r = await login(web.client(), "al\x00ice", "whatever-pass")
    assert r.status_code == (refused or 401)


async def test_redirects_stay_on_this_site_whatever_the_host(web: Web) -> None:
    c = web.client()
    evil = {"Host": "evil.example"}
    r = await c.get("/", headers=evil)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    for path in ("/login/", "/desk/", "/api/me/", "/static"):
        r = await c.get(path, headers=evil)
        assert r.is_redirect and r.headers["location"].startswith("/"), path
        assert not r.headers["location"].startswith("//"), path
        assert "evil" not in r.headers["location"]
    assert relative_location("http://evil.example//evil.example/x?a=1") == "/evil.example/x?a=1"
    assert relative_location("/\\evil.example") == "/evil.example"


async def test_bidi_controls_never_reach_the_page_in_a_number(web: Web) -> None:
    number = "\u202e13900001111\u2066"
    web.connect(opened("L-a8", number, ALICE, NOW))
    alice = await web.signed_in("alice")
    r = await alice.get("/api/desk/current")
    assert r.status_code == 200 and r.json()["call"]["caller_number"] == "13900001111"
    css = (ROOT / "callcenter/web/static/app.css").read_text(encoding="utf-8")
    assert "unicode-bidi: isolate" in css and "#caller-number" in css


def test_cli_tables_and_json_escape_control_characters() -> None:
    rows = [{"number": "\x1b]0;pwned\x07139\u202e0000", "name": "王\x9b2J", "ok": True}]
    table = render_table(rows)
    assert "\x1b" not in table and "\u202e" not in table and "\x9b" not in table
    assert "\\x1b]0;pwned\\x07139\\u202e0000" in table and "王\\x9b2J" in table
    out = render_json(rows)
    assert "\u202e" not in out and "\x9b" not in out and "\x1b" not in out
    assert "\\u202e" in out and "王" in out  # Chinese stays readable
    assert json.loads(out) == rows  # the same data


# -- files on disk ----------------------------------------------------------------------

def test_the_systemd_unit_sets_a_private_umask() -> None:
    unit = (ROOT / "systemd/callcenter.service").read_text(encoding="utf-8").splitlines()
    assert "UMask=0077" in unit


@pytest.mark.parametrize("how", ["engine", "upgrade"])
def test_a_new_sqlite_file_is_private(tmp_path: Path, how: str) -> None:
    path = tmp_path / "state" / "callcenter.db"
    url = f"sqlite:///{path}"
    old = os.umask(0o022)  # what a shell usually has: files come out world-readable
    try:
        if how == "upgrade":
            db.upgrade(url)
        engine = db.engine_for(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            for side in ("-wal", "-shm"):  # SQLite gives these the database's mode
                side_file = Path(f"{path}{side}")
                assert not side_file.exists() or stat.S_IMODE(side_file.stat().st_mode) == 0o600
        engine.dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
