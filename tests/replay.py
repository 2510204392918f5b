"""Load recorded AMI streams and replay them through the tracker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from callcenter.ami.translate import translate
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.replay import replay
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker

FIXTURES = Path(__file__).parent / "fixtures"
T0 = 1_800_000_000.0  # replays run on a fixed clock, far from the recording day


def load(family: str, scenario: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / family / f"{scenario}.json").read_text(encoding="utf-8"))
    records: list[dict[str, Any]] = data["events"]
    return records


def stream(records: list[dict[str, Any]]) -> list[tuple[float, Any]]:
    return [(T0 + r["t"], translate(r["event"])) for r in records]


def run(records: list[dict[str, Any]], rules: RingRules | None = None,
        settle_s: float = 0.0) -> tuple[Tracker, list[oc.Outcome]]:
    clock = ManualClock(T0 + (records[0]["t"] if records else 0.0))
    tracker = Tracker(rules or RingRules(), clock)
    events = stream(records)
    end = (events[-1][0] if events else T0) + settle_s
    return tracker, replay(tracker, clock, events, until=end)


def describe(o: oc.Outcome) -> str:
    """One readable line per outcome; times relative to the recording's start."""
    match o:
        case oc.CallJoined():
            return f"joined {o.queue} {o.caller_number}"
        case oc.CallAbandoned():
            return f"abandoned {o.queue} waited={o.waited_s:g}"
        case oc.CallAnswered():
            return f"answered {o.queue} by {o.agent.name} ring={o.ring_s:.0f} late={o.late_answer}"
        case oc.TicketOpened():
            return (f"ticket {o.queue} owner={o.owner.name} caller={o.caller_number} "
                    f"hold={o.hold_s:g} ring={o.ring_s:.0f} apologise={o.late_answer}")
        case oc.TicketParticipantAdded():
            return f"participant {o.agent.name} via {o.queue}"
        case oc.CallCompleted():
            return f"completed {o.queue} {o.agent.name} talk={o.talk_s:g} by={o.hangup_by}"
        case oc.RingLegEnded():
            return f"leg {o.agent.name} {o.result.value} ring={o.ring_s:.0f}"
        case oc.ViolationRaised():
            return f"VIOLATION {o.agent.name} at +{o.at - T0:.0f}s penalty={o.penalty_points}"
        case oc.ViolationSettled():
            return f"settled {o.kind.value} ring={o.ring_s:.0f}"
        case oc.AgentStateChanged():
            reason = f"({o.reason})" if o.reason else ""
            return f"{o.agent.name}: {o.state.value}{reason}"
        case _:
            return type(o).__name__


def domain_lines(outcomes: list[oc.Outcome]) -> list[str]:
    """Everything but the queue-picture bookkeeping (samples, live counts)."""
    return [describe(o) for o in outcomes
            if not isinstance(o, oc.QueueSampled | oc.QueueChanged)]
