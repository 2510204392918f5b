"""Complaints and the ledger over HTTP (the web application in-process, SQLite and
PostgreSQL): the agent records whom a complaint is about on their own ticket, only a
supervisor gives a verdict, closing too early is a 409 with its message, a third
confirmed complaint is alerted at once, and the ledger's routes are supervisors'."""

from __future__ import annotations

from sqlalchemy import select

from callcenter.complaints import service as complaints
from callcenter.domain.complaints import FLAG_KIND
from callcenter.store import models as m
from tests.unit.test_web_api import BOB, NOW, Web, error_of, web

__all__ = ["web"]  # the fixture, used by name


async def test_complaint_workflow_over_http(web: Web) -> None:
    lead = await web.signed_in("lead")
    alice = await web.signed_in("alice")
    url = f"/api/tickets/{web.ticket['L-a3']}"  # alice's current call
    r = await alice.patch(url, {"category": "投诉", "about_agent": BOB.interface,
                                "department": "客服部", "complaint_kind": "服务态度",
                                "reply_promised_at": NOW + 86400})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["about_agent"], body["department"], body["reply_promised_at"]) == (
        BOB.interface, "客服部", NOW + 86400)
    assert body["investigation_due_at"] is not None
    r = await alice.patch(url, {"verdict": "confirmed"})
    assert r.status_code == 422 and error_of(r) == "web.invalid_input"
    r = await alice.patch(url, {"status": "resolved"})
    assert r.status_code == 200 and r.json()["resolved_at"] == NOW
    with web.engine.connect() as conn:
        contact = conn.execute(select(m.Contact.status).join(m.Campaign).where(
            m.Campaign.kind == complaints.FOLLOWUP_KIND)).scalar_one()
    assert contact == "pending"
    r = await alice.patch(url, {"status": "closed"})
    assert r.status_code == 409 and error_of(r) == "ticket.refused"
    assert "follow-up" in r.json()["detail"]
    r = await lead.patch(url, {"verdict": "unfounded"})
    assert r.status_code == 409 and "reason" in r.json()["detail"]
    r = await lead.patch(url, {"verdict": "unfounded", "verdict_reason": "录音证明无过错"})
    assert r.status_code == 200 and r.json()["verdict_by"] == "lead"
    r = await alice.patch(url, {"status": "closed"})
    assert r.status_code == 200 and r.json()["status"] == "closed"


async def test_third_confirmed_complaint_is_alerted_at_once(web: Web) -> None:
    lead = await web.signed_in("lead")
    for linkedid in ("L-a1", "L-a2", "L-a3"):
        url = f"/api/tickets/{web.ticket[linkedid]}"
        r = await lead.patch(url, {"category": "投诉", "about_agent": BOB.interface})
        assert r.status_code == 200
        assert not [t for t in web.published if t.kind == FLAG_KIND]
        r = await lead.patch(url, {"verdict": "confirmed"})
        assert r.status_code == 200
    flagged = [t for t in web.published if t.kind == FLAG_KIND]
    assert [t.ref for t in flagged] == [f"agent:{BOB.interface}:2026-11"]


async def test_ledger_routes_are_for_supervisors(web: Web) -> None:
    lead = await web.signed_in("lead")
    alice = await web.signed_in("alice")
    r = await alice.post("/api/ledger/entries", {"agent": BOB.interface, "points": 5, "reason": "x"})
    assert r.status_code == 403
    r = await lead.post("/api/ledger/entries", {"agent": BOB.interface, "points": -3, "reason": "串岗"})
    assert r.status_code == 200, r.text
    entry = r.json()["entry"]
    r = await lead.post("/api/ledger/entries", {"agent": "PJSIP/9999", "points": -3, "reason": "x"})
    assert r.status_code == 422
    r = await lead.post(f"/api/ledger/entries/{entry}/reverse", {"reason": "误录"})
    assert r.status_code == 200
    r = await lead.post(f"/api/ledger/entries/{entry}/reverse", {"reason": "again"})
    assert r.status_code == 422 and "reversed already" in r.json()["detail"]
    r = await lead.get("/api/ledger/entries", params={"start": NOW - 10, "end": NOW + 10})
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [(e["points"], e["reason"], e["entered_by"]) for e in rows] == [
        (-3, "manual", "lead"), (3, "reversal", "lead")]
    r = await lead.get("/api/ledger/bonus", params={"quarter": "2026Q4"})
    assert r.status_code == 200 and r.json()[0]["points"] == 0


async def test_the_ticket_pages_choices(web: Web) -> None:
    alice = await web.signed_in("alice")
    r = await alice.get("/api/complaints/choices")
    assert r.status_code == 200
    body = r.json()
    assert "服务态度" in body["kinds"] and body["praise_kinds"] == ["phone", "letter"]
    assert body["verdicts"] == ["confirmed", "unfounded"]
    assert (await web.client().get("/api/complaints/choices")).status_code == 401
