"""The ticket workflow's clocks, pure: which edit starts which due time, and what
is late at a given moment."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from callcenter.domain import ticket_rules as tr
from callcenter.domain.calendar import WorkCalendar, deadline_for

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
OPENED = datetime(2026, 11, 18, 10, 0, tzinfo=TZ).timestamp()  # a Wednesday
RULES = tr.TicketRules()


def deadline(rule: str, start: float) -> float:
    return deadline_for(rule, start, TZ, CAL)


def ticket(**fields: object) -> tr.TicketClocks:
    base = tr.TicketClocks(id=7, category="", status="open", opened_at=OPENED)
    return replace(base, **fields)


def test_complaint_starts_the_callback_clock_with_the_deadline_given() -> None:
    calls: list[tuple[str, float]] = []

    def recording(rule: str, start: float) -> float:
        calls.append((rule, start))
        return deadline(rule, start)

    before = ticket()
    now = OPENED + 600
    started = tr.clocks_started(before, replace(before, category=tr.COMPLAINT), RULES, recording, now)
    # 1 working day from Wednesday 10:00: end of Thursday, in the center's zone
    thursday_end = datetime(2026, 11, 19, 23, 59, 59, tzinfo=TZ).timestamp()
    assert started == {"callback_due_at": thursday_end}
    assert calls == [("1wd", OPENED)]  # from the call, not from the edit


def test_complaint_on_a_friday_is_due_after_the_weekend() -> None:
    friday = datetime(2026, 11, 20, 16, 0, tzinfo=TZ).timestamp()
    before = ticket(opened_at=friday)
    started = tr.clocks_started(before, replace(before, category=tr.COMPLAINT), RULES, deadline,
                                friday + 60)
    assert started["callback_due_at"] == datetime(2026, 11, 23, 23, 59, 59, tzinfo=TZ).timestamp()


def test_complaint_clock_starts_once() -> None:
    before = ticket(category=tr.COMPLAINT, callback_due_at=OPENED + 50_000)
    after = replace(before, status="resolved")
    assert tr.clocks_started(before, after, RULES, deadline, OPENED + 900) == {}


def test_other_categories_start_no_callback_clock() -> None:
    before = ticket()
    for category in ("咨询", "建议", "表扬", "求助"):
        assert tr.clocks_started(before, replace(before, category=category), RULES, deadline,
                                 OPENED + 1) == {}


def test_dispatch_and_accept_stamp_their_times() -> None:
    before = ticket()
    dispatched = tr.clocks_started(before, replace(before, status="dispatched"), RULES, deadline,
                                   OPENED + 100)
    assert dispatched == {"dispatched_at": OPENED + 100}
    was = ticket(status="dispatched", dispatched_at=OPENED + 100)
    accepted = tr.clocks_started(was, replace(was, status="accepted"), RULES, deadline, OPENED + 400)
    assert accepted == {"accepted_at": OPENED + 400}
    # dispatched again after having been dispatched once: the first time stands
    again = ticket(status="open", dispatched_at=OPENED + 100)
    assert tr.clocks_started(again, replace(again, status="dispatched"), RULES, deadline,
                             OPENED + 900) == {}


def test_unsatisfied_rating_opens_a_review_due_in_review_s() -> None:
    before = ticket(status="resolved")
    now = OPENED + 3600
    started = tr.clocks_started(before, replace(before, rating="unsatisfied"), RULES, deadline, now)
    assert started == {"rated_at": now, "review_due_at": now + RULES.review_s}
    custom = tr.TicketRules(review_s=600.0)
    assert tr.clocks_started(before, replace(before, rating="unsatisfied"), custom, deadline,
                             now)["review_due_at"] == now + 600.0


def test_satisfied_rating_starts_no_review() -> None:
    before = ticket(status="resolved")
    now = OPENED + 3600
    assert tr.clocks_started(before, replace(before, rating="satisfied"), RULES, deadline, now) == {
        "rated_at": now}
    # from unsatisfied to satisfied: the review already due is not restarted either
    rated = ticket(status="resolved", rating="unsatisfied", rated_at=now,
                   review_due_at=now + RULES.review_s)
    later = now + 60
    assert tr.clocks_started(rated, replace(rated, rating="satisfied"), RULES, deadline, later) == {
        "rated_at": later}
    # the same rating again changes nothing
    assert tr.clocks_started(rated, replace(rated), RULES, deadline, later) == {}


def test_dispatched_not_accepted_in_time_needs_supervision() -> None:
    t = ticket(status="dispatched", dispatched_at=OPENED)
    due = OPENED + RULES.dispatch_accept_s
    assert tr.overdue(t, RULES, due - 1) == []
    late = tr.overdue(t, RULES, due)
    assert late == [tr.Overdue(tr.SUPERVISION, 7, due)]
    assert late[0].ref == "ticket:7"
    assert "督办" in late[0].message().zh
    # accepted: nothing to chase
    assert tr.overdue(replace(t, status="accepted", accepted_at=OPENED + 60), RULES, due + 1) == []


def test_complaint_callback_overdue() -> None:
    due = deadline("1wd", OPENED)
    t = ticket(category=tr.COMPLAINT, callback_due_at=due)
    assert tr.overdue(t, RULES, due - 1) == []
    assert tr.overdue(t, RULES, due + 1) == [tr.Overdue(tr.COMPLAINT_OVERDUE, 7, due)]
    assert tr.overdue(replace(t, lead_called_at=due - 10), RULES, due + 1) == []
    # re-categorised: no longer a complaint, nothing to call back
    assert tr.overdue(replace(t, category="咨询"), RULES, due + 1) == []


def test_review_overdue_until_reviewed() -> None:
    rated = OPENED + 3600
    t = ticket(status="resolved", rating="unsatisfied", rated_at=rated,
               review_due_at=rated + RULES.review_s)
    assert tr.overdue(t, RULES, rated + RULES.review_s - 1) == []
    assert tr.overdue(t, RULES, rated + RULES.review_s) == [
        tr.Overdue(tr.REVIEW_OVERDUE, 7, rated + RULES.review_s)]
    assert tr.overdue(replace(t, reviewed_at=rated + 100), RULES, rated + 10 * RULES.review_s) == []


def test_investigation_overdue_until_resolved() -> None:
    due = deadline("1wd", OPENED)
    t = ticket(category=tr.COMPLAINT, investigation_due_at=due)
    assert tr.overdue(t, RULES, due - 1) == []
    late = tr.overdue(t, RULES, due)
    assert late == [tr.Overdue(tr.INVESTIGATION_OVERDUE, 7, due)]
    assert "投诉调查超期" in late[0].message().zh and "1 个工作日内" in late[0].message().zh
    assert tr.overdue(replace(t, status="resolved", resolved_at=due - 5), RULES, due + 1) == []
    assert tr.overdue(replace(t, status="closed"), RULES, due + 1) == []  # unfounded, closed
    assert tr.overdue(replace(t, category="咨询"), RULES, due + 1) == []


def test_several_duties_late_at_once_and_none_when_all_done() -> None:
    due = deadline("1wd", OPENED)
    t = ticket(category=tr.COMPLAINT, status="dispatched", dispatched_at=OPENED,
               callback_due_at=due, rating="unsatisfied", review_due_at=OPENED + 100,
               investigation_due_at=due)
    assert {o.kind for o in tr.overdue(t, RULES, due + 1)} == set(tr.OVERDUE_KINDS)
    done = replace(t, status="closed", accepted_at=OPENED + 10, lead_called_at=OPENED + 20,
                   reviewed_at=OPENED + 30, resolved_at=OPENED + 40)
    assert tr.overdue(done, RULES, due + 86400 * 30) == []
