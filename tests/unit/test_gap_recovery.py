"""Gap recovery over the real queue_log recorded from the test bed: what a daemon that
saw nothing recovers, what one that saw everything live recovers (nothing), one that
died in the middle, and a second recovery after the first (nothing again).  The
daemon's side comes from replaying the AMI stream recorded beside the queue_log
through the live tracker and the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from callcenter.ami.translate import translate
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.gap_recovery import RecoveryRules, Stored, StoredCall, callids, recover
from callcenter.domain.queue_log import Entry, parse, parse_line
from callcenter.domain.replay import replay
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker
from callcenter.recovery import service
from callcenter.store import db
from callcenter.store import models as m
from callcenter.store.apply import Applier

FIXTURES = Path(__file__).parents[1] / "fixtures" / "queue_log"
ENTRIES, _ = parse((FIXTURES / "scenarios.queue_log").read_text(encoding="utf-8").splitlines())
AMI: list[dict[str, Any]] = json.loads(
    (FIXTURES / "scenarios.ami.json").read_text(encoding="utf-8"))["events"]
RULES = RecoveryRules(ring_budget_s=15.0, penalty_points=5)
EVERYTHING_MISSED = math.inf
# The ring-timeout call: alice's leg rang from :71 (budget out at :86) to :91.
CRASH_AT = 1795650688.0


def line(o: oc.Outcome) -> str:
    match o:
        case oc.CallJoined():
            return f"joined {o.queue} {o.uniqueid} {o.caller_number or '-'}"
        case oc.CallAnswered():
            return f"answered {o.queue} {o.uniqueid} {o.agent.name} ring={o.ring_s:g} late={o.late_answer}"
        case oc.TicketOpened():
            return (f"ticket {o.linkedid} {o.queue} {o.owner.name} {o.caller_number or '-'} "
                    f"hold={o.hold_s:g} ring={o.ring_s:g} recovered={o.recovered}")
        case oc.TicketParticipantAdded():
            return f"participant {o.linkedid} {o.agent.name} via {o.queue}"
        case oc.CallCompleted():
            return f"completed {o.queue} {o.uniqueid} {o.agent.name} talk={o.talk_s:g} by={o.hangup_by}"
        case oc.CallAbandoned():
            return f"abandoned {o.queue} {o.uniqueid} waited={o.waited_s:g} {o.caller_number or '-'}"
        case oc.RingLegEnded():
            return f"leg {o.leg_uniqueid[:13]} {o.agent.name} {o.result.value} ring={o.ring_s:g}"
        case oc.ViolationRaised():
            return f"VIOLATION {o.leg_uniqueid[:13]} {o.agent.name} at={o.at:.0f} -{o.penalty_points}"
        case oc.ViolationSettled():
            return f"settled {o.leg_uniqueid[:13]} {o.kind.value} ring={o.ring_s:g}"
        case oc.QueueExited():
            return f"exited {o.queue} {o.uniqueid} {o.reason} waited={o.wait_s:g}"
        case _:
            return type(o).__name__


def live(until: float) -> list[oc.Outcome]:
    """What the live daemon decided from the AMI events before `until`."""
    clock = ManualClock(AMI[0]["at"])
    tracker = Tracker(RingRules(), clock)
    stream = [(r["at"], translate(r["event"])) for r in AMI if r["at"] < until]
    return replay(tracker, clock, stream, until=min(until, AMI[-1]["at"] + 5))


def write(url: str, outcomes: list[oc.Outcome]) -> None:
    with db.engine_for(url).begin() as conn:
        Applier(7 * 86400.0).apply_batch(conn, outcomes)


def recovered(url: str, entries: list[Entry], live_from: float) -> list[oc.Outcome]:
    stored = service.stored(db.engine_for(url), callids(entries), {})
    return recover(entries, stored, RULES, live_from)


TIMEOUT_EXIT = oc.QueueExited("support", "1795650754.30", "timeout", 6.0, 1795650760.0)


def missed(url: str, entries: list[Entry], live_from: float) -> list[oc.Outcome]:
    """What was recovered besides the exits queue_log tells on every read (they are
    classifications of calls, told whether the call was seen live or not)."""
    got = recovered(url, entries, live_from)
    assert [o for o in got if isinstance(o, oc.QueueExited)] == [TIMEOUT_EXIT]
    return [o for o in got if not isinstance(o, oc.QueueExited)]


def count(url: str, model: type, *where: Any) -> int:
    with db.engine_for(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model).where(*where))
                   .scalar_one())


def test_a_daemon_that_saw_nothing_recovers_every_call_from_queue_log() -> None:
    got = [line(o) for o in recover(ENTRIES, Stored(), RULES, EVERYTHING_MISSED)]
    assert got == [
        "joined support 1795650635.0 13800138000",
        "leg 1795650635.2 alice answered ring=4",
        "answered support 1795650635.0 alice ring=4 late=False",
        "ticket 1795650635.0 support alice 13800138000 hold=4 ring=4 recovered=True",
        "completed support 1795650635.0 alice talk=6 by=caller",
        "joined support 1795650647.4 13900139000",
        "VIOLATION 1795650647.6 alice at=1795650662 -5",
        "leg 1795650647.6 alice answered ring=16",
        "settled 1795650647.6 late_answer ring=16",
        "answered support 1795650647.4 alice ring=16 late=True",
        "ticket 1795650647.4 support alice 13900139000 hold=16 ring=16 recovered=True",
        "completed support 1795650647.4 alice talk=6 by=caller",
        "joined support 1795650671.8 13700137000",
        "VIOLATION ql-1795650691 alice at=1795650686 -5",  # the ring-out: 20 s >= 15 s
        "leg ql-1795650691 alice no_answer ring=20",
        "settled ql-1795650691 no_answer ring=20",
        "abandoned support 1795650671.8 waited=24 13700137000",
        # ringall: alice's 16 s leg, stopped by bob's answer, left no line: only bob's.
        "joined support 1795650697.14 13600136000",
        "VIOLATION 1795650697.16 bob at=1795650712 -5",
        "leg 1795650697.16 bob answered ring=16",
        "settled 1795650697.16 late_answer ring=16",
        "answered support 1795650697.14 bob ring=16 late=True",
        "ticket 1795650697.14 support bob 13600136000 hold=16 ring=16 recovered=True",
        "completed support 1795650697.14 bob talk=6 by=caller",
        "joined support 1795650721.20 13500135000",
        "abandoned support 1795650721.20 waited=8 13500135000",
        # Moved on to complaints: one ticket, bob joins it.
        "joined support 1795650731.24 13400134000",
        "leg 1795650731.26 alice answered ring=3",
        "answered support 1795650731.24 alice ring=3 late=False",
        "ticket 1795650731.24 support alice 13400134000 hold=3 ring=3 recovered=True",
        "joined complaints 1795650731.24 13400134000",
        "leg 1795650736.28 bob answered ring=3",
        "answered complaints 1795650731.24 bob ring=3 late=False",
        "participant 1795650731.24 bob via complaints",
        "completed complaints 1795650731.24 bob talk=8 by=caller",
        "completed support 1795650731.24 alice talk=13 by=caller",
        # The queue's own timeout: AMI says QueueCallerAbandon too, so it is one live.
        "joined support 1795650754.30 13300133000",
        "abandoned support 1795650754.30 waited=6 13300133000",
        # ... and queue_log tells it was the timeout (the reports count it apart).
        "exited support 1795650754.30 timeout waited=6",
        # A caller ID that is no number: a ticket, but no number on it.
        "joined support 1795650764.34 -",
        "leg 1795650764.36 alice answered ring=2",
        "answered support 1795650764.34 alice ring=2 late=False",
        "ticket 1795650764.34 support alice - hold=2 ring=2 recovered=True",
        "completed support 1795650764.34 alice talk=4 by=agent",
    ]


def test_a_daemon_that_saw_everything_live_recovers_nothing(db_url: str) -> None:
    write(db_url, live(math.inf))
    assert count(db_url, m.Ticket) == 5 and count(db_url, m.Violation) == 4
    assert missed(db_url, ENTRIES, EVERYTHING_MISSED) == []


def test_a_daemon_that_died_mid_call_recovers_the_rest_once(db_url: str) -> None:
    seen = live(CRASH_AT)  # alice's violation was raised live; its end was missed
    write(db_url, seen)
    raised = [o for o in seen if isinstance(o, oc.ViolationRaised)]
    assert [v.agent.name for v in raised][-1] == "alice"
    got = recovered(db_url, ENTRIES, EVERYTHING_MISSED)  # restarted after it all
    lines = [line(o) for o in got]
    assert lines[:2] == [f"settled {raised[-1].leg_uniqueid[:13]} no_answer ring=20",
                         "abandoned support 1795650671.8 waited=24 13700137000"]
    assert not any("1795650635.0" in x or "1795650647.4" in x for x in lines)
    write(db_url, got)
    # Every CONNECT has its ticket, once; those of the gap are marked recovered.
    connected = {e.callid for e in ENTRIES if type(e).__name__ == "Connected"}
    assert count(db_url, m.Ticket) == len(connected) == 5
    assert count(db_url, m.Ticket, m.Ticket.recovered.is_(True)) == 3
    assert count(db_url, m.Violation) == 3 and count(db_url, m.PointsEntry) == 3
    assert count(db_url, m.Violation, m.Violation.settled.is_(False)) == 0
    assert count(db_url, m.Call, m.Call.outcome == "abandoned") == 3
    assert count(db_url, m.Call, m.Call.outcome == "waiting") == 0
    # A second start reads the same lines again: nothing new.
    assert missed(db_url, ENTRIES, EVERYTHING_MISSED) == []


def _entries(*lines: str) -> list[Entry]:
    parsed = [parse_line(text) for text in lines]
    assert all(p is not None for p in parsed)
    return [p for p in parsed if p is not None]


def test_a_caller_who_got_through_later_gets_no_callback() -> None:
    entries = _entries("100|1.1|support|NONE|ENTERQUEUE||13800138000|1",
                       "130|1.1|support|NONE|ABANDON|1|1|30",
                       "200|2.1|support|NONE|ENTERQUEUE||13800138000|1",
                       "203|2.1|support|alice|CONNECT|3|2.2|3")
    got = recover(entries, Stored(), RULES, EVERYTHING_MISSED)
    abandoned = [o for o in got if isinstance(o, oc.CallAbandoned)]
    assert [(a.waited_s, a.caller_number) for a in abandoned] == [(30.0, "")]


def test_ids_map_through_the_store_and_agents_by_name_or_interface() -> None:
    entries = _entries("100|9.5|support|Local/1001@agents/n|CONNECT|3|9.6|3",
                       "110|9.5|support|王芳 alice|COMPLETECALLER|3|10|1")
    stored = Stored(calls={("9.5", "complaints"): StoredCall("9.1", "answered", False, "139")},
                    tickets=frozenset({"9.1"}),
                    agents={"王芳 alice": "Local/1001@agents/n"})
    got = recover(entries, stored, RULES, EVERYTHING_MISSED)
    assert [line(o) for o in got] == [
        "joined support 9.5 139",
        "leg 9.6 王芳 alice answered ring=3",
        "answered support 9.5 王芳 alice ring=3 late=False",
        "participant 9.1 王芳 alice via support",  # Linkedid 9.1 already has its ticket
        "completed support 9.5 王芳 alice talk=10 by=caller",
    ]
    assert {o.agent.interface for o in got if isinstance(o, oc.CallAnswered)} == {
        "Local/1001@agents/n"}


def test_after_the_link_came_up_only_a_missing_end_is_taken() -> None:
    entries = _entries("100|5.1|support|NONE|ENTERQUEUE||13800138000|1",
                       "103|5.1|support|alice|CONNECT|3|5.2|3",
                       "150|5.1|support|alice|COMPLETEAGENT|3|47|1",
                       "160|6.1|support|NONE|ABANDON|1|1|30",
                       "170|6.1|support|bob|RINGNOANSWER|20000")
    # The answer was recovered; its hang-up came live before that was written.
    stored = Stored(calls={("5.1", "support"): StoredCall("5.1", "answered", False, "")},
                    tickets=frozenset({"5.1"}))
    got = recover(entries, stored, RULES, live_from=120.0)
    assert [line(o) for o in got] == ["completed support 5.1 alice talk=47 by=agent"]
