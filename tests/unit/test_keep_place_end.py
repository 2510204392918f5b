"""Keep your place (排队回呼), the request's end and the virtual waiter's wait: how the
dialing half's hang-up closes a request (pure, and in the database on SQLite and
PostgreSQL), the expiry job closing requests whose end was never seen, the tracker
counting a placeholder's wait from the caller's first join and keeping it until its
request expires (told by the shell, also at start), and the recording's name passed
to Asterisk through a checked Originate variable."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from callcenter.agi import service
from callcenter.agi.keep_place import LoopBridge, Placeholder, Requests, placeholder_fields
from callcenter.agi.settings import KeepPlaceSettings
from callcenter.ami.grammar import check_originate
from callcenter.callbacks import service as callbacks
from callcenter.callbacks.dialer import OriginateSpec, originate_fields
from callcenter.domain import attempts as at
from callcenter.domain import events as ev
from callcenter.domain import keep_place as kp
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.phone import PhoneNumber
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker
from callcenter.errors import AmiUnsafeValue
from callcenter.recordings.settings import RecordingsSettings
from callcenter.store import db
from tests.unit.test_keep_place import TZ

NOW = 1_795_000_000.0
HOUR = 3600.0
TOKEN = "0123456789abcdef"


# -- how the dialing half's hang-up ends a request (pure) ----------------------------------


@pytest.mark.parametrize(("dial_status", "status", "outcome"), [
    ("ANSWER", "done", "connected"),  # answered: whoever hung up first, the call took place
    ("NOANSWER", "missed", "no_answer"),
    ("BUSY", "missed", "busy"),
    ("CONGESTION", "missed", "busy"),
    ("CHANUNAVAIL", "missed", "failed"),
    ("CANCEL", "missed", None),  # the agent gave up while it rang
    ("", "missed", None),
    ("ANSWER;x", "missed", None),  # no DIALSTATUS: not taken for an answer
])
def test_the_dial_status_decides_how_a_request_ends(dial_status: str, status: str,
                                                     outcome: str | None) -> None:
    ended = kp.dial_ended(dial_status)
    assert (ended.status, ended.outcome) == (status, outcome)
    assert ";" not in ended.note and len(ended.note) < 60


# -- the virtual waiter in the live picture -------------------------------------------------


def _changed(out: list[oc.Outcome]) -> oc.QueueChanged:
    return [o for o in out if isinstance(o, oc.QueueChanged)][-1]


def test_a_placeholder_waits_from_the_callers_first_join_until_its_request_expires() -> None:
    clock = ManualClock(NOW)
    tracker = Tracker(RingRules(waiting_stale_s=2 * HOUR), clock)
    placeholder, dialer = kp.placeholder_ids(7, TOKEN)
    first_join = NOW - 90.0  # the caller waited 90 s, then pressed 1
    tracker.expect_virtual(kp.VirtualWaiter(7, first_join, NOW + 4 * HOUR))
    out = tracker.handle(ev.CallerJoined("support", "1795000000.9", "1795000000.9",
                                         "13800138009", 1))
    out += tracker.handle(ev.CallerJoined("support", placeholder, dialer, "13900139000", 1))
    changed = _changed(out)
    assert (changed.waiting, changed.virtual, changed.oldest_joined_at) == (2, 1, first_join)
    clock.advance(10)
    sampled = [o for o in tracker.tick() if isinstance(o, oc.QueueSampled)][-1]
    assert (sampled.waiting, sampled.longest_wait_s) == (2, 100.0)  # the surge's series

    # Past waiting_stale_s (2 h) the real caller whose leave was lost is dropped; the
    # placeholder stays: its request runs 4 h.
    clock.set(NOW + 2 * HOUR + 1)
    tracker.tick()
    assert tracker.waiting("support") == 1
    clock.set(NOW + 4 * HOUR + kp.PLACEHOLDER_STALE_GRACE_S - 1)
    tracker.tick()
    assert tracker.waiting("support") == 1 and len(tracker.placeholders) == 1
    clock.set(NOW + 4 * HOUR + kp.PLACEHOLDER_STALE_GRACE_S)
    out = tracker.tick()
    assert tracker.waiting("support") == 0 and len(tracker.placeholders) == 0
    assert _changed(out).oldest_joined_at is None


def test_a_placeholder_nobody_told_of_is_a_caller_like_any_other() -> None:
    clock = ManualClock(NOW)
    tracker = Tracker(RingRules(waiting_stale_s=2 * HOUR), clock)
    placeholder, dialer = kp.placeholder_ids(8, TOKEN)
    tracker.expect_virtual(kp.VirtualWaiter(9, NOW - 500.0, NOW + 4 * HOUR))  # another one
    out = tracker.handle(ev.CallerJoined("support", placeholder, dialer, "13900139000", 1))
    assert _changed(out).oldest_joined_at == NOW
    clock.set(NOW + 2 * HOUR)
    tracker.tick()
    assert tracker.waiting("support") == 0


def test_told_after_a_restart_the_tracker_corrects_the_placeholders_wait() -> None:
    """At start the shell tells of the waiting requests; the resync may come before or
    after: either way the wait counts from the caller's first join."""
    clock = ManualClock(NOW)
    tracker = Tracker(RingRules(), clock)
    placeholder, dialer = kp.placeholder_ids(7, TOKEN)
    snapshot = ev.QueueSnapshot(("support",), waiting=(
        ev.WaitingEntry("support", placeholder, dialer, "13900139000", 1, 30.0),))
    assert _changed(tracker.handle(snapshot)).oldest_joined_at == NOW - 30.0
    tracker.expect_virtual(kp.VirtualWaiter(7, NOW - 600.0, NOW + 4 * HOUR))
    clock.advance(1)
    assert _changed(tracker.tick()).oldest_joined_at == NOW - 600.0
    clock.advance(1)
    tracker.handle(snapshot)  # a reconnect's resync: still the first join
    [entry] = tracker.queues["support"].waiting.values()
    assert entry.joined_at == NOW - 600.0 and entry.stale_at == NOW + 4 * HOUR + 300.0


# -- the requests' end in the database --------------------------------------------------------


def _place(engine: Any, digits: str, now: float = NOW) -> int:
    campaign = service.keep_place_campaign(engine, now)
    _, request = service.request_keep_place(engine, campaign, PhoneNumber.parse(digits), now,
                                            joined_at=now - 45, queue="support", position=1,
                                            expires_at=now + 4 * HOUR)
    assert request is not None
    return request


class _AfterHours:
    def __init__(self) -> None:
        self.numbers: list[str] = []

    def __call__(self, number: PhoneNumber, now: float) -> str:
        self.numbers.append(number.digits)
        return "added"


def _requests(engine: Any, clock: ManualClock, tracker: Tracker,
              after_hours: _AfterHours) -> Requests:
    return Requests(engine, KeepPlaceSettings(), clock=clock, bridge=LoopBridge(), ami=None,
                    to_after_hours=after_hours, fields=lambda p: {},
                    handle_times=kp.HandleTimes(20, 240.0, 5.0), live=tracker,
                    placeholders=tracker)


def _row(engine: Any, request: int) -> dict[str, Any]:
    [row] = [c for c in callbacks.contacts(engine, TZ, None) if c["id"] == request]
    return row


def test_a_request_ends_done_or_missed_with_its_outcome(db_url: str) -> None:
    engine = db.engine_for(db_url)
    clock, after_hours = ManualClock(NOW), _AfterHours()
    requests = _requests(engine, clock, Tracker(RingRules(), clock), after_hours)
    answered, unreached = _place(engine, "13800138010"), _place(engine, "13800138011")
    for request in (answered, unreached):  # an agent took the place
        requests.settle(request, "connected", "an agent took the place")
    for request, dial_status in ((answered, "ANSWER"), (unreached, "NOANSWER")):
        ended = kp.dial_ended(dial_status)
        requests.settle(request, ended.status, ended.note, only_from=("waiting", "connected"),
                        outcome=ended.outcome)
    assert (_row(engine, answered)["status"], _row(engine, answered)["outcome"]) == (
        "done", "connected")
    assert (_row(engine, unreached)["status"], _row(engine, unreached)["outcome"]) == (
        "missed", "no_answer")
    assert after_hours.numbers == ["13800138011"]  # only the one not reached is owed a call
    # Ended once: a second hang-up report changes nothing.
    requests.settle(answered, "missed", "late", only_from=("waiting", "connected"))
    assert _row(engine, answered)["status"] == "done"
    # Done, the number may ask again: a fresh request, its outcome cleared.
    assert _place(engine, "13800138010", NOW + 60) == answered
    assert (_row(engine, answered)["status"], _row(engine, answered)["outcome"]) == (
        "waiting", None)


def test_the_expiry_job_closes_requests_whose_end_was_never_seen(db_url: str) -> None:
    engine = db.engine_for(db_url)
    clock, after_hours = ManualClock(NOW), _AfterHours()
    requests = _requests(engine, clock, Tracker(RingRules(), clock), after_hours)
    waiting, taken = _place(engine, "13800138020"), _place(engine, "13800138021")
    requests.settle(taken, "connected", "an agent took the place")
    clock.set(NOW + 4 * HOUR + 61)
    assert requests.expire() == 1  # the placeholder's wait ran out: after-hours next
    assert _row(engine, waiting)["status"] == "expired"
    assert _row(engine, taken)["status"] == "connected"  # maybe still on the line
    clock.set(NOW + 5 * HOUR)
    assert requests.expire() == 1
    assert (_row(engine, taken)["status"], _row(engine, taken)["outcome"]) == ("done", None)
    assert after_hours.numbers == ["13800138020"]


def test_at_start_the_tracker_is_told_of_every_waiting_request(db_url: str) -> None:
    engine = db.engine_for(db_url)
    clock = ManualClock(NOW)
    tracker = Tracker(RingRules(), clock)
    requests = _requests(engine, clock, tracker, _AfterHours())
    waiting, taken = _place(engine, "13800138030"), _place(engine, "13800138031")
    requests.settle(taken, "connected", "an agent took the place")
    requests.resume()
    placeholder, dialer = kp.placeholder_ids(waiting, TOKEN)
    out = tracker.handle(ev.CallerJoined("support", placeholder, dialer, "13800138030", 1))
    assert _changed(out).oldest_joined_at == NOW - 45  # the request's joined_at
    assert len(tracker.placeholders) == 1
    assert service.waiting_keep_place(engine, requests.campaign()) == [
        kp.VirtualWaiter(waiting, NOW - 45, NOW + 4 * HOUR)]


# -- the recording's name, through a checked Originate variable ------------------------------


def test_callbacks_and_placeholders_name_their_recording_by_the_calls_linkedid() -> None:
    rec = RecordingsSettings(dir="/srv/rec", asterisk_dir="/tb/one/recordings")
    spec = OriginateSpec("PJSIP/{number}@trunk", "callcenter-callback",
                         "callcenter-callback-agent-first", "callback", "", 30.0,
                         rec.asterisk_name)
    for mode, agent in ((at.Mode.CUSTOMER_FIRST, None), (at.Mode.AGENT_FIRST, "PJSIP/1001")):
        ref = at.AttemptRef(17, 3, "cb-0123abcd", "cb-act-0123abcd", "13800138000", mode)
        fields = check_originate(originate_fields(spec, ref, agent))
        assert "CC_RECORDING=/tb/one/recordings/cb-0123abcd" in fields["Variable"].split(",")
    p = Placeholder(7, TOKEN, "13800138000", "support", 2, 3600)
    fields = placeholder_fields(p, KeepPlaceSettings(), channel_template="PJSIP/{number}@t",
                                ring_s=30.0, caller_id="", recording=rec.asterisk_name)
    assert f"CC_RECORDING=/tb/one/recordings/kpd-7-{TOKEN}" in fields["Variable"].split(",")
    assert fields["ChannelId"] == f"kpd-7-{TOKEN}"  # the first channel: the Linkedid
    # A directory the grammar refuses: the call goes on, under app_queue's default name.
    odd = replace(spec, recording=lambda linkedid: f"/srv/.hidden/{linkedid}")
    ref = at.AttemptRef(17, 3, "cb-0123abcd", "cb-act-0123abcd", "13800138000",
                        at.Mode.CUSTOMER_FIRST)
    assert "CC_RECORDING" not in check_originate(originate_fields(odd, ref, None))["Variable"]


@pytest.mark.parametrize("value", [
    "/tb/rec/../etc/passwd", "rec/cb-1", "/tb/rec/cb-1,CC_EVIL=1", "/tb/rec/cb 1",
    "/tb/rec/cb-1&x", "/tb/rec/.cb", "/tb//rec", "/"])
def test_a_recording_path_out_of_grammar_is_refused(value: str) -> None:
    fields = {"Channel": "PJSIP/138@trunk", "Variable": f"CC_QUEUE=callback,CC_RECORDING={value}"}
    with pytest.raises(AmiUnsafeValue):
        check_originate(fields)
    assert check_originate({**fields, "Variable": "CC_RECORDING=/tb/rec/kpd-7-0a1b"})
