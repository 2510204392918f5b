"""The caller's side without Asterisk: the hotline's hours and the after-hours promise
(pure), the survey's keys, their settings, the caller's rating on the ticket and the
after-hours requests on SQLite and PostgreSQL, and the ticket route refusing to
overwrite what the caller said."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from callcenter.agi import service as agi_service
from callcenter.agi.scripts import AfterHours
from callcenter.agi.server import Call
from callcenter.agi.settings import HotlineSettings
from callcenter.callbacks import dnc
from callcenter.callbacks import service as callbacks
from callcenter.config import load
from callcenter.domain.calendar import DailyHours, WorkCalendar
from callcenter.domain.clock import ManualClock
from callcenter.domain.hotline import HotlineHours, Promise
from callcenter.domain.phone import PhoneNumber
from callcenter.domain.survey import SurveyRules
from callcenter.errors import ConfigError, RatedByCaller
from callcenter.store import db
from callcenter.store import models as m
from callcenter.tickets import service as tickets
from tests.unit.test_ticket_service import RULES, deadline, edit, open_ticket
from tests.unit.test_web_api import Web, error_of, web

TZ = ZoneInfo("Asia/Shanghai")
__all__ = ["web"]  # the fixture, shared with test_web_api


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> float:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ).timestamp()


def local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, TZ)


# -- the hotline's hours (pure) --------------------------------------------------------------

CENTER = HotlineHours(WorkCalendar(holidays=frozenset({date(2026, 11, 20)}),
                                   makeup_workdays=frozenset({date(2026, 11, 22)})))


def test_the_hotline_keeps_the_centers_working_calendar() -> None:
    assert CENTER.is_open(at(18, 10), TZ)  # Wednesday morning (winter hours 9:00-17:30)
    assert not CENTER.is_open(at(18, 12, 30), TZ)  # lunch 12:00-13:00
    assert CENTER.is_open(at(18, 17, 29), TZ) and not CENTER.is_open(at(18, 17, 30), TZ)
    assert not CENTER.is_open(at(20, 10), TZ)  # Friday, a holiday
    assert not CENTER.is_open(at(21, 10), TZ)  # Saturday
    assert CENTER.is_open(at(22, 10), TZ)  # Sunday, a make-up working day (调休)


def test_summer_hours_and_own_hours_and_around_the_clock() -> None:
    june = at(18, 17, 45, month=6)  # a Thursday in summer: open until 18:00
    assert CENTER.is_open(june, TZ)
    own = HotlineHours(WorkCalendar(), daily=DailyHours(time(8), time(20)))
    assert own.is_open(at(18, 12, 30), TZ) and own.is_open(at(18, 19, 59), TZ)
    assert not own.is_open(at(21, 10), TZ)  # still only on working days
    always = HotlineHours(WorkCalendar(), always_open=True)
    assert all(always.is_open(at(21, h), TZ) for h in range(24))


def test_the_promise_is_the_next_opening_and_due_after_an_hour_of_it() -> None:
    evening = CENTER.promise(at(18, 20), TZ, 3600)  # Wednesday evening
    assert evening == Promise(at(19, 9), at(19, 10))
    before_holiday = CENTER.promise(at(19, 18), TZ, 3600)  # Thursday; Friday is a holiday
    assert local(before_holiday.call_back_from) == datetime(2026, 11, 22, 9, tzinfo=TZ)  # 调休
    lunch = CENTER.promise(at(18, 12, 30), TZ, 3600)  # during lunch: this afternoon
    assert lunch == Promise(at(18, 13), at(18, 14))
    # Due counts open time only: three and a half hours from 9:00 skip the lunch hour.
    long = CENTER.promise(at(18, 20), TZ, 3.5 * 3600)
    assert long is not None and local(long.due_at) == datetime(2026, 11, 19, 13, 30, tzinfo=TZ)
    closed_forever = HotlineHours(WorkCalendar(working_weekdays=frozenset()))
    assert closed_forever.promise(at(18, 20), TZ, 3600) is None


# -- the survey's keys ------------------------------------------------------------------------

def test_survey_keys_mean_ratings_and_nothing_else_does() -> None:
    rules = SurveyRules()
    assert [rules.rating_for(k) for k in "123"] == ["satisfied", "ordinary", "unsatisfied"]
    assert {rules.rating_for(k) for k in ("", "4", "0", "*", "#", "11", "١", "\x00")} == {None}
    assert rules.escape_keys == "123"
    assert [rules.points_for(r) for r in ("satisfied", "ordinary", "unsatisfied")] == [0, 0, -3]
    with pytest.raises(ValueError):
        SurveyRules(keys={"1": "great"})
    with pytest.raises(ValueError):
        SurveyRules(keys={"x": "satisfied"})


@pytest.mark.parametrize(("var", "value", "key"), [
    ("CALLCENTER__SURVEY__PROMPT", "vm-press,a&b", "survey.prompt"),
    ("CALLCENTER__SURVEY__THANKS_PROMPT", "../../etc/passwd", "survey.thanks_prompt"),
    ("CALLCENTER__HOTLINE__PROMISE_PROMPT", "vm nobody", "hotline.promise_prompt"),
    ("CALLCENTER__HOTLINE__HOURS", "20:00-08:00", "hotline.hours"),
    ("CALLCENTER__AGI__PORT", "70000", "agi.port"),
    ("CALLCENTER__AGI__MAX_SESSIONS", "0", "agi.max_sessions"),
])
def test_settings_refuse_what_would_break_the_dialplan(var: str, value: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load(None, environ={var: value})


def test_survey_keys_in_the_file_are_checked(tmp_path: Any) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[survey]\nkeys = { "1" = "great" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"survey\.keys"):
        load(bad, environ={})
    bad.write_text('[survey]\nkeys = { "12" = "satisfied" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"survey\.keys"):
        load(bad, environ={})


# -- the caller's rating on the ticket (SQLite and PostgreSQL) -----------------------------------

@pytest.fixture
def engine(db_url: str) -> Engine:
    return db.engine_for(db_url)


def rate(engine: Engine, linkedid: str, rating: str, now: float) -> tickets.CallerRating | None:
    return tickets.rate_by_caller(engine, linkedid, rating, now,
                                  points=SurveyRules().points_for(rating), rules=RULES,
                                  deadline=deadline)


def test_the_callers_rating_is_stored_once_scored_and_starts_the_review(engine: Engine) -> None:
    now = at(18, 10)
    tid = open_ticket(engine, "S1", "13800001111", now - 300)
    assert rate(engine, "nobody-answered", "unsatisfied", now) is None
    first = rate(engine, "S1", "unsatisfied", now)
    assert first is not None and first.stored and first.points == -3
    assert first.review_due_at == now + RULES.review_s
    again = rate(engine, "S1", "satisfied", now + 5)  # a second survey of the same call
    assert again is not None and not again.stored and again.rating == "unsatisfied"
    ticket = tickets.get(engine, tid)
    assert (ticket["rating"], ticket["rating_source"], ticket["rated_at"]) == (
        "unsatisfied", "ivr", now)
    with engine.connect() as conn:
        ledger = conn.execute(select(m.PointsEntry.agent_interface, m.PointsEntry.points,
                                     m.PointsEntry.reason, m.PointsEntry.ticket_id)).all()
    assert [tuple(e) for e in ledger] == [("PJSIP/1001", -3, "rating_unsatisfied", tid)]
    # Nobody overwrites it from the desk; other fields stay editable.
    with pytest.raises(RatedByCaller):
        edit(engine, tid, {"rating": "satisfied"}, now + 60)
    assert edit(engine, tid, {"content": "复核"}, now + 60)["rating"] == "unsatisfied"
    row = next(r for r in tickets.table(engine, TZ) if r["id"] == tid)
    assert (row["rating"], row["rating_source"], row["recording"]) == ("unsatisfied", "ivr", None)
    assert row["review_due_at"] == local(now + 7200).isoformat()


def test_the_caller_replaces_a_rating_set_on_the_desk(engine: Engine) -> None:
    now = at(18, 10)
    tid = open_ticket(engine, "S2", "13800002222", now - 300)
    assert edit(engine, tid, {"rating": "satisfied"}, now)["rating_source"] == "staff"
    stored = rate(engine, "S2", "ordinary", now + 30)
    assert stored is not None and stored.stored and stored.points == 0
    assert tickets.get(engine, tid)["rating_source"] == "ivr"
    with engine.connect() as conn:  # 0 points: nothing on the ledger
        assert conn.execute(select(m.PointsEntry)).all() == []


# -- after-hours requests (SQLite and PostgreSQL) ---------------------------------------------

PROMISE = Promise(at(19, 9), at(19, 10))
NUMBER = PhoneNumber.parse("13900001234")


def test_one_after_hours_request_per_number_while_one_is_open(engine: Engine) -> None:
    now = at(18, 20)
    campaign = agi_service.after_hours_campaign(engine, now)
    assert agi_service.after_hours_campaign(engine, now) == campaign  # a standing campaign
    request = agi_service.request_callback
    assert request(engine, campaign, NUMBER, now, PROMISE) == "added"
    assert request(engine, campaign, NUMBER, now + 60, PROMISE) == "already_open"
    with engine.connect() as conn:
        contact = conn.execute(select(m.Contact)).one()
    assert (contact.deadline, contact.next_due_at, contact.status) == (
        PROMISE.due_at, PROMISE.call_back_from, "pending")
    # Called back and done: the next evening's call is a new request.
    with engine.begin() as conn:
        conn.execute(m.Contact.__table__.update().values(status="done", attempts=1,
                                                         last_outcome="success"))
    later = Promise(at(20, 9), at(20, 10))
    assert request(engine, campaign, NUMBER, at(19, 20), later) == "reopened"
    with engine.connect() as conn:
        contact = conn.execute(select(m.Contact)).one()
    assert (contact.status, contact.attempts, contact.deadline) == ("pending", 0, later.due_at)
    # The caller got through first: the callback is no longer needed.
    assert callbacks.cancel_abandoned(engine, "+86 139 0000 1234") == 1
    # Do-not-call numbers are never put on it.
    dnc.dnc_add(engine, PhoneNumber.parse("13900005678"), "refused", now)
    assert request(engine, campaign, PhoneNumber.parse("13900005678"), now,
                   PROMISE) == "do_not_call"


class FakeAgi:
    """Records what a script sets on the channel."""

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.order: list[str] = []

    def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value
        self.order.append(name)


def test_after_hours_script_answers_open_or_closed_with_the_promise() -> None:
    requests: list[tuple[str, Promise]] = []

    def request(number: PhoneNumber, _now: float, promise: Promise) -> str:
        requests.append((number.digits, promise))
        return "added"

    clock = ManualClock(at(18, 20))
    script = AfterHours(CENTER, HotlineSettings(), tz=TZ, clock=clock, request=request)
    agi = FakeAgi()
    assert script(Call(agi, "after_hours", "1.1", "1.1", NUMBER)) == "closed"
    assert agi.variables == {"CC_CALLBACK": "yes", "CC_CALLBACK_AT": str(int(at(19, 9))),
                             "CC_TZ": "Asia/Shanghai", "CC_PROMISE": "vm-nobodyavail",
                             "CC_HOURS": "closed"}
    assert agi.order[-1] == "CC_HOURS"  # set last: the dialplan jumps on it
    assert requests == [("13900001234", Promise(at(19, 9), at(19, 10)))]
    unknown = FakeAgi()  # no caller ID that is a number: no promise we could keep
    assert script(Call(unknown, "after_hours", "1.2", "1.2", None)) == "closed"
    assert unknown.variables["CC_CALLBACK"] == "no"
    assert unknown.variables["CC_NO_CALLBACK"] == "vm-nobodyavail&please-try-call-later"
    clock.set(at(19, 10))
    opened = FakeAgi()
    assert script(Call(opened, "after_hours", "1.3", "1.3", NUMBER)) == "open"
    # Open: no recording asked for here (the recordings feature names the file).
    assert opened.variables == {"CC_RECORDING": "", "CC_HOURS": "open"} and len(requests) == 1


# -- the ticket route -----------------------------------------------------------------------------

async def test_nobody_overwrites_the_callers_rating_on_the_desk(web: Web) -> None:
    lead = await web.signed_in("lead")
    tid = web.ticket["L-a1"]
    stored = tickets.rate_by_caller(web.engine, "L-a1", "unsatisfied", web.clock.now(),
                                    points=-3, rules=RULES, deadline=deadline)
    assert stored is not None and stored.stored
    r = await lead.patch(f"/api/tickets/{tid}", {"rating": "satisfied"})
    assert r.status_code == 409 and error_of(r) == "web.rated_by_caller"
    r = await lead.patch(f"/api/tickets/{tid}", {"reviewed": True})  # the review is done
    assert r.status_code == 200 and r.json()["rating"] == "unsatisfied"
    assert r.json()["rating_source"] == "ivr" and r.json()["reviewed_at"] == web.clock.now()
