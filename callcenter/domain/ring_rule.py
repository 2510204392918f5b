"""The three-ring rule (振铃3声内接起), per agent leg.

A leg rings from AgentCalled until it is answered (AgentConnect), times out
(AgentRingNoAnswer), or is cancelled (another agent answered, the caller left, or
its channel hung up).  When a leg has rung for the whole budget it is a violation,
raised at that moment by `expire()`; how it ended settles its kind.  A leg whose
end we never saw is ended as cancelled by `expire()` once it has rung for
`RingRules.leg_expiry_s`, so `legs` cannot grow with lost events.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.domain.outcomes import (
    AgentRef,
    LegResult,
    Outcome,
    RingLegEnded,
    ViolationKind,
    ViolationRaised,
    ViolationSettled,
)
from callcenter.domain.rules import RingRules


@dataclass(slots=True)
class RingingLeg:
    leg_uniqueid: str
    caller_uniqueid: str
    linkedid: str
    queue: str
    agent: AgentRef
    started_at: float
    violated: bool = False


class RingRule:
    def __init__(self, rules: RingRules) -> None:
        self.rules = rules
        self.legs: dict[str, RingingLeg] = {}  # read-only outside: start/end keep the indexes
        # Indexes, so a caller's or an agent's legs are found without walking every
        # leg (the tracker asks for each member of a queue on every queue event).
        # caller -> its legs in the order they started: a dict used as an ordered set,
        # so cancelling them emits outcomes in a reproducible order.
        self._by_caller: dict[str, dict[str, None]] = {}
        self._by_agent: dict[str, int] = {}  # interface -> legs ringing

    def start(self, leg: RingingLeg) -> None:
        if leg.leg_uniqueid in self.legs:
            return
        self.legs[leg.leg_uniqueid] = leg
        self._by_caller.setdefault(leg.caller_uniqueid, {})[leg.leg_uniqueid] = None
        interface = leg.agent.interface
        self._by_agent[interface] = self._by_agent.get(interface, 0) + 1

    def _pop(self, leg_uniqueid: str) -> RingingLeg | None:
        leg = self.legs.pop(leg_uniqueid, None)
        if leg is None:
            return None
        of_caller = self._by_caller[leg.caller_uniqueid]
        del of_caller[leg_uniqueid]
        if not of_caller:
            del self._by_caller[leg.caller_uniqueid]
        interface = leg.agent.interface
        if self._by_agent[interface] > 1:
            self._by_agent[interface] -= 1
        else:
            del self._by_agent[interface]
        return leg

    def next_deadline(self) -> float | None:
        """When `expire` next has something to do: a budget running out, or a
        violated leg rung so long that its end was lost."""
        budget, expiry = self.rules.ring_budget_s, self.rules.leg_expiry_s
        return min((leg.started_at + (expiry if leg.violated else budget)
                    for leg in self.legs.values()), default=None)

    def expire(self, now: float) -> list[Outcome]:
        """Raise a violation for every leg that has just rung through the budget,
        and end as cancelled every leg that rang too long to be still ringing."""
        out: list[Outcome] = []
        budget = self.rules.ring_budget_s
        lost: list[str] = []
        for leg in self.legs.values():
            if not leg.violated and now - leg.started_at >= budget:
                leg.violated = True
                out.append(self._raised(leg, leg.started_at + budget))
            if now - leg.started_at >= self.rules.leg_expiry_s:
                lost.append(leg.leg_uniqueid)
        for leg_uniqueid in lost:
            out += self.end(leg_uniqueid, LegResult.CANCELLED, now)
        return out

    def _raised(self, leg: RingingLeg, at: float) -> ViolationRaised:
        return ViolationRaised(
            leg_uniqueid=leg.leg_uniqueid, linkedid=leg.linkedid, queue=leg.queue,
            agent=leg.agent, budget_s=self.rules.ring_budget_s,
            penalty_points=self.rules.late_answer_penalty, at=at,
        )

    def end(self, leg_uniqueid: str, result: LegResult, now: float,
            reported: RingingLeg | None = None, reported_ring_s: float | None = None
            ) -> list[Outcome]:
        """End a leg.  `reported` describes a leg we never saw start (attached
        mid-call); its ring time then comes from Asterisk's own figure."""
        leg = self._pop(leg_uniqueid)
        if leg is not None:
            ring_s = now - leg.started_at
        elif reported is not None and reported_ring_s is not None:
            leg, ring_s = reported, reported_ring_s
        else:
            return []
        out: list[Outcome] = []
        late = ring_s >= self.rules.ring_budget_s
        if late and not leg.violated:  # the tick did not come first (replay, or attach)
            leg.violated = True
            out.append(self._raised(leg, min(now, leg.started_at + self.rules.ring_budget_s)))
        out.append(RingLegEnded(leg.leg_uniqueid, leg.linkedid, leg.queue, leg.agent,
                                leg.started_at, round(ring_s, 3), result, now))
        if leg.violated:
            kind = (ViolationKind.LATE_ANSWER if result is LegResult.ANSWERED
                    else ViolationKind.NO_ANSWER)
            out.append(ViolationSettled(leg.leg_uniqueid, kind, round(ring_s, 3), now))
        return out

    def forget_unviolated(self) -> list[str]:
        """The AMI link is gone: a leg not yet through its budget may be answered, rung
        out or cancelled without our hearing; timing it on would raise a violation for
        an agent who may have answered in 2 s.  Such legs are forgotten (their own end
        event still reports them after a reconnect, with Asterisk's ring time, and
        queue_log's lines those that ended meanwhile).  A leg already violated stays:
        that violation is true.  Returns the agents whose legs were forgotten."""
        gone = [leg for leg in self.legs.values() if not leg.violated]
        for leg in gone:
            self._pop(leg.leg_uniqueid)
        return [leg.agent.interface for leg in gone]

    def legs_of_caller(self, caller_uniqueid: str) -> list[str]:
        return list(self._by_caller.get(caller_uniqueid, ()))

    def legs_of_agent(self, interface: str) -> int:
        return self._by_agent.get(interface, 0)
