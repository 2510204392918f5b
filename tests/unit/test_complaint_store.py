"""The complaint lifecycle through the ticket edit path, on SQLite and PostgreSQL:
whom it is about and the investigation deadline; resolved, a follow-up call on the
standing 投诉回访 campaign; closing refused until that call succeeds or a supervisor
marks it unfounded; verdicts on the ledger (a confirmed one found unfounded is
reversed); the third confirmed complaint in a month flags the agent (an alert, once)
and the agents report counts them; the 投诉分类统计表."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, insert, select

from callcenter.callbacks import service as campaigns
from callcenter.complaints import service as complaints
from callcenter.domain.alerts import AlertChange
from callcenter.domain.callbacks import Outcome, RetryPolicy
from callcenter.domain.complaints import FLAG_KIND
from callcenter.domain.kpi_periods import Period
from callcenter.errors import InvalidInput, TicketRefused
from callcenter.reports import service as reports
from callcenter.store import db
from callcenter.store import models as m
from callcenter.store import stat_models as sm
from callcenter.tickets import service as tickets
from tests.unit.test_ticket_service import ALICE, NOW, TZ, deadline, edit, open_ticket

BOB = "PJSIP/1002"


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = db.engine_for(db_url)
    with engine.begin() as conn:
        for interface, name in ((ALICE.interface, ALICE.name), (BOB, "Bob")):
            conn.execute(insert(m.Agent).values(interface=interface, name=name, state="idle",
                                                 since=NOW))
    return engine


def complaint(engine: Engine, linkedid: str, number: str, at: float, **fields: object) -> int:
    tid = open_ticket(engine, linkedid, number, at)
    edit(engine, tid, {"category": "投诉", "about_agent": BOB, "department": "客服部",
                       "complaint_kind": "服务态度", **fields}, at + 30)
    return tid


def followup_contact(engine: Engine, ticket_id: int) -> m.Contact:
    with engine.connect() as conn:
        row = conn.execute(select(m.Contact).join(m.Campaign).where(
            m.Campaign.kind == complaints.FOLLOWUP_KIND, m.Contact.ticket_id == ticket_id)).one()
    return row  # type: ignore[no-any-return]


def attempt(engine: Engine, contact: m.Contact, outcome: Outcome, at: float) -> None:
    with engine.begin() as conn:
        attempt_id = conn.execute(insert(m.Attempt).values(
            contact_id=contact.id, campaign_id=contact.campaign_id, phone=contact.phone,
            action_id=f"a{at}", channel_id=f"c{at}", status="answered", started_at=at,
            note="").returning(m.Attempt.id)).scalar_one()
    campaigns.record_outcome(engine, attempt_id, outcome, at + 60, RetryPolicy(),
                             score=5 if outcome is Outcome.SUCCESS else None, agent=ALICE.interface)


def ledger_rows(engine: Engine) -> list[tuple[str, int, str, int | None, int | None]]:
    with engine.connect() as conn:
        return [(r.agent_interface, r.points, r.reason, r.ticket_id, r.reverses_id)
                for r in conn.execute(select(m.PointsEntry).order_by(m.PointsEntry.id))]


def test_resolved_complaint_gets_a_followup_and_closes_only_once_it_succeeds(engine: Engine) -> None:
    promised = NOW + 86400
    tid = complaint(engine, "L1", "+86 138 0000 1111", NOW, reply_promised_at=promised,
                    about_name="李工")
    t = tickets.get(engine, tid)
    assert (t["about_agent"], t["about_name"], t["department"], t["complaint_kind"]) == (
        BOB, "李工", "客服部", "服务态度")
    assert t["reply_promised_at"] == promised
    assert t["investigation_due_at"] == deadline("1wd", NOW)  # the end of Thursday
    assert datetime.fromtimestamp(t["investigation_due_at"], TZ).strftime("%a %H:%M") == "Thu 23:59"
    with pytest.raises(TicketRefused, match="follow-up"):  # not even resolved
        edit(engine, tid, {"status": "closed"}, NOW + 60)

    t = edit(engine, tid, {"status": "resolved", "resolution": "已道歉并退款"}, NOW + 3600)
    assert t["resolved_at"] == NOW + 3600
    contact = followup_contact(engine, tid)
    assert (contact.phone, contact.status, contact.next_due_at) == ("13800001111", "pending",
                                                                    NOW + 3600)
    assert contact.deadline == deadline("1wd", NOW + 3600)

    attempt(engine, contact, Outcome.NO_ANSWER, NOW + 7200)  # not reached: still open
    with pytest.raises(TicketRefused, match="follow-up") as refused:
        edit(engine, tid, {"status": "closed"}, NOW + 7300)
    assert refused.value.status == 409 and refused.value.error_id == "ticket.refused"
    assert tickets.get(engine, tid)["status"] == "resolved"  # nothing changed

    attempt(engine, followup_contact(engine, tid), Outcome.SUCCESS, NOW + 9000)
    assert edit(engine, tid, {"status": "closed"}, NOW + 9100)["status"] == "closed"


def test_a_success_before_resolution_does_not_count(engine: Engine) -> None:
    first = complaint(engine, "L1", "13800001111", NOW)
    edit(engine, first, {"status": "resolved"}, NOW + 100)
    attempt(engine, followup_contact(engine, first), Outcome.SUCCESS, NOW + 200)
    # The same caller complains again: the follow-up contact is taken up for the new one.
    second = complaint(engine, "L2", "13800001111", NOW + 1000)
    edit(engine, second, {"status": "resolved"}, NOW + 2000)
    contact = followup_contact(engine, second)
    assert (contact.status, contact.attempts) == ("pending", 0)
    with pytest.raises(TicketRefused):
        edit(engine, second, {"status": "closed"}, NOW + 2100)
    assert edit(engine, first, {"status": "closed"}, NOW + 2100)["status"] == "closed"


def test_unfounded_needs_a_supervisor_and_a_reason_then_closes_without_followup(
        engine: Engine) -> None:
    tid = complaint(engine, "L1", "13800001111", NOW)
    with pytest.raises(InvalidInput):  # an agent cannot give a verdict
        tickets.validate({"verdict": "unfounded"}, tickets.AGENT_FIELDS)
    with pytest.raises(TicketRefused, match="reason"):
        edit(engine, tid, {"verdict": "unfounded"}, NOW + 60)
    t = tickets.update_ticket(
        engine, tid, tickets.validate({"verdict": "unfounded", "verdict_reason": " 来电人\x1b辱骂 "},
                                      tickets.SUPERVISOR_FIELDS),
        NOW + 120, rules=tickets.tr.TicketRules(), deadline=deadline, by="lead")
    assert (t["verdict"], t["verdict_reason"], t["verdict_by"], t["verdict_at"]) == (
        "unfounded", "来电人辱骂", "lead", NOW + 120)
    assert edit(engine, tid, {"status": "closed"}, NOW + 180)["status"] == "closed"
    with pytest.raises(TicketRefused, match="final"):
        edit(engine, tid, {"verdict": "confirmed"}, NOW + 240)
    assert ledger_rows(engine) == []  # an unfounded complaint costs nothing


def test_confirmed_then_unfounded_is_reversed_and_the_subject_is_fixed(engine: Engine) -> None:
    tid = complaint(engine, "L1", "13800001111", NOW)
    edit(engine, tid, {"verdict": "confirmed"}, NOW + 60)
    assert ledger_rows(engine) == [(BOB, -10, "complaint", tid, None)]
    edit(engine, tid, {"verdict": "confirmed"}, NOW + 61)  # the same verdict again: nothing
    with pytest.raises(TicketRefused, match="fixed"):
        edit(engine, tid, {"about_agent": ALICE.interface}, NOW + 90)
    with pytest.raises(TicketRefused, match="withdrawn"):
        edit(engine, tid, {"verdict": ""}, NOW + 90)
    edit(engine, tid, {"verdict": "unfounded", "verdict_reason": "录音证明坐席无过错"}, NOW + 120)
    rows = ledger_rows(engine)
    assert rows[1][:3] == (BOB, 10, "reversal") and rows[1][4] is not None
    assert sum(r[1] for r in rows) == 0


def test_praise_confirmed_scores_its_kind(engine: Engine) -> None:
    tid = open_ticket(engine, "L1", "13800001111", NOW)
    edit(engine, tid, {"category": "表扬", "about_agent": BOB, "praise_kind": "letter"}, NOW)
    edit(engine, tid, {"verdict": "confirmed"}, NOW + 60)
    assert ledger_rows(engine) == [(BOB, 50, "praise_letter", tid, None)]
    other = open_ticket(engine, "L2", "13800002222", NOW)
    with pytest.raises(TicketRefused, match="only complaint"):
        edit(engine, other, {"category": "咨询", "verdict": "confirmed"}, NOW)


def test_hostile_or_unknown_subjects_are_refused(engine: Engine) -> None:
    tid = open_ticket(engine, "L1", "13800001111", NOW)
    for bad in ({"about_agent": "PJSIP/1002&Local/9"}, {"reply_promised_at": float("nan")},
                {"reply_promised_at": 1e300}, {"praise_kind": "fax"},
                {"department": "x" * 101}):
        with pytest.raises(InvalidInput):
            tickets.validate(bad, tickets.AGENT_FIELDS)
    with pytest.raises(InvalidInput, match="no agent"):
        edit(engine, tid, {"about_agent": "PJSIP/9999"}, NOW)
    with pytest.raises(InvalidInput, match="complaint_kind"):
        edit(engine, tid, {"category": "投诉", "complaint_kind": "外星人"}, NOW)
    cleaned = tickets.validate({"department": "维修\u202e部\n", "about_agent": ""},
                               tickets.AGENT_FIELDS)
    assert cleaned == {"department": "维修部", "about_agent": None}


def test_third_confirmed_complaint_in_a_month_flags_the_agent_once(engine: Engine) -> None:
    ids = [complaint(engine, f"L{i}", f"1380000111{i}", NOW + i * 3600) for i in range(4)]
    later = NOW + 86400
    edit(engine, ids[0], {"verdict": "confirmed"}, later)
    edit(engine, ids[1], {"verdict": "confirmed"}, later)
    edit(engine, ids[3], {"verdict": "unfounded", "verdict_reason": "无理"}, later)
    assert complaints.check_flags(engine, later, TZ, 3) == []
    edit(engine, ids[2], {"verdict": "confirmed"}, later + 60)
    raised = complaints.check_flags(engine, later + 60, TZ, 3)
    assert [(t.kind, t.change, t.ref) for t in raised] == [
        (FLAG_KIND, AlertChange.RAISED, f"agent:{BOB}:2026-11")]
    assert "Bob" in raised[0].message and "3" in raised[0].message
    assert complaints.check_flags(engine, later + 120, TZ, 3) == []  # once
    # Next month, the November flag is still found (and not raised again).
    assert complaints.check_flags(engine, NOW + 20 * 86400, TZ, 3) == []

    month = Period(datetime(2026, 11, 1, tzinfo=TZ).timestamp(),
                   datetime(2026, 12, 1, tzinfo=TZ).timestamp())
    assert complaints.confirmed_per_agent(engine, month.start, month.end) == {BOB: 3}
    with engine.begin() as conn:  # Bob worked in November: the agents report shows him
        conn.execute(insert(sm.StatAgentInterval).values(
            start=NOW - NOW % 900, interface=BOB, name="Bob", answered=4, missed_rings=0,
            violations=0, talk_s=600.0, wrapup_s=60.0, paused_s=0.0, logged_in_s=3600.0,
            available_s=2000.0))
    [row] = reports.agent_report(engine, [month], agent=None, iso=str, with_interval=False)
    assert (row["interface"], row["complaints"], row["points"]) == (BOB, 3, -30)
    by_agent = complaints.complaints_by_agent(engine, month.start, month.end, TZ, 3)
    assert by_agent == [{"month": "2026-11", "agent": "Bob", "interface": BOB, "complaints": 4,
                         "confirmed": 3, "unfounded": 1, "flagged": True}]


def test_complaint_table_by_month_kind_and_department(engine: Engine) -> None:
    complaint(engine, "L1", "13800001111", NOW)
    complaint(engine, "L2", "13800001112", NOW + 60)
    complaint(engine, "L3", "13800001113", NOW + 120, department="维修部", complaint_kind="处理时效")
    december = datetime(2026, 12, 1, 0, 30, tzinfo=TZ).timestamp()  # 16:30 UTC on Nov 30
    tid = complaint(engine, "L4", "13800001114", december)
    edit(engine, tid, {"verdict": "confirmed"}, december + 60)
    start = datetime(2026, 11, 1, tzinfo=TZ).timestamp()
    rows = complaints.complaint_table(engine, start, start + 70 * 86400, TZ)
    assert rows == [
        {"month": "2026-11", "category": "处理时效", "department": "维修部", "complaints": 1,
         "confirmed": 0, "unfounded": 0, "pending": 1, "closed": 0},
        {"month": "2026-11", "category": "服务态度", "department": "客服部", "complaints": 2,
         "confirmed": 0, "unfounded": 0, "pending": 2, "closed": 0},
        {"month": "2026-12", "category": "服务态度", "department": "客服部", "complaints": 1,
         "confirmed": 1, "unfounded": 0, "pending": 0, "closed": 0},
    ]
