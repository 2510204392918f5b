"""Keep your place (排队回呼): the pure rules (the estimate spoken to the caller, expiry,
the placeholder's ids) and the requests in the database (one waiting per number,
do-not-call, settling, expiry to the after-hours campaign) on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.agi import service
from callcenter.callbacks import dnc
from callcenter.callbacks import service as callbacks
from callcenter.domain import events as ev
from callcenter.domain import keep_place as kp
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.hotline import Promise
from callcenter.domain.phone import PhoneNumber
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker
from callcenter.domain.wallboard import Wallboard
from callcenter.store import db

TZ = ZoneInfo("Asia/Shanghai")
NOW = 1_795_000_000.0
HOUR = 3600.0


# -- the estimate: 您前面还有N位,预计等待M分钟 -------------------------------------------


@pytest.mark.parametrize(("ahead", "agents", "handle", "wait_s", "minutes"), [
    (0, 1, 240.0, 120.0, 2),  # next in line: half a call on average
    (1, 1, 240.0, 360.0, 6),  # one ahead: their call, then half of the one on now
    (3, 2, 300.0, 450.0, 8),  # four to share between two agents: two rounds
    (0, 4, 30.0, 15.0, 1),  # never "0 minutes"
    (10, 5, 60.0, 150.0, 3),
])
def test_the_estimate_shares_the_callers_ahead_among_the_staffed_agents(
        ahead: int, agents: int, handle: float, wait_s: float, minutes: int) -> None:
    guess = kp.estimate(ahead, agents, handle)
    assert (guess.ahead, guess.wait_s, guess.minutes) == (ahead, wait_s, minutes)


def test_no_staffed_agent_gives_no_figure_and_bad_input_is_refused() -> None:
    assert kp.estimate(5, 0, 240.0) == kp.Estimate(5, None)
    assert kp.Estimate(5, None).minutes is None
    with pytest.raises(ValueError):
        kp.estimate(-1, 1, 240.0)


def test_handle_times_are_the_mean_of_a_bounded_window_plus_wrap_up() -> None:
    times = kp.HandleTimes(window=3, default_s=240.0, wrapup_s=5.0)
    assert times.mean_s("support") == 240.0  # nothing seen yet
    for talk in (100.0, 200.0, float("nan"), -3.0, 300.0, 400.0):  # junk ignored
        times.completed("support", talk)
    assert times.mean_s("support") == 305.0  # the last three: 200, 300, 400 (+5 each)
    assert times.mean_s("complaints") == 240.0


def test_requests_expire_after_the_setting_and_wait_no_longer_than_that() -> None:
    expiry = 4 * HOUR
    assert not kp.is_expired(NOW, NOW + expiry - 1, expiry)
    assert kp.is_expired(NOW, NOW + expiry, expiry)
    assert kp.wait_left_s(NOW, NOW, expiry) == 14_400
    assert kp.wait_left_s(NOW, NOW + 3 * HOUR + 0.5, expiry) == 3599
    assert kp.wait_left_s(NOW, NOW + 5 * HOUR, expiry) == 1  # a queue timeout of 0 is none


def test_placeholder_ids_name_their_request_and_nothing_else_does() -> None:
    queue_half, dial_half = kp.placeholder_ids(42, "0123456789abcdef")
    assert (queue_half, dial_half) == ("kp-42-0123456789abcdef", "kpd-42-0123456789abcdef")
    assert kp.is_virtual(queue_half) and not kp.is_virtual("1795658197.4")
    assert kp.request_of(queue_half) == kp.request_of(dial_half) == 42
    for other in ("1795658197.4", "kp-42", "kp-x-0123456789abcdef", "kp-42-XYZ&Local/1"):
        assert kp.request_of(other) is None


@pytest.mark.parametrize(("text", "position"), [
    ("1", 1), (" 7 ", 7), ("999", 999), ("0", None), ("1000", None), ("-1", None),
    ("", None), ("1;2", None), ("１", None),  # a full-width digit is no position
])
def test_queueposition_is_read_as_a_checked_place(text: str, position: int | None) -> None:
    assert kp.position_from(text) == position


# -- the requests in the database -----------------------------------------------------


def _number(digits: str) -> PhoneNumber:
    return PhoneNumber.parse(digits)


def _request(url: str, digits: str, now: float = NOW) -> tuple[str, int | None]:
    engine = db.engine_for(url)
    campaign = service.keep_place_campaign(engine, now)
    return service.request_keep_place(engine, campaign, _number(digits), now,
                                      joined_at=now - 30, queue="support", position=2,
                                      expires_at=now + 4 * HOUR)


def test_one_waiting_request_per_number(db_url: str) -> None:
    engine = db.engine_for(db_url)
    outcome, first = _request(db_url, "13800138000")
    assert outcome == "added" and first is not None
    assert _request(db_url, "13800138000", NOW + 60) == ("already_open", None)
    assert _request(db_url, "+86 138 0013 8001")[0] == "added"  # another number
    # Answered (an agent took the place): the number may ask again, the same row reused.
    assert service.settle_keep_place(engine, first, "connected", "taken") == "13800138000"
    assert service.settle_keep_place(engine, first, "expired", "late") is None  # not twice
    assert _request(db_url, "13800138000", NOW + 120) == ("reopened", first)
    [row] = [c for c in callbacks.contacts(engine, TZ, None) if c["id"] == first]
    assert (row["kind"], row["status"], row["phone"]) == ("keep_place", "waiting", "13800138000")
    assert row["joined_at"] is not None and row["due_by"] is not None
    assert service.keep_place_campaign(engine, NOW) == service.keep_place_campaign(engine, NOW + 1)


def test_do_not_call_numbers_are_refused(db_url: str) -> None:
    engine = db.engine_for(db_url)
    dnc.dnc_add(engine, _number("13900139000"), "refused", NOW)
    assert _request(db_url, "13900139000") == ("do_not_call", None)
    assert service.on_do_not_call(engine, _number("13900139000"))
    assert not service.on_do_not_call(engine, _number("13900139001"))


def test_expired_requests_move_to_the_after_hours_campaign(db_url: str) -> None:
    engine = db.engine_for(db_url)
    _, waiting = _request(db_url, "13700137000")
    _, taken = _request(db_url, "13700137001")
    assert waiting is not None and taken is not None
    service.settle_keep_place(engine, taken, "connected", "taken")
    campaign = service.keep_place_campaign(engine, NOW)
    assert service.overdue_keep_place(engine, campaign, NOW + 4 * HOUR - 1) == []
    assert service.overdue_keep_place(engine, campaign, NOW + 4 * HOUR) == [waiting]
    # What the shell does with it (Requests.settle): expired, then owed a callback.
    phone = service.settle_keep_place(engine, waiting, "expired", "expired after 4 h")
    after_hours = service.after_hours_campaign(engine, NOW)
    owed = service.request_callback(engine, after_hours, _number(str(phone)), NOW + 4 * HOUR,
                                    Promise(NOW + 4 * HOUR, NOW + 5 * HOUR))
    assert owed == "added"
    kinds = {(c["kind"], c["status"]) for c in callbacks.contacts(engine, TZ, None)
             if c["phone"] == "13700137000"}
    assert kinds == {("keep_place", "expired"), ("after_hours", "pending")}
    only_after_hours = callbacks.contacts(engine, TZ, after_hours)
    assert [c["phone"] for c in only_after_hours] == ["13700137000"]


# -- virtual waiters in the live picture (what the wallboard and surge monitor read) ------


def test_a_placeholder_counts_as_waiting_and_is_shown_as_a_virtual_waiter() -> None:
    clock = ManualClock(NOW)
    tracker = Tracker(RingRules(), clock)
    wallboard = Wallboard(TZ, clock, 60.0)
    placeholder, _ = kp.placeholder_ids(7, "0123456789abcdef")
    out = tracker.handle(ev.CallerJoined("support", "1795000000.1", "1795000000.1",
                                         "13800138000", 1))
    out += tracker.handle(ev.CallerJoined("support", placeholder, "kpd-7-0123456789abcdef",
                                          "13900139000", 2))
    clock.advance(5)
    out += tracker.tick()
    changed = [o for o in out if isinstance(o, oc.QueueChanged)][-1]
    sampled = [o for o in out if isinstance(o, oc.QueueSampled)][-1]
    assert (changed.waiting, changed.virtual, sampled.waiting) == (2, 1, 2)
    assert tracker.waiting("support") == 2 and tracker.waiting("complaints") == 0
    wallboard.apply(out)
    queues: Any = wallboard.snapshot()["queues"]
    [queue] = [q for q in queues if q["queue"] == "support"]
    assert (queue["waiting"], queue["virtual_waiters"]) == (2, 1)
