"""While the AMI link is down the tracker cannot see a ringing leg end: it must not
time it on and raise a violation for an agent who may have answered in 2 s (seen on
the real Asterisk with the link cut: tests/integration/test_recovery_live.py).  A leg
already through its budget keeps its violation; a leg still ringing after the
reconnect is reported again by its own end event."""

from __future__ import annotations

from callcenter.domain import events as ev
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.replay import replay
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker

T0 = 1_800_000_000.0


def _tracker() -> tuple[Tracker, ManualClock]:
    clock = ManualClock(T0)
    tracker = Tracker(RingRules(), clock)
    for interface, name in (("Local/1@a", "alice"), ("Local/2@a", "bob")):
        tracker.handle(ev.MemberUpdated("support", interface, name, 1, False, "", False, None))
    tracker.handle(ev.CallerJoined("support", "c.1", "c.1", "13800138000", 1))
    return tracker, clock


def _called(tracker: Tracker, leg: str, interface: str, name: str) -> None:
    tracker.handle(ev.AgentCalled("support", "c.1", "c.1", "13800138000", leg, interface, name))


def _violations(outcomes: list[oc.Outcome]) -> list[str]:
    return [o.agent.name for o in outcomes if isinstance(o, oc.ViolationRaised)]


def test_a_leg_ringing_when_the_link_drops_is_not_timed_on() -> None:
    tracker, clock = _tracker()
    _called(tracker, "c.2", "Local/1@a", "alice")
    clock.advance(3)
    lost = tracker.link_lost()
    assert [(o.agent.name, o.state) for o in lost if isinstance(o, oc.AgentStateChanged)] \
        == [("alice", oc.AgentState.AVAILABLE)]
    later = replay(tracker, clock, [], until=T0 + 60)
    assert _violations(later) == []
    # Still ringing after the reconnect: its answer comes with Asterisk's ring time.
    clock.set(T0 + 61)
    answered = tracker.handle(ev.AgentConnected("support", "c.1", "c.1", "13800138000", "c.2",
                                                "Local/1@a", "alice", 61.0, 16.0))
    assert _violations(answered) == ["alice"]


def test_a_leg_already_through_its_budget_keeps_its_violation() -> None:
    tracker, clock = _tracker()
    _called(tracker, "c.2", "Local/1@a", "alice")
    raised = replay(tracker, clock, [], until=T0 + 16)
    assert _violations(raised) == ["alice"]
    _called(tracker, "c.3", "Local/2@a", "bob")
    tracker.link_lost()
    assert list(tracker.ring.legs) == ["c.2"]
    assert _violations(replay(tracker, clock, [], until=T0 + 60)) == []
