"""The three-ring rule (振铃3声内接起), per agent leg.

A leg rings from AgentCalled until it is answered (AgentConnect), times out
(AgentRingNoAnswer), or is cancelled (another agent answered, the caller left, or
its channel hung up).  When a leg has rung for the whole budget it is a violation,
raised at that moment by `expire()`; how it ended settles its kind.
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
        self.legs: dict[str, RingingLeg] = {}

    def start(self, leg: RingingLeg) -> None:
        self.legs.setdefault(leg.leg_uniqueid, leg)

    def next_deadline(self) -> float | None:
        due = [leg.started_at + self.rules.ring_budget_s for leg in self.legs.values()
               if not leg.violated]
        return min(due) if due else None

    def expire(self, now: float) -> list[Outcome]:
        """Raise a violation for every leg that has just rung through the budget."""
        out: list[Outcome] = []
        budget = self.rules.ring_budget_s
        for leg in self.legs.values():
            if not leg.violated and now - leg.started_at >= budget:
                leg.violated = True
                out.append(self._raised(leg, leg.started_at + budget))
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
        leg = self.legs.pop(leg_uniqueid, None)
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

    def legs_of_caller(self, caller_uniqueid: str) -> list[str]:
        return [leg.leg_uniqueid for leg in self.legs.values()
                if leg.caller_uniqueid == caller_uniqueid]

    def legs_of_agent(self, interface: str) -> int:
        return sum(1 for leg in self.legs.values() if leg.agent.interface == interface)
