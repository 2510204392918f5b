"""The supervisors' tools over HTTP (the web application in-process, SQLite and
PostgreSQL): campaigns created, a GBK contact list uploaded with its rejected rows
listed, size and name checked at the boundary, paused, resumed and reported; the
do-not-call list with its audit; tickets filtered, paged and exported; listen /
whisper / barge with every Originate field checked.  Agents get 403 on all of it."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import select

from callcenter.store import models as m
from callcenter.users import service as users
from tests.unit.test_web_api import ALICE, BOB, NOW, Web, error_of, web

__all__ = ["web"]  # the fixture, used by name

GBK_CSV = ("姓名,电话,服务日期,备注\n"
           "张伟,13800138000,2026-11-10,热水器\n"
           "李娜,not-a-number,2026-11-10,\n"
           "王芳,13800138000,2026-11-11,重复\n"
           "赵磊,13900139000,2026/13/40,\n"
           "刘洋,13700137000,,会员\n").encode("gbk")


async def _upload(s: Any, campaign: int, name: str, body: Any) -> httpx.Response:
    r: httpx.Response = await s.http.post(f"/api/campaigns/{campaign}/import",
                                          params={"filename": name}, content=body,
                                          headers={"X-CSRF-Token": s.csrf})
    return r


async def test_agents_get_403_on_every_supervisor_tool(web: Web) -> None:
    alice = await web.signed_in("alice")
    lead = await web.signed_in("lead")
    r = await lead.post("/api/campaigns", {"name": "十一月回访"})
    assert r.status_code == 200, r.text
    campaign = r.json()["id"]
    for method, url, body in (
            ("GET", "/api/campaigns", None), ("POST", "/api/campaigns", {"name": "x"}),
            ("POST", f"/api/campaigns/{campaign}/pause", None),
            ("GET", f"/api/campaigns/{campaign}/report.xlsx", None),
            ("GET", f"/api/campaigns/{campaign}/attempts", None),
            ("GET", "/api/dnc", None), ("POST", "/api/dnc", {"number": "13800138000"}),
            ("POST", "/api/dnc/remove", {"number": "13800138000", "reason": "x"}),
            ("GET", "/api/tickets-export.csv", None),
            ("POST", "/api/spy", {"agent": BOB.interface, "mode": "whisper"})):
        r = await (alice.get(url) if method == "GET" else alice.post(url, body))
        assert r.status_code == 403 and error_of(r) == "web.forbidden", (url, r.text)
    r = await _upload(alice, campaign, "list.csv", GBK_CSV)
    assert r.status_code == 403
    page = await alice.get("/campaigns")
    assert page.status_code == 403 and 'class="card forbidden' in page.text  # the 403 page
    assert "campaigns.js" not in page.text  # no script that could fail
    # A supervisor's change without the session's CSRF token is refused too.
    r = await lead.http.post(f"/api/campaigns/{campaign}/pause")
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"
    r = await lead.http.post(f"/api/campaigns/{campaign}/import", params={"filename": "a.csv"},
                             content=GBK_CSV)
    assert r.status_code == 403 and error_of(r) == "web.csrf_rejected"


async def test_campaign_from_a_gbk_upload_with_rejected_rows_and_report(web: Web) -> None:
    lead = await web.signed_in("lead")
    r = await lead.post("/api/campaigns", {"name": "  投诉回访\u202e ", "deadline": "1wd"})
    assert r.status_code == 200 and r.json()["name"] == "投诉回访"
    campaign = r.json()["id"]
    r = await _upload(lead, campaign, "C:\\名单\\客户.csv", GBK_CSV)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["imported"] == 2 and body["rejected_total"] == 3
    assert [(x["row"], x["reason"].split(" ")[0]) for x in body["rejected"]] == [
        (3, "invalid"), (4, "duplicate"), (5, "bad")]
    assert [(x["code"], x["column"]) for x in body["rejected"]] == [
        ("invalid_number", "phone"), ("duplicate_row", "phone"), ("bad_service_date", "service_date")]
    with web.engine.connect() as conn:
        names = sorted(conn.execute(select(m.Contact.name)
                                    .where(m.Contact.campaign_id == campaign)).scalars())
    assert names == ["刘洋", "张伟"]  # decoded from GBK, not mojibake
    listed = {c["id"]: c for c in (await lead.get("/api/campaigns")).json()}
    assert listed[campaign]["contacts"] == 2 and listed[campaign]["pending"] == 2
    r = await lead.post(f"/api/campaigns/{campaign}/pause")
    assert r.json()["status"] == "paused"
    assert {c["id"]: c for c in (await lead.get("/api/campaigns")).json()}[campaign][
        "status"] == "paused"
    r = await lead.post(f"/api/campaigns/{campaign}/resume")
    assert r.json()["status"] == "active"
    r = await lead.get(f"/api/campaigns/{campaign}/report.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[0] == "summary" and book["summary"]["B2"].value == 2
    r = await lead.get(f"/api/campaigns/{campaign}/report.csv")
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf# summary")
    assert (await lead.get("/api/campaigns/999999/report.csv")).status_code == 422


async def test_uploads_are_checked_at_the_boundary(web: Web) -> None:
    lead = await web.signed_in("lead")
    campaign = (await lead.post("/api/campaigns", {"name": "x"})).json()["id"]
    for name in ("list.exe", ".csv", "noext"):
        r = await _upload(lead, campaign, name, b"phone\n13800138000\n")
        assert r.status_code == 422 and error_of(r) == "web.invalid_input", name
    r = await _upload(lead, campaign, "old.xls", b"\xd0\xcf\x11\xe0")
    assert r.status_code == 422 and ".xls" in r.json()["detail"]
    r = await _upload(lead, campaign, "big5.csv", "姓名,電話\n陳大文,13800138000\n".encode("big5"))
    assert r.status_code == 422  # neither UTF nor plausible GBK: refused, never garbled
    r = await _upload(lead, 999999, "a.csv", b"phone\n13800138000\n")
    assert r.status_code == 422 and "no campaign" in r.json()["detail"]
    limit = 20_000_000  # [callbacks] import_max_bytes, the default

    async def chunks() -> Any:
        line = b"13800138000\n" * 87_000  # ~1 MB
        yield b"phone\n"
        for _ in range(limit // len(line) + 2):
            yield line

    r = await _upload(lead, campaign, "huge.csv", chunks())
    assert r.status_code == 413 and error_of(r) == "web.upload_too_large"
    r = await lead.post("/api/campaigns", {"name": "a", "mode": "agent_first"})
    assert r.status_code == 422  # agent-first needs its agent
    r = await lead.post("/api/campaigns", {"name": "a", "mode": "agent_first",
                                           "agent": "PJSIP/1001,Local/x"})
    assert r.status_code == 422
    r = await lead.post("/api/campaigns", {"name": "a", "deadline": "forever"})
    assert r.status_code == 422


async def test_do_not_call_list_is_audited(web: Web) -> None:
    lead = await web.signed_in("lead")
    r = await lead.post("/api/dnc", {"number": "+86 138-0013-8000", "reason": "客户要求"})
    assert r.status_code == 200 and r.json()["added"] == "13800138000"
    r = await lead.post("/api/dnc", {"number": "138&Local/1@x", "reason": "x"})
    assert r.status_code == 422
    r = await lead.post("/api/dnc/remove", {"number": "13800138000", "reason": " "})
    assert r.status_code == 422  # a reason is required to call a number again
    body = (await lead.get("/api/dnc")).json()
    assert body["total"] == 1 and body["rows"][0]["reason"] == "客户要求"
    r = await lead.post("/api/dnc/remove", {"number": "13800138000", "reason": "客户同意回访"})
    assert r.json()["removed"] is True
    body = (await lead.get("/api/dnc")).json()
    assert body["total"] == 0
    assert [(a["action"], a["reason"], a["by"]) for a in body["audit"]] == [
        ("remove", "客户同意回访", "lead"), ("add", "客户要求", "lead")]
    assert (await lead.get("/api/dnc", params={"limit": 501})).status_code == 422


async def test_tickets_filtered_paged_and_exported(web: Web) -> None:
    lead = await web.signed_in("lead")
    alice = await web.signed_in("alice")
    r = await lead.get("/api/tickets-page", params={"limit": 2})
    body = r.json()
    assert body["total"] == 5 and len(body["rows"]) == 2
    r = await lead.get("/api/tickets-page", params={"limit": 2, "offset": 4})
    assert len(r.json()["rows"]) == 1
    r = await lead.get("/api/tickets-page", params={"agent": BOB.interface, "queue": "sales"})
    assert sorted(t["linkedid"] for t in r.json()["rows"]) == ["L-b0", "L-b1"]
    assert (await lead.get("/api/tickets-page", params={"queue": "support"})).json()["total"] == 0
    day = "2026-11-18"
    assert (await lead.get("/api/tickets-page", params={"from": day, "to": day})).json()[
        "total"] == 5
    assert (await lead.get("/api/tickets-page", params={"from": "2026-11-19"})).json()[
        "total"] == 0
    for bad in ({"from": "18/11/2026"}, {"from": day, "to": "2026-11-17"},
                {"status": "lost"}, {"category": "x"}, {"limit": 1000}):
        r = await lead.get("/api/tickets-page", params=bad)
        assert r.status_code == 422, bad
    # An agent's list is their own, whatever agent they ask for.
    r = await alice.get("/api/tickets-page", params={"agent": BOB.interface})
    assert {t["owner_interface"] for t in r.json()["rows"]} == {ALICE.interface}
    r = await lead.get("/api/tickets-export.csv", params={"agent": ALICE.interface})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "工单 ticket" and len(rows) == 4
    r = await lead.get("/api/tickets-export.xlsx")
    sheet = load_workbook(io.BytesIO(r.content))["tickets"]
    assert sheet.max_row == 6


class FakeAmi:
    """Asterisk's side of the spy route: its live channels, and what was sent."""

    def __init__(self, channels: list[dict[str, str]]) -> None:
        self.channels = channels
        self.sent: list[dict[str, str]] = []
        self.connected = True

    async def action(self, fields: Mapping[str, str], **_: Any) -> Any:
        self.sent.append(dict(fields))
        if fields["Action"] == "CoreShowChannels":
            return [{"Response": "Success"}] + [
                {"Event": "CoreShowChannel", "ChannelState": "6", **c} for c in self.channels]
        return {"Response": "Success", "Message": "Originate successfully queued"}


async def test_spy_rings_the_supervisors_phone_into_chanspy(web: Web, monkeypatch: Any) -> None:
    lead = await web.signed_in("lead")
    r = await lead.post("/api/spy", {"agent": ALICE.interface, "mode": "whisper"})
    assert r.status_code == 409 and "phone" in r.json()["detail"]  # no phone of their own
    users.set_phone(web.engine, "lead", "PJSIP/2001")
    lead = await web.signed_in("lead")
    fake = FakeAmi([
        {"Channel": "PJSIP/1001-0000002a", "Uniqueid": "L-a3.leg", "Linkedid": "L-a3"},
        {"Channel": "PJSIP/1001-00000010", "Uniqueid": "old", "Linkedid": "L-a1"},
        {"Channel": "PJSIP/trunk-0000002b", "Uniqueid": "L-a3.1", "Linkedid": "L-a3"}])
    monkeypatch.setattr(web.core.ami, "action", fake.action)
    r = await lead.post("/api/spy", {"agent": ALICE.interface, "mode": "whisper"})
    assert r.status_code == 200, r.text
    originate = fake.sent[-1]
    assert originate["Action"] == "Originate" and originate["Channel"] == "PJSIP/2001"
    assert originate["Context"] == "callcenter-spy" and originate["Async"] == "true"
    assert originate["Variable"] == "CC_SPY_CHANNEL=PJSIP/1001-0000002a,CC_SPY_OPTS=qwE"
    for mode, opts in (("listen", "qE"), ("barge", "qBE")):
        r = await lead.post("/api/spy", {"agent": ALICE.interface, "mode": mode})
        assert fake.sent[-1]["Variable"].endswith(f"CC_SPY_OPTS={opts}")
    for bad in ({"agent": ALICE.interface, "mode": "record"},
                {"agent": "PJSIP/1001,Local/9@x", "mode": "listen"},
                {"agent": ALICE.interface}):
        r = await lead.post("/api/spy", bad)
        assert r.status_code == 422, bad
    sent = len(fake.sent)
    r = await lead.post("/api/spy", {"agent": "PJSIP/1999", "mode": "listen"})
    assert r.status_code == 409 and len(fake.sent) == sent  # on no call: Asterisk not asked
    # A channel name out of grammar (a hostile name Asterisk reported) is never sent.
    fake.channels = [{"Channel": "PJSIP/1001-0000002a,x", "Uniqueid": "u", "Linkedid": "L-a3"}]
    r = await lead.post("/api/spy", {"agent": ALICE.interface, "mode": "listen"})
    assert r.status_code == 409 and fake.sent[-1]["Action"] == "CoreShowChannels"
    assert NOW  # the fixture's clock: calls are the tracker's, opened before NOW
