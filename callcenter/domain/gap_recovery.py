"""Gap recovery: turn what Asterisk's queue_log says happened into the outcomes the
daemon did not decide live because it was not listening (down, restarting, or its
AMI link cut).  Pure: the shell reads the lines and what the store already holds.

Entries before `live_from` (the moment the AMI link came up) are candidates: the
daemon may have missed them.  For each, the store's own facts decide whether it
did, so a call seen live and again in queue_log is counted once:

* a caller's row is keyed by (caller Uniqueid, queue), which is queue_log's callid;
  a ticket by Linkedid, mapped from the callid through the stored calls (for a
  call placed into the queue the caller's Uniqueid is its Linkedid);
* a late answer's violation by the member leg's Uniqueid, which CONNECT carries;
* a ring-out's violation has no leg id in queue_log: a stored violation of the same
  call and agent raised when this leg's budget ran out is the same one.  A recovered
  one gets an id made from the line itself, so a second recovery finds it stored.

Entries after `live_from` were seen live; only two things are taken from them: the
end of a call the store holds as answered but not ended (its hang-up arrived live
before the recovered call was written), and how a caller left the queue when AMI
cannot tell it (`QueueExited`: a timeout, an empty queue, a key), for every such line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from callcenter.domain import outcomes as oc
from callcenter.domain.phone import PhoneNumber, PhoneRules
from callcenter.domain.queue_log import (
    ABANDONS,
    Completed,
    Connected,
    Entered,
    Entry,
    LeaveReason,
    Left,
    RingEnded,
)

# queue_log's times are whole seconds (cut, not rounded): a live violation was raised
# within this of the moment this ring-out's budget ran out.
SAME_VIOLATION_S = 2.5
_STANDARD_PHONES = PhoneRules()


@dataclass(frozen=True, slots=True)
class StoredCall:
    linkedid: str
    outcome: str  # waiting | answered | abandoned
    ended: bool  # its end (hang-up) is stored
    caller_number: str


@dataclass(frozen=True, slots=True)
class StoredViolation:
    leg_uniqueid: str
    linkedid: str
    agent_interface: str
    agent_name: str
    raised_at: float
    settled: bool


@dataclass(frozen=True)
class Stored:
    """What the store holds about the calls in the entries."""

    calls: Mapping[tuple[str, str], StoredCall] = field(default_factory=dict)  # (uniqueid, queue)
    tickets: frozenset[str] = frozenset()  # Linkedids with a ticket
    violations: Sequence[StoredViolation] = ()
    agents: Mapping[str, str] = field(default_factory=dict)  # member name -> interface


@dataclass(frozen=True, slots=True)
class RecoveryRules:
    ring_budget_s: float
    penalty_points: int
    phones: PhoneRules = _STANDARD_PHONES


def callids(entries: Sequence[Entry]) -> set[str]:
    """The callers the shell must look up in the store."""
    return {e.callid for e in entries
            if isinstance(e, Entered | Connected | Completed | Left | RingEnded)}


def ring_leg_id(e: RingEnded) -> str:
    """A ring-out's violation key (queue_log has no leg id): the same line always
    gives the same key, and it cannot collide with an Asterisk Uniqueid."""
    digest = hashlib.sha256(f"{e.at}|{e.callid}|{e.queue}|{e.agent}|{e.ring_s}".encode())
    return f"ql-{int(e.at)}-{digest.hexdigest()[:20]}"


class _Recovery:
    def __init__(self, stored: Stored, rules: RecoveryRules, live_from: float) -> None:
        self.stored = stored
        self.rules = rules
        self.live_from = live_from
        self.out: list[oc.Outcome] = []
        # (callid, queue) -> waiting | answered | ended | abandoned, as it stands now.
        self.rows = {k: ("ended" if c.ended and c.outcome == "answered" else c.outcome)
                     for k, c in stored.calls.items()}
        self.linkedids = {k[0]: c.linkedid for k, c in stored.calls.items()}
        self.numbers = {k[0]: c.caller_number for k, c in stored.calls.items()
                        if c.caller_number}
        self.tickets = set(stored.tickets)
        self.legs = {v.leg_uniqueid for v in stored.violations}
        self.settled = {v.leg_uniqueid for v in stored.violations if v.settled}
        self.interfaces = dict(stored.agents)
        self.names = {interface: name for name, interface in stored.agents.items()}
        self.last_connect: dict[str, float] = {}  # caller number -> its last answer

    def linkedid(self, callid: str) -> str:
        return self.linkedids.get(callid, callid)

    def agent(self, text: str) -> oc.AgentRef:
        if text in self.names:  # queues.conf without log_membername_as_agent
            return oc.AgentRef(text, self.names[text])
        return oc.AgentRef(self.interfaces.get(text, text), text)

    def number(self, caller_id: str) -> str:
        if caller_id in ("", "<unknown>", "NONE"):
            return ""
        parsed = PhoneNumber.or_none(caller_id, self.rules.phones)
        return "" if parsed is None else parsed.digits

    # -- the entries -----------------------------------------------------------------
    def run(self, entries: Sequence[Entry]) -> list[oc.Outcome]:
        for e in entries:  # numbers first: a CONNECT may come before a later ENTERQUEUE's
            if isinstance(e, Entered):
                number = self.number(e.caller_id)
                if number:
                    self.numbers.setdefault(e.callid, number)
        for e in entries:
            if isinstance(e, Connected) and self.numbers.get(e.callid):
                self.last_connect[self.numbers[e.callid]] = e.at
        for e in entries:
            candidate = e.at < self.live_from
            match e:
                case Entered() if candidate:
                    self.joined(e.callid, e.queue, e.at)
                case Connected() if candidate:
                    self.connected(e)
                case Completed():
                    self.completed(e)
                case Left():
                    if candidate and e.reason in ABANDONS:
                        self.left(e)
                    self.exited(e)
                case RingEnded() if candidate and e.ring_s >= self.rules.ring_budget_s:
                    self.rang_out(e)
                case _:
                    pass
        return self.out

    def joined(self, callid: str, queue: str, at: float) -> None:
        if (callid, queue) in self.rows:
            return
        self.rows[callid, queue] = "waiting"
        self.out.append(oc.CallJoined(queue, callid, self.linkedid(callid),
                                      self.numbers.get(callid, ""), at))

    def connected(self, e: Connected) -> None:
        if self.rows.get((e.callid, e.queue)) in ("answered", "ended"):
            return  # seen live
        self.joined(e.callid, e.queue, e.at - e.hold_s)
        linkedid, agent = self.linkedid(e.callid), self.agent(e.agent)
        budget = self.rules.ring_budget_s
        late = e.ring_s >= budget
        if e.leg_uniqueid not in self.legs:
            self.legs.add(e.leg_uniqueid)
            if late:
                self.out.append(self.raised(e.leg_uniqueid, linkedid, e.queue, agent,
                                            e.at - e.ring_s + budget))
            self.out.append(oc.RingLegEnded(e.leg_uniqueid, linkedid, e.queue, agent,
                                            e.at - e.ring_s, e.ring_s, oc.LegResult.ANSWERED,
                                            e.at))
            if late:
                self.out.append(oc.ViolationSettled(e.leg_uniqueid, oc.ViolationKind.LATE_ANSWER,
                                                    e.ring_s, e.at))
        self.out.append(oc.CallAnswered(e.queue, e.callid, linkedid, agent, e.hold_s,
                                        e.ring_s, late, e.at))
        if linkedid in self.tickets:  # moved on to a second queue: the ticket stays
            self.out.append(oc.TicketParticipantAdded(linkedid, agent, e.queue, e.at))
        else:
            self.tickets.add(linkedid)
            self.out.append(oc.TicketOpened(linkedid, e.callid, e.queue,
                                            self.numbers.get(e.callid, ""), agent, e.hold_s,
                                            e.ring_s, late, e.at, recovered=True))
        self.rows[e.callid, e.queue] = "answered"

    def completed(self, e: Completed) -> None:
        # Live or not: a call answered but never ended in the store ends here.
        if self.rows.get((e.callid, e.queue)) != "answered":
            return
        self.rows[e.callid, e.queue] = "ended"
        self.out.append(oc.CallCompleted(self.linkedid(e.callid), e.callid, e.queue,
                                         self.agent(e.agent), e.talk_s, e.ended_by, e.at))

    def left(self, e: Left) -> None:
        if self.rows.get((e.callid, e.queue)) not in (None, "waiting"):
            return  # seen live
        self.joined(e.callid, e.queue, e.at - e.wait_s)
        number = self.numbers.get(e.callid, "")
        if number and self.last_connect.get(number, -1.0) > e.at:
            number = ""  # got through later: no callback for them
        self.out.append(oc.CallAbandoned(e.queue, e.callid, self.linkedid(e.callid), e.wait_s,
                                         e.at, number))
        self.rows[e.callid, e.queue] = "abandoned"

    def exited(self, e: Left) -> None:
        """Live or not: how a caller left other than by hanging up, which AMI cannot
        tell (a timeout or an empty queue is an abandon there, a key exit nothing)."""
        if e.reason is not LeaveReason.ABANDON:
            self.out.append(oc.QueueExited(e.queue, e.callid, e.reason.value, e.wait_s, e.at))

    def rang_out(self, e: RingEnded) -> None:
        linkedid, agent = self.linkedid(e.callid), self.agent(e.agent)
        budget_ran_out = e.at - e.ring_s + self.rules.ring_budget_s
        for v in self.stored.violations:
            if (v.linkedid == linkedid and e.agent in (v.agent_name, v.agent_interface)
                    and abs(v.raised_at - budget_ran_out) <= SAME_VIOLATION_S):
                if v.leg_uniqueid not in self.settled:  # raised live, its end missed
                    self.settled.add(v.leg_uniqueid)
                    self.out.append(oc.ViolationSettled(v.leg_uniqueid, oc.ViolationKind.NO_ANSWER,
                                                        e.ring_s, e.at))
                return
        leg = ring_leg_id(e)
        if leg in self.legs:
            return
        self.legs.add(leg)
        self.settled.add(leg)
        result = oc.LegResult.CANCELLED if e.cancelled else oc.LegResult.NO_ANSWER
        self.out += [
            self.raised(leg, linkedid, e.queue, agent, budget_ran_out),
            oc.RingLegEnded(leg, linkedid, e.queue, agent, e.at - e.ring_s, e.ring_s, result, e.at),
            oc.ViolationSettled(leg, oc.ViolationKind.NO_ANSWER, e.ring_s, e.at),
        ]

    def raised(self, leg: str, linkedid: str, queue: str, agent: oc.AgentRef,
               at: float) -> oc.ViolationRaised:
        return oc.ViolationRaised(leg, linkedid, queue, agent, self.rules.ring_budget_s,
                                  self.rules.penalty_points, at)


def recover(entries: Sequence[Entry], stored: Stored, rules: RecoveryRules,
            live_from: float) -> list[oc.Outcome]:
    """The outcomes the daemon missed, in queue_log's order, each once."""
    return _Recovery(stored, rules, live_from).run(entries)
