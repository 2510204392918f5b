"""The web application in-process, against a real database (SQLite, and PostgreSQL
when available): sign-in with CSRF and throttling, who may read and change which
ticket, masked numbers, the agent desk, alerts, and the push channel."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from structlog.testing import capture_logs

from callcenter import config
from callcenter.alerts import service as alerts
from callcenter.core import labels
from callcenter.core.core import Core
from callcenter.daemon import Daemon
from callcenter.domain import events as ev
from callcenter.domain import outcomes as oc
from callcenter.domain.alerts import AlertChange, AlertTransition, Wording
from callcenter.domain.calendar import WorkCalendar, deadline_for
from callcenter.domain.clock import ManualClock
from callcenter.domain.ticket_rules import TicketRules
from callcenter.store import models as m
from callcenter.store.apply import Applier
from callcenter.users import service as users
from callcenter.web.context import WebContext
from callcenter.web.settings import WallboardSettings

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ).timestamp()  # a Wednesday
BASE = "http://testserver"
ALICE = oc.AgentRef("PJSIP/1001", "Alice")
BOB = oc.AgentRef("PJSIP/1002", "Bob")
PASSWORDS = {"lead": "lead-password", "lead2": "lead2-password", "alice": "alice-password",
             "bob": "bob-password"}
CURRENT_NUMBER = "13900003333"  # alice is talking to this caller


def opened(linkedid: str, number: str, agent: oc.AgentRef, at: float) -> oc.TicketOpened:
    return oc.TicketOpened(linkedid, linkedid + ".1", "sales", number, agent, hold_s=6.0,
                           ring_s=4.0, late_answer=False, at=at)


# In the order the tracker decided them: the last call of each agent is their current one.
OUTCOMES = [
    opened("L-a1", "13811112222", ALICE, NOW - 3000),   # alice, another caller
    opened("L-a2", CURRENT_NUMBER, ALICE, NOW - 2000),  # alice, this caller before
    opened("L-b0", CURRENT_NUMBER, BOB, NOW - 1500),    # bob, this caller before
    opened("L-b1", "13700004444", BOB, NOW - 1000),     # bob's current call
    opened("L-a3", CURRENT_NUMBER, ALICE, NOW - 100),   # alice's current call
]


@dataclass
class Web:
    app: FastAPI
    ctx: WebContext
    core: Core
    engine: Engine
    clock: ManualClock
    published: list[AlertTransition]
    ticket: dict[str, int]  # linkedid -> ticket id
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def feed(self, event: ev.Event) -> None:
        """An AMI fact, as the inbound feature hands it on: tracker, then the bus."""
        self.core.outcomes.publish(self.core.tracker.handle(event))

    def connect(self, o: oc.TicketOpened) -> None:
        self.feed(ev.AgentConnected(o.queue, o.uniqueid, o.linkedid, o.caller_number,
                                    o.linkedid + ".leg", o.owner.interface, o.owner.name,
                                    o.hold_s, o.ring_s))

    def client(self, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
        c = httpx.AsyncClient(transport=transport or httpx.ASGITransport(app=self.app), base_url=BASE)
        self.clients.append(c)
        return c

    async def signed_in(self, username: str,
                        transport: httpx.AsyncBaseTransport | None = None) -> Session:
        c = self.client(transport)
        r = await login(c, username, PASSWORDS[username])
        assert r.status_code == 200, r.text
        return Session(c, r.json()["csrf_token"])


@dataclass
class Session:
    http: httpx.AsyncClient
    csrf: str

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url, **kw)

    async def patch(self, url: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.patch(url, json=body, headers={"X-CSRF-Token": self.csrf})

    async def post(self, url: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post(url, json=body, headers={"X-CSRF-Token": self.csrf})


async def login_csrf(c: httpx.AsyncClient) -> str:
    page = await c.get("/login")
    assert page.status_code == 200
    return c.cookies["cc_login_csrf"]


async def login(c: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    token = await login_csrf(c)
    return await c.post("/api/login", json={"username": username, "password": password},
                        headers={"X-CSRF-Token": token})


def error_of(r: httpx.Response) -> str:
    body: dict[str, str] = r.json()
    return body["error"]


def build(db_url: str) -> Web:
    clock = ManualClock(NOW)
    cfg = config.load(environ={"CALLCENTER__DATABASE__URL": db_url})
    daemon = Daemon(cfg, clock=clock)  # every feature wired, as in production; not run
    core, engine = daemon.core, daemon.core.engine
    published: list[AlertTransition] = []
    core.alerts.subscribe(published.extend)
    users.add_user(engine, "lead", PASSWORDS["lead"], "supervisor", NOW, display_name="班长")
    users.add_user(engine, "alice", PASSWORDS["alice"], "agent", NOW, display_name="Alice",
                   member_interface=ALICE.interface)
    users.add_user(engine, "bob", PASSWORDS["bob"], "agent", NOW, display_name="Bob",
                   member_interface=BOB.interface)
    # What the store writer would have written (the writer process is not started here).
    with engine.begin() as conn:
        Applier(7 * 86400.0).apply_batch(conn, list(OUTCOMES))
    web = Web(core.app, core.app.state.ctx, core, engine, clock, published, {})
    for o in OUTCOMES:  # the tracker learns who is on which call
        web.connect(o)
    with engine.connect() as conn:
        web.ticket.update({r.linkedid: r.id for r in conn.execute(select(m.Ticket.linkedid,
                                                                          m.Ticket.id))})
    return web


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Web]:
    w = build(db_url)
    yield w
    w.ctx.hub.close()
    for c in w.clients:
        await c.aclose()
    w.engine.dispose()


# -- signing in -------------------------------------------------------------------------

async def test_login_needs_the_csrf_double_submit(web: Web) -> None:
    c = web.client()
    body = {"username": "alice", "password": PASSWORDS["alice"]}
    r = await c.post("/api/login", json=body)  # no cookie, no header
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    token = await login_csrf(c)
    r = await c.post("/api/login", json=body)  # the cookie alone is not enough
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    r = await c.post("/api/login", json=body, headers={"X-CSRF-Token": token + "x"})
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    r = await c.post("/api/login", json=body, headers={"X-CSRF-Token": token,
                                                        "Origin": "https://evil.example"})
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    assert "cc_session" not in c.cookies
    r = await c.post("/api/login", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["username"] == "alice"


async def test_wrong_password_is_401(web: Web) -> None:
    c = web.client()
    with capture_logs() as seen:
        r = await login(c, "alice", "not-her-password")
        assert r.status_code == 401 and error_of(r) == "web.unauthenticated"
        r = await login(c, "nobody", "whatever-pass")
        assert r.status_code == 401 and error_of(r) == "web.unauthenticated"
        await web.signed_in("alice")
    # Who signed in, and each refusal with its error id; never a password.
    assert [(e["event"], e["user"], e.get("error_id")) for e in seen
            if e["event"].startswith("web.sign")] == [
        ("web.sign_in_refused", "alice", "web.unauthenticated"),
        ("web.sign_in_refused", "nobody", "web.unauthenticated"),
        ("web.signed_in", "alice", None)]
    assert "not-her-password" not in repr(seen) and PASSWORDS["alice"] not in repr(seen)
    assert "cc_session" not in c.cookies
    r = await c.get("/api/me")
    assert r.status_code == 401 and error_of(r) == "web.unauthenticated"


async def test_wrong_passwords_slow_the_user_name_down(web: Web) -> None:
    c = web.client()
    s = web.ctx.settings
    for _ in range(s.login_user_free_failures):
        r = await login(c, "alice", "guessing-wrong")
        assert r.status_code == 401
    r = await login(c, "alice", PASSWORDS["alice"])  # even the right password, for now
    assert r.status_code == 429 and error_of(r) == "web.login_throttled"
    assert int(r.headers["Retry-After"]) == int(s.login_user_delay_s) + 1
    assert "cc_session" not in c.cookies
    web.clock.advance(s.login_user_delay_s)  # slowed down, never locked out
    r = await login(c, "alice", PASSWORDS["alice"])
    assert r.status_code == 200
    # (more in test_web_hardening.py: bursts, addresses, proxies, the cap)


async def test_session_cookie_is_httponly_and_strict(web: Web) -> None:
    c = web.client()
    r = await login(c, "alice", PASSWORDS["alice"])
    assert r.status_code == 200
    me = r.json()
    assert me["role"] == "agent" and me["member_interface"] == ALICE.interface
    assert me["language"] == "zh-CN" and len(me["csrf_token"]) >= 32
    cookies = [h for h in r.headers.get_list("set-cookie") if h.startswith("cc_session=")]
    assert len(cookies) == 1
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in cookies[0].split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=strict"
    assert attributes["path"] == "Path=/"
    assert attributes["max-age"] == f"Max-Age={int(web.ctx.settings.session_s)}"
    assert r.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    # the session's token is not the CSRF token, and the page gets the latter from /api/me
    r = await c.get("/api/me")
    assert r.status_code == 200 and r.json()["csrf_token"] == me["csrf_token"]
    assert c.cookies["cc_session"] != me["csrf_token"]


async def test_logout_ends_the_session(web: Web) -> None:
    alice = await web.signed_in("alice")
    r = await alice.http.post("/api/logout")
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    r = await alice.post("/api/logout")
    assert r.status_code == 204
    r = await alice.get("/api/me")
    assert r.status_code == 401


async def test_every_signed_in_page_gets_the_queue_names_from_the_one_setting(
        web: Web) -> None:
    """`[wallboard.queue_names]` is the queues' one name source (no copy in the labels
    files): an agent's pages get it as the wallboard does."""
    names = dict(web.core.config.get(WallboardSettings).queue_names)
    assert names["support"] == "客服热线"
    alice = await web.signed_in("alice")
    r = await alice.get("/api/display")
    assert r.status_code == 200 and r.json() == {"queue_names": names}
    assert (await web.client().get("/api/display")).status_code == 401
    for lang in ("en", "zh-CN"):
        words = json.loads((labels.I18N / f"labels.{lang}.json").read_text(encoding="utf-8"))
        assert "queue" not in words and "_queue" not in words


async def test_disabled_user_is_signed_out(web: Web) -> None:
    alice = await web.signed_in("alice")
    assert (await alice.get("/api/tickets")).status_code == 200
    await asyncio.to_thread(users.set_disabled, web.engine, "alice", True)
    r = await alice.get("/api/tickets")
    assert r.status_code == 401 and error_of(r) == "web.unauthenticated"
    r = await login(web.client(), "alice", PASSWORDS["alice"])
    assert r.status_code == 401


# -- tickets ----------------------------------------------------------------------------

async def test_patch_needs_the_sessions_csrf_token(web: Web) -> None:
    alice = await web.signed_in("alice")
    url = f"/api/tickets/{web.ticket['L-a3']}"
    r = await alice.http.patch(url, json={"content": "no token"})
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    r = await alice.http.patch(url, json={"content": "wrong token"},
                               headers={"X-CSRF-Token": "guess"})
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    assert (await alice.get(url)).json()["content"] == ""
    r = await alice.patch(url, {"content": "空调不制冷"})
    assert r.status_code == 200 and r.json()["content"] == "空调不制冷"


async def test_agent_cannot_read_or_change_another_agents_ticket(web: Web) -> None:
    alice = await web.signed_in("alice")
    for linkedid in ("L-b1", "L-b0"):  # bob's, even one of alice's current caller
        url = f"/api/tickets/{web.ticket[linkedid]}"
        r = await alice.get(url)
        assert r.status_code == 403 and error_of(r) == "web.forbidden"
        r = await alice.patch(url, {"content": "not mine"})
        assert r.status_code == 403 and error_of(r) == "web.forbidden"
    bob = await web.signed_in("bob")
    assert (await bob.get(f"/api/tickets/{web.ticket['L-b1']}")).json()["content"] == ""
    r = await alice.get("/api/tickets/999999")
    assert r.status_code == 404 and error_of(r) == "web.not_found"


async def test_agent_lists_only_her_tickets_with_numbers_masked(web: Web) -> None:
    alice = await web.signed_in("alice")
    r = await alice.get("/api/tickets")
    assert r.status_code == 200
    listed = {t["linkedid"]: t for t in r.json()}
    assert set(listed) == {"L-a1", "L-a2", "L-a3"}
    assert {t["owner_interface"] for t in listed.values()} == {ALICE.interface}
    assert listed["L-a1"]["caller_phone"] == "138****2222"  # not the caller she is talking to
    assert listed["L-a3"]["caller_phone"] == CURRENT_NUMBER  # her current call
    assert listed["L-a2"]["caller_phone"] == CURRENT_NUMBER  # the same caller, earlier
    one = (await alice.get(f"/api/tickets/{web.ticket['L-a1']}")).json()
    assert one["caller_phone"] == "138****2222"
    # bob is on another call: alice's current caller is masked for him
    bob = await web.signed_in("bob")
    theirs = {t["linkedid"]: t["caller_phone"] for t in (await bob.get("/api/tickets")).json()}
    assert theirs == {"L-b0": "139****3333", "L-b1": "13700004444"}
    # a filter cannot widen what an agent sees
    r = await alice.get("/api/tickets", params={"phone": "13700004444"})
    assert r.json() == []


async def test_supervisor_sees_everything_in_full(web: Web) -> None:
    lead = await web.signed_in("lead")
    r = await lead.get("/api/tickets")
    numbers = {t["linkedid"]: t["caller_phone"] for t in r.json()}
    assert numbers == {o.linkedid: o.caller_number for o in OUTCOMES}
    r = await lead.get(f"/api/tickets/{web.ticket['L-a1']}")
    assert r.status_code == 200 and r.json()["caller_phone"] == "13811112222"
    r = await lead.get("/api/tickets", params={"phone": "+86 139 0000 3333"})
    assert [t["linkedid"] for t in r.json()] == ["L-a3", "L-b0", "L-a2"]  # newest first


async def test_supervisor_patch_starts_the_workflow_clocks(web: Web) -> None:
    lead = await web.signed_in("lead")
    tid = web.ticket["L-b1"]
    r = await lead.patch(f"/api/tickets/{tid}", {"category": "投诉"})
    assert r.status_code == 200
    body = r.json()
    opened_at = NOW - 1000
    assert body["category"] == "投诉" and body["opened_at"] == opened_at
    assert body["callback_due_at"] == deadline_for("1wd", opened_at, TZ, WorkCalendar())
    assert body["callback_due_at"] == datetime(2026, 11, 19, 23, 59, 59, tzinfo=TZ).timestamp()
    web.clock.advance(60)
    r = await lead.patch(f"/api/tickets/{tid}", {"rating": "unsatisfied", "status": "resolved"})
    assert r.status_code == 200
    assert r.json()["review_due_at"] == NOW + 60 + TicketRules().review_s
    assert r.json()["rated_at"] == NOW + 60
    stored = (await lead.get(f"/api/tickets/{tid}")).json()
    assert stored["review_due_at"] == NOW + 60 + TicketRules().review_s


async def test_invalid_fields_are_422(web: Web) -> None:
    lead = await web.signed_in("lead")
    alice = await web.signed_in("alice")
    url = f"/api/tickets/{web.ticket['L-a3']}"
    for who, body in ((lead, {"category": "闲聊"}), (lead, {"status": "lost"}),
                      (lead, {"rating": "great"}), (alice, {"priority": "asap"}),
                      (alice, {"rating": "satisfied"}),  # supervisors rate, not agents
                      (alice, {"content": "x" * 4001})):
        r = await who.patch(url, body)
        assert r.status_code == 422 and error_of(r) == "web.invalid_input", body
    ticket = (await lead.get(url)).json()
    assert (ticket["category"], ticket["status"], ticket["rating"]) == ("", "open", None)


async def test_patch_publishes_an_overdue_duty_at_once(web: Web) -> None:
    lead = await web.signed_in("lead")
    tid = web.ticket["L-a1"]
    await lead.patch(f"/api/tickets/{tid}", {"status": "dispatched", "dispatched_to": "维修部"})
    assert web.published == []
    web.clock.advance(TicketRules().dispatch_accept_s)
    await lead.patch(f"/api/tickets/{tid}", {"content": "催办"})
    assert [(t.kind, t.change, t.ref) for t in web.published] == [
        ("ticket_supervision", AlertChange.RAISED, f"ticket:{tid}")]
    await lead.patch(f"/api/tickets/{tid}", {"status": "accepted"})
    assert [(t.kind, t.change) for t in web.published[1:]] == [
        ("ticket_supervision", AlertChange.CLEARED)]


# -- the agent desk ---------------------------------------------------------------------

async def test_desk_shows_the_current_call_ticket_and_history(web: Web) -> None:
    alice = await web.signed_in("alice")
    r = await alice.get("/api/desk/current")
    assert r.status_code == 200
    desk = r.json()
    assert desk["call"]["linkedid"] == "L-a3" and desk["call"]["caller_number"] == CURRENT_NUMBER
    assert desk["call"]["owner"] == ALICE.interface
    assert desk["ticket"]["id"] == web.ticket["L-a3"] and desk["editable"] is True
    assert [t["linkedid"] for t in desk["history"]] == ["L-b0", "L-a2"]  # newest first
    assert desk["callback"] is None  # a sales call, not a callback
    bob = (await (await web.signed_in("bob")).get("/api/desk/current")).json()
    assert bob["call"]["linkedid"] == "L-b1" and bob["history"] == []
    lead = (await (await web.signed_in("lead")).get("/api/desk/current")).json()
    assert lead == {"call": None}


async def test_call_completed_clears_the_desk_and_unmasks_nothing(web: Web) -> None:
    alice = await web.signed_in("alice")
    web.feed(ev.AgentCompleted("sales", "L-a3.1", "L-a3", "L-a3.leg", ALICE.interface,
                               ALICE.name, 90.0, "caller"))
    assert (await alice.get("/api/desk/current")).json() == {"call": None}
    numbers = {t["linkedid"]: t["caller_phone"] for t in (await alice.get("/api/tickets")).json()}
    assert numbers == {"L-a1": "138****2222", "L-a2": "139****3333", "L-a3": "139****3333"}


# -- supervisors: wallboard and alerts ----------------------------------------------------

async def test_wallboard_is_for_supervisors(web: Web) -> None:
    alice = await web.signed_in("alice")
    r = await alice.get("/api/wallboard")
    assert r.status_code == 403 and error_of(r) == "web.forbidden"
    for url in ("/api/alerts", "/api/ledger", "/api/campaigns"):
        assert (await alice.get(url)).status_code == 403
    lead = await web.signed_in("lead")
    web.core.outcomes.publish([oc.QueueChanged("sales", 2, NOW - 20, 0, NOW)])
    r = await lead.get("/api/wallboard")
    assert r.status_code == 200
    board = r.json()
    assert board["day"] == "2026-11-18" and board["now"] == NOW and board["alerts"] == []
    assert [(q["queue"], q["waiting"]) for q in board["queues"]] == [("sales", 2)]


async def test_ledger_and_campaigns(web: Web) -> None:
    late = oc.ViolationRaised("leg-1", "L-a3", "sales", ALICE, budget_s=15.0, penalty_points=2,
                              at=NOW - 100)
    with web.engine.begin() as conn:
        Applier(7 * 86400.0).apply_batch(conn, [late])
    lead = await web.signed_in("lead")
    r = await lead.get("/api/ledger")
    assert r.status_code == 200
    assert r.json() == [{"interface": ALICE.interface, "name": ALICE.interface, "points": -2,
                         "entries": {"late_answer": {"points": -2, "count": 1}}}]
    r = await lead.get("/api/campaigns")
    # Only the standing abandoned-callers campaign, which the callbacks feature ensures.
    assert r.status_code == 200
    assert [(c["kind"], c["contacts"]) for c in r.json()] == [("abandoned", 0)]


async def test_acknowledge_an_alert(web: Web) -> None:
    with web.engine.begin() as conn:
        raised = alerts.raise_alert(conn, "surge_level_1", "warning",
                                    Wording("排队 12 人", "12 waiting"), NOW - 30, ref="queue:sales")
    alice = await web.signed_in("alice")
    r = await alice.post(f"/api/alerts/{raised.alert_id}/acknowledge")
    assert r.status_code == 403 and error_of(r) == "web.forbidden"
    lead = await web.signed_in("lead")
    r = await lead.http.post(f"/api/alerts/{raised.alert_id}/acknowledge")
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    assert web.published == []
    r = await lead.post(f"/api/alerts/{raised.alert_id}/acknowledge")
    assert r.status_code == 200
    assert r.json() == {"id": raised.alert_id, "acknowledged_at": NOW, "acknowledged_by": "lead"}
    assert [(t.alert_id, t.change, t.kind, t.at, t.message, t.message_en)
            for t in web.published] == [
        (raised.alert_id, AlertChange.ACKNOWLEDGED, "surge_level_1", NOW, "排队 12 人", "12 waiting")]
    listed = (await lead.get("/api/alerts")).json()
    assert [(a["id"], a["acknowledged_by"], a["acknowledged_at"], a["cleared_at"], a["message"],
             a["message_en"]) for a in listed] \
        == [(raised.alert_id, "lead", NOW, None, "排队 12 人", "12 waiting")]
    assert [a["id"] for a in (await lead.get("/api/alerts", params={"open": True})).json()] == [
        raised.alert_id]
    assert (await lead.get("/api/wallboard")).json()["alerts"][0]["acknowledged_by"] == "lead"
    r = await lead.post("/api/alerts/999999/acknowledge")
    assert r.status_code == 404 and error_of(r) == "web.not_found"


async def test_the_first_acknowledgement_wins(web: Web) -> None:
    with web.engine.begin() as conn:
        raised = alerts.raise_alert(conn, "surge_level_2", "critical",
                                    Wording("排队 20 人", "20 waiting"), NOW - 30)
    await asyncio.to_thread(users.add_user, web.engine, "lead2", PASSWORDS["lead2"], "supervisor", NOW)
    first, second = await web.signed_in("lead"), await web.signed_in("lead2")
    assert (await first.post(f"/api/alerts/{raised.alert_id}/acknowledge")).status_code == 200
    web.clock.advance(30)
    r = await second.post(f"/api/alerts/{raised.alert_id}/acknowledge")
    assert r.status_code == 200
    # the answer tells the second supervisor who saw it first, as the store keeps it
    assert r.json() == {"id": raised.alert_id, "acknowledged_at": NOW, "acknowledged_by": "lead"}
    listed = (await second.get("/api/alerts")).json()
    assert [(a["acknowledged_by"], a["acknowledged_at"]) for a in listed] == [("lead", NOW)]


async def test_openapi_lists_the_api(web: Web) -> None:
    r = await web.client().get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {"/api/tickets/{ticket_id}", "/api/stream", "/api/login", "/api/wallboard",
            "/api/desk/current"} <= set(paths)
    assert "patch" in paths["/api/tickets/{ticket_id}"]
    assert "403" in paths["/api/tickets/{ticket_id}"]["get"]["responses"]


# -- the push channel -------------------------------------------------------------------

class StreamingASGITransport(httpx.AsyncBaseTransport):
    """httpx's ASGITransport collects the whole body before it answers, so an
    endless event stream would never return: this one hands chunks over as the
    app sends them, and tells the app the client went away on close."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": request.method, "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": request.url.scheme, "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0], "query_string": request.url.query,
            "server": (request.url.host, request.url.port), "client": ("127.0.0.1", 123),
            "root_path": "",
        }
        loop = asyncio.get_running_loop()
        started: asyncio.Future[dict[str, Any]] = loop.create_future()
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        gone = asyncio.Event()
        request_sent = False

        async def receive() -> dict[str, Any]:
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.set_result(message)
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    chunks.put_nowait(message["body"])
                if not message.get("more_body"):
                    chunks.put_nowait(None)

        async def run() -> None:
            try:
                await self.app(scope, receive, send)  # type: ignore[arg-type]
            except Exception as exc:
                if not started.done():
                    started.set_exception(exc)
            finally:
                chunks.put_nowait(None)

        task = asyncio.create_task(run())
        start = await started
        return httpx.Response(start["status"], headers=start["headers"],
                              stream=_Chunks(chunks, gone, task))


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: asyncio.Queue[bytes | None], gone: asyncio.Event,
                 task: asyncio.Task[None]) -> None:
        self.chunks, self.gone, self.task = chunks, gone, task

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.chunks.get()) is not None:
            yield chunk

    async def aclose(self) -> None:
        self.gone.set()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), 2.0)
        except TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


async def read_frame(next_line: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    """The next SSE frame's event name and data (keep-alive comments skipped)."""
    event, data = "", ""
    while True:
        line = await next_line()
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif line == "" and event:
            return event, data


async def test_stream_sends_a_snapshot_then_each_agent_only_their_own_call(web: Web) -> None:
    transport = StreamingASGITransport(web.app)
    alice = await web.signed_in("alice", transport)
    bob = await web.signed_in("bob", transport)
    async with alice.http.stream("GET", "/api/stream") as a_resp, \
            bob.http.stream("GET", "/api/stream") as b_resp:
        assert a_resp.status_code == 200 and b_resp.status_code == 200
        assert a_resp.headers["content-type"].startswith("text/event-stream")
        a_lines, b_lines = a_resp.aiter_lines(), b_resp.aiter_lines()
        event, data = await asyncio.wait_for(read_frame(a_lines.__anext__), 2.0)
        assert event == "snapshot"
        assert '"linkedid":"L-a3"' in data and "L-b1" not in data  # her call, not bob's
        event, data = await asyncio.wait_for(read_frame(b_lines.__anext__), 2.0)
        assert event == "snapshot" and '"linkedid":"L-b1"' in data
        assert web.ctx.hub.count() == 2

        web.connect(opened("L-a4", "13600005555", ALICE, NOW))
        event, data = await asyncio.wait_for(read_frame(a_lines.__anext__), 1.0)
        assert event == "call" and '"linkedid":"L-a4"' in data
        assert '"caller_number":"13600005555"' in data
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(read_frame(b_lines.__anext__), 0.3)
    # both browsers went away: the hub forgets them
    for _ in range(50):
        if web.ctx.hub.count() == 0:
            break
        await asyncio.sleep(0.01)
    assert web.ctx.hub.count() == 0


async def test_stream_needs_a_session_and_ends_when_the_hub_closes(web: Web) -> None:
    transport = StreamingASGITransport(web.app)
    anonymous = web.client(transport)
    r = await anonymous.get("/api/stream")
    assert r.status_code == 401 and error_of(r) == "web.unauthenticated"
    lead = await web.signed_in("lead", transport)
    async with lead.http.stream("GET", "/api/stream") as resp:
        lines = resp.aiter_lines()
        event, data = await asyncio.wait_for(read_frame(lines.__anext__), 2.0)
        assert event == "snapshot" and '"alerts":[]' in data
        web.core.outcomes.publish([oc.QueueChanged("sales", 4, NOW - 9, 0, NOW)])
        event, data = await asyncio.wait_for(read_frame(lines.__anext__), 1.0)
        assert event == "queue" and '"waiting":4' in data
        web.core.alerts.publish([AlertTransition(7, "surge_level_1", "warning", AlertChange.RAISED,
                                                "排队 12 人", NOW, "queue:sales")])
        event, data = await asyncio.wait_for(read_frame(lines.__anext__), 1.0)
        assert event == "alert" and '"change":"raised"' in data and "排队 12 人" in data
        web.ctx.hub.close()  # the daemon stopping: the stream ends
        rest = await asyncio.wait_for(_drain(lines), 2.0)
        assert rest == []


async def _drain(lines: AsyncIterator[str]) -> list[str]:
    return [line async for line in lines if line]
