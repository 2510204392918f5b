"""Asterisk's queue_log, one line at a time, into typed entries.  Pure: no I/O.

A line is `time|callid|queue|agent|event|data1|data2|...`.  What Asterisk 22 writes,
as recorded from the test bed (tests/fixtures/queue_log/) and in app_queue.c:

* `callid` is the caller channel's Uniqueid: the Uniqueid of the queue's AMI events
  (QueueCallerJoin, AgentConnect, ...) and, for a call placed into the queue, also
  its Linkedid.  A caller moved to a second queue keeps it.  `MANAGER` or `NONE`
  on member lines.
* `agent` is the member name with `log_membername_as_agent = yes`, else the member
  interface; `NONE` on caller lines.
* ENTERQUEUE      url|callerid|position.  The caller ID is the caller's own text and
                  may hold `|`: the fields around it are taken from both ends.
* CONNECT         holdtime|member leg's Uniqueid (AgentConnect's DestUniqueid)|ringtime s
* COMPLETECALLER, COMPLETEAGENT   holdtime|calltime|origposition
* BLINDTRANSFER, ATTENDEDTRANSFER, TRANSFER   ...|holdtime|calltime|origposition
* ABANDON, EXITWITHTIMEOUT, EXITEMPTY   position|origposition|waittime.  All three
                  fire AMI's QueueCallerAbandon too; EXITWITHKEY (key|position|
                  origposition|waittime) does not.
* RINGNOANSWER, RINGCANCELED   ring time in milliseconds.  A leg stopped because
                  another member answered (ringall) writes no line at all.
* member lines: ADDMEMBER, REMOVEMEMBER, PAUSE, UNPAUSE, PAUSEALL, UNPAUSEALL,
  AGENTLOGIN, AGENTLOGOFF, ...  Anything else is kept as `Other`.

The file is written by Asterisk but callers choose their caller IDs, so every field
is checked like AMI's: a line that does not fit is refused (None), never half-read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from callcenter.domain.text import clean, has_controls

# What an Asterisk id may look like (1795567865.12, cb-<hex>), as at the AMI boundary.
_ID = re.compile(r"[A-Za-z0-9._;-]{1,64}")
_EVENT = re.compile(r"[A-Z_]{1,32}")
_NO_CALL = frozenset({"NONE", "MANAGER"})
_QUEUE_CHARS = 80
_NAME_CHARS = 100
_CALLER_ID_CHARS = 80
_DATA_CHARS = 200
_MAX_NUMBER = 1e9  # seconds, milliseconds, positions: far beyond any real value
_MAX_TIME = 1e11  # epoch seconds


class LeaveReason(StrEnum):
    ABANDON = "abandon"  # the caller hung up while waiting
    TIMEOUT = "timeout"  # the queue's (or Queue()'s) timeout
    EMPTY = "empty"  # leavewhenempty
    KEY = "key"  # the caller pressed a key to leave


# Left the queue in a way AMI also reports as QueueCallerAbandon: what the daemon
# counts as abandoned live.
ABANDONS = frozenset({LeaveReason.ABANDON, LeaveReason.TIMEOUT, LeaveReason.EMPTY})
_LEAVES = {"ABANDON": LeaveReason.ABANDON, "EXITWITHTIMEOUT": LeaveReason.TIMEOUT,
           "EXITEMPTY": LeaveReason.EMPTY, "EXITWITHKEY": LeaveReason.KEY}
_TRANSFERS = frozenset({"TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"})
_CALL_EVENTS = frozenset({"ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT",
                          "RINGNOANSWER", "RINGCANCELED", *_TRANSFERS, *_LEAVES})
_MEMBER_EVENTS = frozenset({"ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL",
                            "UNPAUSEALL", "AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN",
                            "AGENTCALLBACKLOGOFF", "PENALTY", "RINGINUSE"})


@dataclass(frozen=True, slots=True)
class Entered:
    at: float
    callid: str
    queue: str
    caller_id: str  # as the caller sent it (cleaned, capped): not yet a number
    position: int


@dataclass(frozen=True, slots=True)
class Connected:
    at: float
    callid: str
    queue: str
    agent: str
    hold_s: float
    leg_uniqueid: str
    ring_s: float


@dataclass(frozen=True, slots=True)
class Completed:
    at: float
    callid: str
    queue: str
    agent: str
    hold_s: float
    talk_s: float
    ended_by: str  # caller | agent | transfer (AgentComplete's Reason)


@dataclass(frozen=True, slots=True)
class Left:
    """The caller left the queue without being connected."""

    at: float
    callid: str
    queue: str
    reason: LeaveReason
    wait_s: float
    position: int
    orig_position: int


@dataclass(frozen=True, slots=True)
class RingEnded:
    """A member leg stopped ringing unanswered: its ring timeout, or cancelled."""

    at: float
    callid: str
    queue: str
    agent: str
    ring_s: float
    cancelled: bool  # RINGCANCELED: the caller left (or the queue gave up) mid-ring


@dataclass(frozen=True, slots=True)
class Other:
    at: float
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemberChanged(Other):
    """A member's log-in, log-out, pause or penalty: kept apart from the rest of Other."""


Entry = Entered | Connected | Completed | Left | RingEnded | MemberChanged | Other


class _Refused(ValueError):
    pass


def _number(text: str, limit: float = _MAX_NUMBER) -> float:
    if not text.isascii() or not text or len(text) > 20:
        raise _Refused(text)
    try:
        value = float(text)
    except ValueError as exc:
        raise _Refused(text) from exc
    if not math.isfinite(value) or not 0 <= value <= limit:
        raise _Refused(text)
    return value


def _whole(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise _Refused(text)
    return int(text)


def _field(data: list[str], index: int) -> str:
    if len(data) <= index:
        raise _Refused(f"field {index} missing")
    return data[index]


def parse_line(line: str) -> Entry | None:
    """One line (without its newline) as a typed entry, or None if it does not fit."""
    parts = line.rstrip("\r\n").split("|")
    if len(parts) < 5:
        return None
    stamp, callid, queue, agent, event, *data = parts
    try:
        at = _number(stamp, _MAX_TIME)
    except _Refused:
        return None
    if (at <= 0 or not _EVENT.fullmatch(event)
            or not (callid in _NO_CALL or _ID.fullmatch(callid))
            or not queue or len(queue) > _QUEUE_CHARS or has_controls(queue)):
        return None
    name = clean(agent, _NAME_CHARS)
    try:
        return _typed(at, callid, queue, name, event, data)
    except _Refused:
        return None


def _typed(at: float, callid: str, queue: str, agent: str, event: str,  # noqa: PLR0917
           data: list[str]) -> Entry:
    if callid in _NO_CALL and event in _CALL_EVENTS:
        raise _Refused(event)  # a caller's line always names its channel
    if event == "ENTERQUEUE":
        if len(data) < 3:
            raise _Refused(event)
        # url|callerid|position, where the caller ID may itself hold '|'.
        return Entered(at, callid, queue, clean("|".join(data[1:-1]), _CALLER_ID_CHARS),
                       _whole(data[-1]))
    if event == "CONNECT":
        leg = _field(data, 1)
        if not _ID.fullmatch(leg):
            raise _Refused(event)
        return Connected(at, callid, queue, agent, _number(_field(data, 0)), leg,
                         _number(_field(data, 2)))
    if event in ("COMPLETECALLER", "COMPLETEAGENT"):
        return Completed(at, callid, queue, agent, _number(_field(data, 0)),
                         _number(_field(data, 1)),
                         "caller" if event == "COMPLETECALLER" else "agent")
    if event in _TRANSFERS:
        if len(data) < 3:
            raise _Refused(event)
        # The transfer's target fields come first and vary by kind; the figures end it.
        return Completed(at, callid, queue, agent, _number(data[-3]), _number(data[-2]),
                         "transfer")
    if event in _LEAVES:
        # EXITWITHKEY starts with the key pressed; the others with the position.
        figures = data[1:4] if event == "EXITWITHKEY" else data[0:3]
        if len(figures) < 3:
            raise _Refused(event)
        return Left(at, callid, queue, _LEAVES[event], _number(figures[2]),
                    _whole(figures[0]), _whole(figures[1]))
    if event in ("RINGNOANSWER", "RINGCANCELED"):
        return RingEnded(at, callid, queue, agent, _number(_field(data, 0)) / 1000.0,
                         cancelled=event == "RINGCANCELED")
    kept = tuple(clean(d, _DATA_CHARS) for d in data[:8])
    if event in _MEMBER_EVENTS:
        return MemberChanged(at, callid, queue, agent, event, kept)
    return Other(at, callid, queue, agent, event, kept)


def parse(lines: list[str]) -> tuple[list[Entry], int]:
    """Every line that fits, in file order, and how many did not."""
    entries: list[Entry] = []
    refused = 0
    for line in lines:
        if not line.strip():
            continue
        entry = parse_line(line)
        if entry is None:
            refused += 1
        else:
            entries.append(entry)
    return entries, refused
