"""The queue_log parser over real lines recorded from the Asterisk 22 test bed
(`python -m callcenter.testbed.record_queue_log`), beside the AMI events the daemon's
account received for the same calls: what queue_log's ids and figures mean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.domain.queue_log import (
    Completed,
    Connected,
    Entered,
    LeaveReason,
    Left,
    MemberChanged,
    Other,
    RingEnded,
    parse,
    parse_line,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "queue_log"
LINES = (FIXTURES / "scenarios.queue_log").read_text(encoding="utf-8").splitlines()
AMI = [r["event"] for r in json.loads((FIXTURES / "scenarios.ami.json")
                                      .read_text(encoding="utf-8"))["events"]]


def _entries() -> list[object]:
    entries, refused = parse(LINES)
    assert refused == 0
    return list(entries)


def test_every_recorded_line_is_typed() -> None:
    entries = _entries()
    assert len(entries) == len(LINES)
    kinds = {type(e).__name__ for e in entries}
    assert kinds == {"Entered", "Connected", "Completed", "Left", "RingEnded", "MemberChanged"}
    first = entries[1]
    assert first == Entered(1795650635.0, "1795650635.0", "support", "13800138000", 1)
    assert entries[2] == Connected(1795650639.0, "1795650635.0", "support", "alice", 4.0,
                                   "1795650635.2", 4.0)
    assert entries[3] == Completed(1795650645.0, "1795650635.0", "support", "alice", 4.0, 6.0,
                                   "caller")
    assert isinstance(entries[0], MemberChanged) and entries[0].event == "ADDMEMBER"


def test_callid_is_the_callers_uniqueid_and_its_linkedid() -> None:
    """For calls placed into the queue, queue_log's callid is the Uniqueid of every
    queue event of the caller and equals its Linkedid, also after moving to a second
    queue; CONNECT's second field is the member leg (AgentConnect's DestUniqueid)."""
    entries = _entries()
    joins = [e for e in AMI if e["Event"] == "QueueCallerJoin"]
    entered = [e for e in entries if isinstance(e, Entered)]
    assert [(e.callid, e.queue) for e in entered] == [(j["Uniqueid"], j["Queue"]) for j in joins]
    assert all(j["Uniqueid"] == j["Linkedid"] for j in joins)
    connects = [e for e in AMI if e["Event"] == "AgentConnect"]
    connected = [e for e in entries if isinstance(e, Connected)]
    assert [(c.callid, c.queue, c.agent, c.leg_uniqueid, c.hold_s, c.ring_s) for c in connected] \
        == [(a["Uniqueid"], a["Queue"], a["MemberName"], a["DestUniqueid"], float(a["HoldTime"]),
             float(a["RingTime"])) for a in connects]


def test_ring_times_are_milliseconds_and_leaves_are_typed() -> None:
    entries = _entries()
    rang = [e for e in entries if isinstance(e, RingEnded)]
    no_answer = [a for a in AMI if a["Event"] == "AgentRingNoAnswer"]
    assert [r.ring_s for r in rang if not r.cancelled] == [
        int(a["RingTime"]) / 1000 for a in no_answer] == [20.0, 6.0]
    assert [r.ring_s for r in rang if r.cancelled] == [1.02, 8.022]
    left = [e for e in entries if isinstance(e, Left)]
    assert [(x.reason, x.wait_s) for x in left] == [
        (LeaveReason.ABANDON, 24.0), (LeaveReason.ABANDON, 8.0), (LeaveReason.TIMEOUT, 6.0)]
    # The queue's own timeout is a QueueCallerAbandon on AMI too: the daemon counts it.
    abandons = [a for a in AMI if a["Event"] == "QueueCallerAbandon"]
    assert [a["Uniqueid"] for a in abandons] == [x.callid for x in left]
    assert [c.ended_by for c in entries if isinstance(c, Completed)][-1] == "agent"


def test_a_caller_id_holding_the_separator_is_read_from_both_ends() -> None:
    entered = [e for e in _entries() if isinstance(e, Entered)]
    assert entered[-1].caller_id == "13200132000|13100131000" and entered[-1].position == 1


@pytest.mark.parametrize("line", [
    "",
    "not a line",
    "1795650197|1795650197.0|support|NONE",  # too short
    "x|1795650197.0|support|NONE|ENTERQUEUE||1380|1",
    "nan|1795650197.0|support|NONE|ENTERQUEUE||1380|1",
    "-5|1795650197.0|support|NONE|ENTERQUEUE||1380|1",
    "1795650197|bad id!|support|NONE|ENTERQUEUE||1380|1",
    "1795650197|NONE|support|NONE|ENTERQUEUE||1380|1",  # a caller line needs its channel
    "1795650197|1795650197.0|sup\x1bport|NONE|ENTERQUEUE||1380|1",
    "1795650197|1795650197.0|" + "q" * 81 + "|NONE|ENTERQUEUE||1380|1",
    "1795650197|1795650197.0|support|alice|CONNECT|4|bad leg!|4",
    "1795650197|1795650197.0|support|alice|CONNECT|4|1795650197.2",
    "1795650197|1795650197.0|support|alice|CONNECT|inf|1795650197.2|4",
    "1795650197|1795650197.0|support|alice|CONNECT|1e99|1795650197.2|4",
    "1795650197|1795650197.0|support|NONE|ABANDON|1|1",
    "1795650197|1795650197.0|support|NONE|ABANDON|x|1|9",
    "1795650197|1795650197.0|support|alice|RINGNOANSWER|",
    "1795650197|1795650197.0|support|alice|lowercase|1",
])
def test_lines_that_do_not_fit_are_refused_whole(line: str) -> None:
    assert parse_line(line) is None


def test_events_of_asterisk_22_beyond_the_recording() -> None:
    # Lines as app_queue.c writes them (EXITEMPTY with leavewhenempty, a key pressed,
    # the transfers, a pause); the recorded test bed does not use these features.
    assert parse_line("1795650400|1795650390.1|support|NONE|EXITEMPTY|2|3|10") == Left(
        1795650400.0, "1795650390.1", "support", LeaveReason.EMPTY, 10.0, 2, 3)
    assert parse_line("1795650400|1795650390.1|support|NONE|EXITWITHKEY|5|2|3|10") == Left(
        1795650400.0, "1795650390.1", "support", LeaveReason.KEY, 10.0, 2, 3)
    assert parse_line("1795650400|1795650390.1|support|alice|BLINDTRANSFER|600|agents|4|20|1") \
        == Completed(1795650400.0, "1795650390.1", "support", "alice", 4.0, 20.0, "transfer")
    assert parse_line("1795650400|1795650390.1|support|alice|ATTENDEDTRANSFER|BRIDGE|x|4|20|1") \
        == Completed(1795650400.0, "1795650390.1", "support", "alice", 4.0, 20.0, "transfer")
    paused = parse_line("1795650400|NONE|support|王芳 alice|PAUSE||午休")
    assert paused == MemberChanged(1795650400.0, "NONE", "support", "王芳 alice", "PAUSE",
                                   ("", "午休"))
    assert isinstance(parse_line("1795650400|NONE|NONE|NONE|QUEUESTART|"), Other)
    # A member name is cleaned like AMI's: controls and bidi overrides go.
    connected = parse_line("1795650400|1795650390.1|support|ali\u202ece\x1b|CONNECT|1|1.2|1")
    assert isinstance(connected, Connected) and connected.agent == "alice"
