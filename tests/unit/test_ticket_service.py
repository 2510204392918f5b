"""Tickets and users on SQLite and PostgreSQL: the workflow clocks an edit starts,
the overdue check's alerts (once per late duty, cleared when done), and users
with Argon2 passwords and sessions."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from callcenter.alerts import service as alerts
from callcenter.domain import outcomes as oc
from callcenter.domain import ticket_rules as tr
from callcenter.domain.alerts import AlertChange
from callcenter.domain.calendar import WorkCalendar, deadline_for
from callcenter.errors import InvalidInput, NotFound, UserError
from callcenter.store import db
from callcenter.store import models as m
from callcenter.store.apply import Applier
from callcenter.tickets import service as tickets
from callcenter.users import service as users

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ).timestamp()  # a Wednesday
RULES = tr.TicketRules()
ALICE = oc.AgentRef("PJSIP/1001", "Alice")


def deadline(rule: str, start: float) -> float:
    return deadline_for(rule, start, TZ, CAL)


def open_ticket(engine: Engine, linkedid: str, number: str, at: float,
                agent: oc.AgentRef = ALICE) -> int:
    """A ticket as the store writer makes it: from the tracker's TicketOpened."""
    opened = oc.TicketOpened(linkedid, linkedid + ".1", "sales", number, agent, hold_s=5.0,
                             ring_s=4.0, late_answer=False, at=at)
    with engine.begin() as conn:
        Applier(7 * 86400.0).apply_batch(conn, [opened])
        ticket_id: int = conn.execute(select(m.Ticket.id).where(m.Ticket.linkedid == linkedid)
                                      ).scalar_one()
    return ticket_id


def edit(engine: Engine, ticket_id: int, changes: dict[str, object], now: float) -> dict[str, object]:
    clean = tickets.validate(changes, tickets.SUPERVISOR_FIELDS)
    return tickets.update_ticket(engine, ticket_id, clean, now, rules=RULES, deadline=deadline)


def alert_rows(engine: Engine) -> list[dict[str, object]]:
    return sorted(alerts.list_alerts(engine, open_only=False), key=lambda a: a["id"])


@pytest.fixture
def engine(db_url: str) -> Engine:
    return db.engine_for(db_url)


# -- tickets ----------------------------------------------------------------------------

def test_ticket_from_the_writer_and_its_edits(engine: Engine) -> None:
    tid = open_ticket(engine, "L1", "+86 138 0000 1111", NOW)
    ticket = tickets.get(engine, tid)
    assert ticket["caller_phone"] == "13800001111" and ticket["status"] == "open"
    assert ticket["owner_interface"] == ALICE.interface and ticket["callback_due_at"] is None
    updated = edit(engine, tid, {"category": "咨询", "content": "空调不制冷", "customer_name": "张三",
                                 "priority": "high"}, NOW + 60)
    assert (updated["category"], updated["content"], updated["customer_name"], updated["priority"]) \
        == ("咨询", "空调不制冷", "张三", "high")
    assert updated["updated_at"] == NOW + 60 and updated["callback_due_at"] is None
    assert tickets.by_linkedid(engine, "L1") == updated
    with pytest.raises(NotFound):
        tickets.get(engine, tid + 100)
    with pytest.raises(InvalidInput):
        tickets.validate({"category": "闲聊"}, tickets.SUPERVISOR_FIELDS)
    with pytest.raises(InvalidInput):
        tickets.validate({"rating": "satisfied"}, tickets.AGENT_FIELDS)


def test_edits_start_the_clocks(engine: Engine) -> None:
    tid = open_ticket(engine, "L1", "13800001111", NOW)
    t = edit(engine, tid, {"category": "投诉"}, NOW + 60)
    assert t["callback_due_at"] == deadline("1wd", NOW)
    t = edit(engine, tid, {"status": "dispatched", "dispatched_to": "维修部"}, NOW + 120)
    assert t["dispatched_at"] == NOW + 120
    t = edit(engine, tid, {"rating": "unsatisfied"}, NOW + 300)
    assert t["rated_at"] == NOW + 300 and t["review_due_at"] == NOW + 300 + RULES.review_s
    t = edit(engine, tid, {"lead_called": True, "reviewed": True}, NOW + 400)
    assert t["lead_called_at"] == NOW + 400 and t["reviewed_at"] == NOW + 400
    t = edit(engine, tid, {"lead_called": True}, NOW + 500)
    assert t["lead_called_at"] == NOW + 400  # the first time stands


def test_history_is_earlier_tickets_of_the_same_number(engine: Engine) -> None:
    first = open_ticket(engine, "L1", "13800001111", NOW)
    open_ticket(engine, "L2", "13900002222", NOW + 10)
    second = open_ticket(engine, "L3", "+8613800001111", NOW + 20)
    current = open_ticket(engine, "L4", "13800001111", NOW + 30)
    earlier = tickets.history(engine, "138 0000 1111", before_linkedid="L4")
    assert [t["id"] for t in earlier] == [second, first]
    assert current not in [t["id"] for t in earlier]


def test_search_by_owner_phone_and_text(engine: Engine) -> None:
    bob = oc.AgentRef("PJSIP/1002", "Bob")
    mine = open_ticket(engine, "L1", "13800001111", NOW)
    theirs = open_ticket(engine, "L2", "13800001111", NOW + 10, bob)
    edit(engine, theirs, {"content": "热水器漏水"}, NOW + 20)
    found = tickets.search(engine, tickets.TicketQuery(owner_interface=ALICE.interface))
    assert [t["id"] for t in found] == [mine]
    by_phone = tickets.search(engine, tickets.TicketQuery(phone="+86 138-0000-1111"))
    assert [t["id"] for t in by_phone] == [theirs, mine]  # newest first
    assert [t["id"] for t in tickets.search(engine, tickets.TicketQuery(text="漏水"))] == [theirs]


def test_dispatched_not_accepted_raises_supervision_once_and_clears(engine: Engine) -> None:
    tid = open_ticket(engine, "L1", "13800001111", NOW)
    edit(engine, tid, {"status": "dispatched"}, NOW)
    assert tickets.check_overdue(engine, RULES, NOW + RULES.dispatch_accept_s - 1) == []
    raised = tickets.check_overdue(engine, RULES, NOW + RULES.dispatch_accept_s)
    assert [(t.kind, t.change, t.ref, t.level) for t in raised] == [
        (tr.SUPERVISION, AlertChange.RAISED, f"ticket:{tid}", "critical")]
    for later in (1, 60, 3600):  # repeated checks: still one alert
        assert tickets.check_overdue(engine, RULES, NOW + RULES.dispatch_accept_s + later) == []
    assert len(alert_rows(engine)) == 1
    edit(engine, tid, {"status": "accepted"}, NOW + 4000)
    cleared = tickets.check_overdue(engine, RULES, NOW + 4000)
    assert [(t.alert_id, t.change) for t in cleared] == [(raised[0].alert_id, AlertChange.CLEARED)]
    assert tickets.check_overdue(engine, RULES, NOW + 5000) == []
    rows = alert_rows(engine)
    assert len(rows) == 1 and rows[0]["cleared_at"] == NOW + 4000


def test_complaint_callback_overdue_until_the_lead_calls(engine: Engine) -> None:
    tid = open_ticket(engine, "L1", "13800001111", NOW)
    due = edit(engine, tid, {"category": "投诉"}, NOW + 30)["callback_due_at"]
    assert isinstance(due, float)
    assert tickets.check_overdue(engine, RULES, due - 1) == []
    raised = tickets.check_overdue(engine, RULES, due + 1)
    # The investigation (1 working day too, the complaints' setting) is late as well.
    assert sorted((t.kind, t.ref, t.level) for t in raised) == [
        (tr.COMPLAINT_OVERDUE, f"ticket:{tid}", "warning"),
        (tr.INVESTIGATION_OVERDUE, f"ticket:{tid}", "warning")]
    assert tickets.check_overdue(engine, RULES, due + 2) == []
    edit(engine, tid, {"lead_called": True}, due + 100)
    cleared = tickets.check_overdue(engine, RULES, due + 100)
    assert [(t.kind, t.change) for t in cleared] == [(tr.COMPLAINT_OVERDUE, AlertChange.CLEARED)]
    assert [a["kind"] for a in alerts.list_alerts(engine, open_only=True)] == [
        tr.INVESTIGATION_OVERDUE]


def test_complaint_investigation_overdue_until_resolved(engine: Engine) -> None:
    tid = open_ticket(engine, "L1", "13800001111", NOW)
    t = edit(engine, tid, {"category": "投诉", "lead_called": True}, NOW + 30)
    due = t["investigation_due_at"]
    assert isinstance(due, float) and due == deadline("1wd", NOW)
    assert tickets.check_overdue(engine, RULES, due - 1) == []
    raised = tickets.check_overdue(engine, RULES, due + 1)
    assert [(t.kind, t.ref, t.level) for t in raised] == [
        (tr.INVESTIGATION_OVERDUE, f"ticket:{tid}", "warning")]
    assert "投诉调查超期" in raised[0].message and "1 个工作日内" in raised[0].message
    assert tickets.check_overdue(engine, RULES, due + 60) == []  # raised once
    edit(engine, tid, {"status": "resolved", "resolution": "已处理"}, due + 100)
    cleared = tickets.check_overdue(engine, RULES, due + 100)
    assert [(t.kind, t.change) for t in cleared] == [
        (tr.INVESTIGATION_OVERDUE, AlertChange.CLEARED)]
    assert alerts.list_alerts(engine, open_only=True) == []
    # Resolved in time: never raised.
    other = open_ticket(engine, "L2", "13800002222", NOW)
    edit(engine, other, {"category": "投诉", "lead_called": True}, NOW + 30)
    edit(engine, other, {"status": "resolved"}, NOW + 600)
    assert tickets.check_overdue(engine, RULES, due + 3600) == []


def test_unsatisfied_rating_review_overdue_until_reviewed(engine: Engine) -> None:
    tid = open_ticket(engine, "L1", "13800001111", NOW)
    due = edit(engine, tid, {"status": "resolved", "rating": "unsatisfied"}, NOW + 100)[
        "review_due_at"]
    assert due == NOW + 100 + RULES.review_s
    raised = tickets.check_overdue(engine, RULES, NOW + 100 + RULES.review_s)
    assert [(t.kind, t.ref) for t in raised] == [(tr.REVIEW_OVERDUE, f"ticket:{tid}")]
    assert tickets.check_overdue(engine, RULES, NOW + 100 + 2 * RULES.review_s) == []
    edit(engine, tid, {"reviewed": True}, NOW + 100 + 3 * RULES.review_s)
    cleared = tickets.check_overdue(engine, RULES, NOW + 100 + 3 * RULES.review_s)
    assert [(t.kind, t.change) for t in cleared] == [(tr.REVIEW_OVERDUE, AlertChange.CLEARED)]


def test_each_late_duty_of_each_ticket_has_its_own_alert(engine: Engine) -> None:
    one = open_ticket(engine, "L1", "13800001111", NOW)
    two = open_ticket(engine, "L2", "13900002222", NOW)
    for tid in (one, two):
        edit(engine, tid, {"category": "投诉", "status": "dispatched", "rating": "unsatisfied"}, NOW)
    much_later = NOW + 10 * 86400
    raised = tickets.check_overdue(engine, RULES, much_later)
    assert sorted((t.kind, t.ref) for t in raised) == sorted(
        (kind, f"ticket:{tid}") for kind in tr.OVERDUE_KINDS for tid in (one, two))
    assert tickets.check_overdue(engine, RULES, much_later + 60) == []
    # one duty done on one ticket clears exactly that alert
    edit(engine, one, {"status": "accepted"}, much_later + 120)
    cleared = tickets.check_overdue(engine, RULES, much_later + 120)
    assert [(t.kind, t.ref, t.change) for t in cleared] == [
        (tr.SUPERVISION, f"ticket:{one}", AlertChange.CLEARED)]
    assert len(alerts.list_alerts(engine, open_only=True)) == 2 * len(tr.OVERDUE_KINDS) - 1
    # the cleared duty is not raised again, even if it fits the rule once more
    edit(engine, one, {"status": "dispatched"}, much_later + 200)
    assert tickets.check_overdue(engine, RULES, much_later + 200 + RULES.dispatch_accept_s) == []


def test_nothing_pending_nothing_raised(engine: Engine) -> None:
    tid = open_ticket(engine, "L1", "13800001111", NOW)
    edit(engine, tid, {"category": "咨询", "status": "resolved", "rating": "satisfied"}, NOW)
    assert tickets.check_overdue(engine, RULES, NOW + 30 * 86400) == []
    assert alert_rows(engine) == []


# -- users ------------------------------------------------------------------------------

def test_add_and_authenticate(engine: Engine) -> None:
    sup = users.add_user(engine, "lead", "correct horse", "supervisor", NOW, display_name="班长")
    agent = users.add_user(engine, "alice", "alice-pass-1", "agent", NOW,
                           member_interface="PJSIP/1001")
    assert sup.is_supervisor and sup.display_name == "班长" and sup.member_interface is None
    assert not agent.is_supervisor and agent.display_name == "alice"
    assert users.authenticate(engine, "lead", "correct horse") == sup
    assert users.authenticate(engine, "alice", "alice-pass-1") == agent
    assert users.authenticate(engine, "alice", "wrong-password") is None
    assert users.authenticate(engine, "nobody", "alice-pass-1") is None
    with engine.connect() as conn:
        hashes = conn.execute(select(m.User.password_hash)).scalars().all()
    assert len(hashes) == 2 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any("correct horse" in h or "alice-pass-1" in h for h in hashes)
    assert [u["username"] for u in users.list_users(engine)] == ["alice", "lead"]


def test_invalid_users_are_refused(engine: Engine) -> None:
    users.add_user(engine, "alice", "alice-pass-1", "agent", NOW, member_interface="PJSIP/1001")
    with pytest.raises(UserError, match="exists"):
        users.add_user(engine, "alice", "another-pass", "agent", NOW, member_interface="PJSIP/1009")
    with pytest.raises(UserError, match="exists"):  # one person per queue member
        users.add_user(engine, "alice2", "another-pass", "agent", NOW, member_interface="PJSIP/1001")
    with pytest.raises(UserError, match="8 characters"):
        users.add_user(engine, "bob", "short", "agent", NOW, member_interface="PJSIP/1002")
    with pytest.raises(UserError):
        users.add_user(engine, "carol", "long-enough", "agent", NOW)  # an agent needs an interface
    with pytest.raises(UserError):
        users.add_user(engine, "dave", "long-enough", "admin", NOW)
    with pytest.raises(UserError):
        users.add_user(engine, "no spaces", "long-enough", "supervisor", NOW)
    with pytest.raises(UserError, match="8 characters"):
        users.set_password(engine, "alice", "short")
    with pytest.raises(UserError):
        users.set_password(engine, "nobody", "long-enough")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.User)).scalar_one() == 1


def test_sessions_password_change_and_disable(engine: Engine) -> None:
    alice = users.add_user(engine, "alice", "alice-pass-1", "agent", NOW, member_interface="PJSIP/1001")
    token, session = users.open_session(engine, alice, NOW, 3600.0)
    found = users.find_session(engine, token, NOW + 10)
    assert found is not None and found.user == alice and found.csrf_token == session.csrf_token
    assert users.find_session(engine, token, NOW + 3601) is None  # expired
    assert users.find_session(engine, "not-a-token", NOW) is None
    with engine.connect() as conn:  # only the token's digest is stored
        stored = conn.execute(select(m.WebSession.token_hash)).scalars().all()
    assert token not in stored and len(stored) == 1

    users.set_password(engine, "alice", "new-pass-2024")
    assert users.find_session(engine, token, NOW + 10) is None  # old sessions are gone
    assert users.authenticate(engine, "alice", "alice-pass-1") is None
    assert users.authenticate(engine, "alice", "new-pass-2024") == alice

    token2, _ = users.open_session(engine, alice, NOW + 20, 3600.0)
    users.close_session(engine, token2)
    assert users.find_session(engine, token2, NOW + 30) is None

    token3, _ = users.open_session(engine, alice, NOW + 40, 3600.0)
    users.set_disabled(engine, "alice", True)
    assert users.find_session(engine, token3, NOW + 50) is None
    assert users.authenticate(engine, "alice", "new-pass-2024") is None
    assert users.list_users(engine)[0]["disabled"] is True
    users.set_disabled(engine, "alice", False)
    assert users.authenticate(engine, "alice", "new-pass-2024") == alice
    with pytest.raises(UserError):
        users.set_disabled(engine, "nobody", True)
