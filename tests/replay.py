"""Load recorded AMI streams and replay them through the tracker."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callcenter.ami.translate import (
    live_channels,
    member_of_channel,
    translate,
    translate_callback,
)
from callcenter.domain import attempts as at
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


# -- callback attempts: recorded Originate streams through the attempt state machine --

def load_fixture(family: str, scenario: str) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads(
        (FIXTURES / family / f"{scenario}.json").read_text(encoding="utf-8"))
    return fixture


def originated(fixture: dict[str, Any]) -> list[tuple[float, at.AttemptRef]]:
    """The attempts the recorder originated, as the dialer registers them."""
    return [(T0 + o["t"], at.AttemptRef(o["attempt_id"], o["campaign_id"], o["action"]["ChannelId"],
                                        o["action"]["ActionID"], o["phone"], at.Mode(o["mode"])))
            for o in fixture["originated"]]


@dataclass
class CallbackRun:
    """A replay's decisions, and what the store would hold after carrying them out."""

    clock: ManualClock
    machine: at.Attempts
    decisions: list[at.Decision] = field(default_factory=list)
    under_way: dict[str, at.Pending] = field(default_factory=dict)  # the store's `dialing`
    asked: list[at.AttemptRef] = field(default_factory=list)  # AskAgent: Getvar sent

    def take(self, decisions: list[at.Decision]) -> None:
        for d in decisions:
            self.decisions.append(d)
            if isinstance(d, at.AskAgent):
                self.asked.append(d.ref)
            elif isinstance(d, at.MarkAnswered):
                self.under_way[d.ref.uniqueid] = at.Pending(d.ref, answered=True)
            elif isinstance(d, at.FINAL):
                self.under_way.pop(d.ref.uniqueid, None)

    def run_timers(self, upto: float) -> None:
        deadline = self.machine.next_deadline()
        while deadline is not None and deadline <= upto:
            self.clock.set(max(self.clock.now(), deadline))
            self.take(self.machine.tick())
            deadline = self.machine.next_deadline()


def run_callbacks(fixture: dict[str, Any], *, skip: int = 0, restart: bool = False,
                  settle_s: float = 2.0) -> CallbackRun:
    """Replay as the daemon lives it: attempts registered before their Originate,
    only the followed channels' messages translated, the Originate reply lost with
    the link (or the whole process, `restart`), reconciliation when CoreShowChannels'
    reply is complete.  `skip` drops the first messages of the stream (a reply list is
    taken whole or not at all)."""
    clock = ManualClock(T0)
    run = CallbackRun(clock, at.Attempts(clock))
    link = fixture.get("link")
    listing_id = link["reconcile"]["ActionID"] if link else None
    member_id = link["member"]["ActionID"] if link and "member" in link else None
    listing = [r["event"] for r in fixture["events"] if r["event"].get("ActionID") == listing_id]
    timeline: list[tuple[float, int, Any]] = [(t, 0, ref) for t, ref in originated(fixture)]
    if link:
        timeline.append((T0 + link["lost_at"], 1, None))
    timeline += [(T0 + r["t"], 2, r["event"]) for r in fixture["events"][skip:]]
    timeline.sort(key=lambda item: (item[0], item[1]))  # stable: wire order within a time
    for when, kind, item in timeline:
        run.run_timers(when)
        clock.set(max(clock.now(), when))
        if kind == 0:
            run.machine.dialing(item)
            run.under_way[item.uniqueid] = at.Pending(item, answered=False)
        elif kind == 1 and restart:  # the process died with the link: a new machine
            run.machine = at.Attempts(clock)
        elif kind == 1:  # the Originate replies in flight fail (AmiConnectionLost)
            for uniqueid in list(run.under_way):
                run.take(run.machine.reply_lost(uniqueid))
        elif item.get("ActionID") == listing_id and listing_id is not None:
            if item.get("Event") == "CoreShowChannelsComplete":
                run.take(run.machine.reconcile(list(run.under_way.values()), live_channels(listing)))
        elif item.get("ActionID") == member_id and member_id is not None:
            for ref in run.asked:  # the reply to the Getvar the dialer sends when asked
                if (member := member_of_channel(ref.uniqueid, item)) is not None:
                    run.take(run.machine.handle(member))
        elif item.get("Uniqueid", "") in run.machine.watched:
            event = translate_callback(item)
            if event is not None:
                run.take(run.machine.handle(event))
    end = max((t for t, _, _ in timeline), default=T0) + settle_s
    run.run_timers(end)
    clock.set(max(clock.now(), end))
    return run


def describe_decision(d: at.Decision) -> str:
    match d:
        case at.MarkAnswered():
            return "answered"
        case at.AgentTook():
            return f"agent {d.interface}"
        case at.AwaitAgentOutcome():
            return f"ended: the agent records the outcome (cause={d.cause})"
        case at.RecordNetworkOutcome():
            return f"{d.outcome.value} (reason={d.reason} cause={d.cause})"
        case at.MarkVanished():
            return "vanished: review"
        case at.FollowedAgain():
            return f"followed again (answered={d.answered})"
        case at.AskAgent():
            return "asks the channel for its agent"


def decision_lines(decisions: list[at.Decision]) -> list[str]:
    return [describe_decision(d) for d in decisions]
