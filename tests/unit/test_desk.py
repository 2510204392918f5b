"""The agent desk's own routes in-process, on SQLite and PostgreSQL: drafts (the
owner's only, cleaned, capped by the ticket's own limits), the agent's state controls
(only their own interface, only the center's reasons and queues, every value checked
at the AMI boundary), the member events echoed to their desk, the 403 page and the
favicon."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from callcenter.ami.grammar import check_member_action, is_member_text
from callcenter.desk.ami import MembershipEcho
from callcenter.domain import events as ev
from callcenter.errors import AmiActionFailed, AmiConnectionLost, AmiUnsafeValue
from tests.unit.test_web_api import ALICE, BOB, Web, build, error_of


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Web]:
    w = build(db_url)
    yield w
    w.ctx.hub.close()
    for c in w.clients:
        await c.aclose()
    w.engine.dispose()


class Recorder:
    """Stands in for the AMI link's `action`: what was sent, and what Asterisk says."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.fail: Exception | None = None

    async def __call__(self, fields: Mapping[str, str], **_kw: Any) -> dict[str, str]:
        self.sent.append(dict(fields))
        if self.fail is not None:
            raise self.fail
        return {"Response": "Success"}


@pytest.fixture
def ami(web: Web, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(web.core.ami, "action", recorder)
    return recorder


# -- drafts -------------------------------------------------------------------------------

async def test_a_draft_is_kept_cleaned_and_read_back_by_its_owner_only(web: Web) -> None:
    alice, bob, lead = [await web.signed_in(u) for u in ("alice", "bob", "lead")]
    tid = web.ticket["L-a3"]  # alice's current call
    typed = {"content": "热水器\u202e漏水\x07\r\n第二行\t完", "address": " 朝阳区\n88号 ",
             "category": "投诉", "status": "open"}
    r = await alice.http.put(f"/api/desk/drafts/{tid}", json={"fields": typed},
                             headers={"X-CSRF-Token": alice.csrf})
    assert r.status_code == 200, r.text
    kept = r.json()["fields"]
    # Lines kept in the content, controls and bidi overrides gone; one line elsewhere.
    assert kept == {"content": "热水器漏水\n第二行 完", "address": "朝阳区 88号",
                    "category": "投诉", "status": "open"}
    assert r.json()["saved_at"] == web.clock.now()
    r = await alice.get(f"/api/desk/drafts/{tid}")
    assert r.json()["draft"]["fields"] == kept
    assert [d["ticket_id"] for d in (await alice.get("/api/desk/drafts")).json()] == [tid]
    # Bob may neither read nor write alice's ticket's draft; his list is his own.
    assert (await bob.get(f"/api/desk/drafts/{tid}")).status_code == 403
    r = await bob.http.put(f"/api/desk/drafts/{tid}", json={"fields": {"content": "x"}},
                           headers={"X-CSRF-Token": bob.csrf})
    assert r.status_code == 403 and error_of(r) == "web.forbidden"
    assert (await bob.get("/api/desk/drafts")).json() == []
    # A supervisor may keep a draft on any ticket, but sees only their own.
    assert (await lead.get(f"/api/desk/drafts/{tid}")).json() == {"draft": None}
    # A newer draft replaces the older (one per user and ticket); a delete drops it.
    web.clock.advance(5)
    r = await alice.http.put(f"/api/desk/drafts/{tid}", json={"fields": {"content": "新"}},
                             headers={"X-CSRF-Token": alice.csrf})
    assert r.json()["saved_at"] == web.clock.now()
    assert (await alice.get(f"/api/desk/drafts/{tid}")).json()["draft"]["fields"] == {
        "content": "新"}
    r = await alice.http.delete(f"/api/desk/drafts/{tid}", headers={"X-CSRF-Token": alice.csrf})
    assert r.status_code == 204
    assert (await alice.get(f"/api/desk/drafts/{tid}")).json() == {"draft": None}


@pytest.mark.parametrize(("fields", "why"), [
    ({"content": "x" * 4001}, "longer than 4000"),      # the ticket's own limit
    ({"address": "y" * 301}, "longer than 300"),
    ({"category": "spam"}, "category must be one of"),   # the ticket's own choices
    ({"rating": "satisfied"}, "not a ticket field"),     # a supervisor's field
    ({"owner_interface": "PJSIP/1002"}, "not a ticket field"),
    ({"content": 5}, "must be text"),
])
async def test_a_draft_is_refused_beyond_the_ticket_s_own_rules(web: Web, fields: dict[str, Any],
                                                                why: str) -> None:
    alice = await web.signed_in("alice")
    tid = web.ticket["L-a3"]
    r = await alice.http.put(f"/api/desk/drafts/{tid}", json={"fields": fields},
                             headers={"X-CSRF-Token": alice.csrf})
    assert r.status_code == 422 and error_of(r) == "web.invalid_input", r.text
    assert why in r.json()["detail"]
    assert (await alice.get(f"/api/desk/drafts/{tid}")).json() == {"draft": None}


async def test_drafts_need_a_session_csrf_and_a_real_ticket(web: Web) -> None:
    tid = web.ticket["L-a3"]
    anonymous = web.client()
    assert (await anonymous.get(f"/api/desk/drafts/{tid}")).status_code == 401
    alice = await web.signed_in("alice")
    r = await alice.http.put(f"/api/desk/drafts/{tid}", json={"fields": {"content": "x"}})
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    r = await alice.http.put(f"/api/desk/drafts/{tid}", json={"fields": {}, "user_id": 3},
                             headers={"X-CSRF-Token": alice.csrf})
    assert r.status_code == 422  # no other field: whose draft it is comes from the session
    r = await alice.http.put("/api/desk/drafts/999999", json={"fields": {"content": "x"}},
                             headers={"X-CSRF-Token": alice.csrf})
    assert r.status_code == 404 and error_of(r) == "web.not_found"


# -- state controls -----------------------------------------------------------------------

async def test_an_agent_pauses_and_resumes_only_their_own_interface(web: Web,
                                                                   ami: Recorder) -> None:
    alice = await web.signed_in("alice")
    r = await alice.post("/api/desk/pause", {"reason": "午休"})
    assert r.status_code == 202, r.text
    r = await alice.post("/api/desk/unpause")
    assert r.status_code == 202, r.text
    assert ami.sent == [
        {"Action": "QueuePause", "Interface": ALICE.interface, "Paused": "true", "Reason": "午休"},
        {"Action": "QueuePause", "Interface": ALICE.interface, "Paused": "false"}]
    # Naming somebody else's interface is no field of the request at all.
    r = await alice.post("/api/desk/pause", {"reason": "午休", "interface": BOB.interface})
    assert r.status_code == 422
    r = await alice.post("/api/desk/unpause", {"interface": BOB.interface})
    assert r.status_code == 422
    # Only the center's reasons; nothing else reaches Asterisk.
    for reason in ("打游戏", "午休,x", "午休|x", "午休\r\nAction: Originate"):
        r = await alice.post("/api/desk/pause", {"reason": reason})
        assert r.status_code == 422, reason
    assert len(ami.sent) == 2
    # Without the session's CSRF token nothing is sent.
    r = await alice.http.post("/api/desk/pause", json={"reason": "午休"})
    assert r.status_code == 403 and len(ami.sent) == 2


async def test_a_user_without_an_interface_controls_nothing(web: Web, ami: Recorder) -> None:
    lead = await web.signed_in("lead")
    for path, body in (("/api/desk/pause", {"reason": "午休"}), ("/api/desk/unpause", None),
                       ("/api/desk/queues/support/login", None)):
        r = await lead.post(path, body)
        assert r.status_code == 403 and error_of(r) == "web.forbidden", path
    assert ami.sent == []


async def test_an_agent_logs_in_and_out_of_the_desk_s_queues(web: Web, ami: Recorder) -> None:
    alice = await web.signed_in("alice")
    assert (await alice.post("/api/desk/queues/support/login")).status_code == 202
    assert (await alice.post("/api/desk/queues/complaints/logout")).status_code == 202
    assert ami.sent == [
        {"Action": "QueueAdd", "Queue": "support", "Interface": ALICE.interface,
         "MemberName": "Alice", "Paused": "false"},
        {"Action": "QueueRemove", "Queue": "complaints", "Interface": ALICE.interface}]
    for queue in ("callback", "sales", "support%26x", "a,b"):  # not one of [desk] queues
        r = await alice.post(f"/api/desk/queues/{queue}/login")
        assert r.status_code in (404, 422), queue
    assert len(ami.sent) == 2


async def test_joining_a_queue_while_paused_stays_paused(web: Web, ami: Recorder) -> None:
    web.feed(ev.MemberUpdated("support", ALICE.interface, "Alice", 1, True, "培训", False))
    alice = await web.signed_in("alice")
    assert (await alice.post("/api/desk/queues/complaints/login")).status_code == 202
    assert [a["Action"] for a in ami.sent] == ["QueueAdd", "QueuePause"]
    assert ami.sent[1] == {"Action": "QueuePause", "Queue": "complaints",
                           "Interface": ALICE.interface, "Paused": "true", "Reason": "培训"}


async def test_asterisk_s_refusal_and_a_link_down_are_told_apart(web: Web,
                                                               ami: Recorder) -> None:
    alice = await web.signed_in("alice")
    ami.fail = AmiActionFailed("QueuePause: Interface not found")
    r = await alice.post("/api/desk/pause", {"reason": "休息"})
    assert r.status_code == 409 and error_of(r) == "web.asterisk_refused"
    ami.fail = AmiConnectionLost("not connected")
    r = await alice.post("/api/desk/pause", {"reason": "休息"})
    assert r.status_code == 503 and error_of(r) == "web.asterisk_unavailable"


async def test_without_the_ami_link_nothing_is_pretended(web: Web) -> None:
    alice = await web.signed_in("alice")  # the daemon is built, not run: no AMI link
    r = await alice.post("/api/desk/pause", {"reason": "午休"})
    assert r.status_code == 503 and error_of(r) == "web.asterisk_unavailable"


async def test_setup_gives_reasons_queues_phrases_and_memberships(web: Web) -> None:
    web.feed(ev.MemberUpdated("support", ALICE.interface, "Alice", 1, True, "午休", False))
    web.feed(ev.MemberUpdated("complaints", ALICE.interface, "Alice", 1, False, "", False))
    s = (await (await web.signed_in("alice")).get("/api/desk/setup")).json()
    assert s["pause_reasons"][:3] == ["午休", "休息", "培训"]
    assert s["queues"] == ["support", "complaints"]
    assert [p["title"] for p in s["scripts"]] == ["开始语", "转接", "致歉", "结束语"]
    assert "Alice为您服务" in s["scripts"][0]["text"]
    assert s["memberships"] == [{"queue": "complaints", "paused": False, "reason": ""},
                                {"queue": "support", "paused": True, "reason": "午休"}]


def test_member_events_reach_the_agent_s_desk_as_the_tracker_has_them(web: Web) -> None:
    pushed: list[tuple[str, str, Any]] = []
    echo = MembershipEcho(web.core.tracker, lambda i, e, d: pushed.append((i, e, d)))
    web.feed(ev.MemberUpdated("support", ALICE.interface, "Alice", 1, True, "午休", False))
    assert echo.wants("QueueMemberPause", "") and not echo.wants("Newchannel", "")
    echo.on_message({"Event": "QueueMemberPause", "Interface": ALICE.interface})
    echo.on_message({"Event": "QueueMemberPause", "Interface": "bad\x1b[2J"})  # skipped
    assert pushed == [(ALICE.interface, "my_queues",
                       [{"queue": "support", "paused": True, "reason": "午休"}])]


def test_the_member_action_grammar() -> None:
    ok = {"Action": "QueuePause", "Interface": "Local/2101@testbed-agents/n", "Paused": "true",
          "Reason": "午休"}
    assert check_member_action(ok) == ok
    assert is_member_text("午休") and is_member_text("王芳 alice")
    for bad in ({**ok, "Interface": "PJSIP/1001&PJSIP/1002"}, {**ok, "Interface": "PJSIP/1,x"},
                {**ok, "Reason": "午休|x"}, {**ok, "Reason": "a;b"}, {**ok, "Reason": " 午休"},
                {**ok, "Reason": "x" * 41}, {**ok, "Reason": "\u202e休"}, {**ok, "Paused": "1"},
                {**ok, "Variable": "A=1"}, {**ok, "Action": "Originate"},
                {"Action": "QueueAdd", "Interface": "PJSIP/1001"},  # no Queue
                {"Action": "QueueAdd", "Queue": "sup port", "Interface": "PJSIP/1001"}):
        with pytest.raises(AmiUnsafeValue):
            check_member_action(bad)


# -- pages ------------------------------------------------------------------------------

async def test_an_agent_gets_a_403_page_for_supervisors_pages(web: Web) -> None:
    alice = await web.signed_in("alice")
    for page in ("/wallboard", "/manage", "/wallboard?tv"):
        r = await alice.get(page)
        assert r.status_code == 403, page
        assert r.headers["content-type"].startswith("text/html")
        assert "<script" not in r.text  # nothing on it can fail
        zh, en = r.text.index("无权访问此页面"), r.text.index("You may not open this page")
        assert zh < en  # the chosen language first, the other under it
        assert "Alice" in r.text and 'href="/"' in r.text
    r = await alice.get("/wallboard?lang=en")
    assert r.status_code == 403
    assert r.text.index("You may not open this page") < r.text.index("无权访问此页面")
    assert (await alice.get("/desk")).status_code == 200
    lead = await web.signed_in("lead")
    assert (await lead.get("/wallboard")).status_code == 200
    r = await web.client().get("/wallboard")
    assert r.status_code == 303 and r.headers["location"] == "/login"


async def test_every_page_links_the_favicon_and_it_is_served(web: Web) -> None:
    lead = await web.signed_in("lead")
    for page in ("/login", "/wallboard", "/desk", "/tickets", "/manage", "/"):
        r = await lead.get(page)
        assert r.status_code == 200, page
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in r.text
    for url in ("/static/favicon.svg", "/favicon.ico"):
        r = await lead.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert r.text.lstrip().startswith("<svg")
    r = await (await web.signed_in("alice")).get("/wallboard")
    assert 'rel="icon"' in r.text  # the 403 page too
