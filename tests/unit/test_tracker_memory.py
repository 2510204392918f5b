"""Memory stays flat: every map the tracker keeps is bounded over a million calls.

The calls are built directly as domain events (no wire messages) and fed with a
ManualClock moving on, ticking as the daemon's timer would.  Sizes are asserted,
never timings.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from callcenter.domain import events as ev
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker

T0 = 1_800_000_000.0
QUEUES = ("sales", "support", "billing", "vip")
AGENTS_PER_QUEUE = 3
STEP_S = 3.0  # one call starts every 3 s: a million calls span about 35 days
# The queue samples wake the daemon's timer at least this often, so its tick()
# (which expires legs, callers and calls) runs at least this often too; the
# longest interval the settings allow keeps the test quick.
RULES = RingRules(sample_interval_s=10.0)
TICK_S = RULES.sample_interval_s
TRANSFER_LATER_S = 3600.0  # a blind transfer connecting an hour after the first leg ended


@dataclass
class Figures:
    calls: int = 0
    answered: int = 0
    transfers: int = 0
    tickets_opened: int = 0
    participants_added: int = 0
    late_transfers_checked: int = 0
    biggest: dict[str, int] = field(default_factory=dict)


def sizes(tracker: Tracker) -> dict[str, int]:
    """Every long-lived map, by name."""
    calls, ring = tracker.calls, tracker.ring
    return {
        "queues": len(tracker.queues),
        "agents": len(tracker.agents),
        "members": sum(len(m) for m in tracker._members.values()),
        "waiting": sum(len(q.waiting) for q in tracker.queues.values()),
        "legs": len(ring.legs),
        "legs_by_caller": len(ring._by_caller),
        "legs_by_agent": len(ring._by_agent),
        "calls_live": len(calls.live),
        "calls_agents_on": len(calls._agents_on),
        "calls_by_agent": len(calls._call_of),
        "calls_ended": len(calls.ended),
        "dirty_queues": len(tracker._dirty_queues),
    }


class Simulation:
    def __init__(self, rules: RingRules) -> None:
        self.rules = rules
        self.clock = ManualClock(T0)
        self.tracker = Tracker(rules, self.clock)
        self.figures = Figures()
        self.next_tick = T0
        self.agents = {q: [oc.AgentRef(f"PJSIP/{q}{n}", f"{q}{n}")
                           for n in range(AGENTS_PER_QUEUE)] for q in QUEUES}
        self.later: deque[tuple[float, str, str, oc.AgentRef]] = deque()
        for queue, members in self.agents.items():
            for a in members:
                self.handle(ev.MemberUpdated(queue, a.interface, a.name, 1, False, "", False))

    def handle(self, event: ev.Event) -> list[oc.Outcome]:
        out = self.tracker.handle(event)
        for o in out:
            if type(o) is oc.TicketOpened:
                self.figures.tickets_opened += 1
            elif type(o) is oc.TicketParticipantAdded:
                self.figures.participants_added += 1
        return out

    def at(self, t: float) -> None:
        """Move the clock, ticking on the way as the daemon's timer does."""
        while self.next_tick <= t:
            self.clock.set(max(self.clock.now(), self.next_tick))
            self.tracker.tick()
            self.next_tick += TICK_S
        self.clock.set(max(self.clock.now(), t))

    def call(self, n: int) -> None:
        f = self.figures
        f.calls += 1
        queue = QUEUES[n % len(QUEUES)]
        members = self.agents[queue]
        agent = members[(n // len(QUEUES)) % AGENTS_PER_QUEUE]
        u = f"{T0 + n:.0f}.{n}"  # uniqueid == linkedid for the caller's channel
        number = f"138{n % 100_000_000:08d}"
        start = T0 + n * STEP_S
        kind = n % 100
        self.at(start)
        self.handle(ev.CallerJoined(queue, u, u, number, 1))
        self.at(start + 0.2)
        self.handle(ev.AgentCalled(queue, u, u, number, f"{u}-a", agent.interface, agent.name))
        if kind < 8:  # abandoned while ringing
            self.at(start + 1.0)
            self.handle(ev.CallerAbandoned(queue, u, u, 1.0))
            self.handle(ev.ChannelHungUp(u, u, 16))
            return
        if kind == 8:  # every event after the ring lost: leg and caller must expire
            return
        ring_s = 16.0 if kind == 9 else 1.0  # now and then a late answer
        self.at(start + 0.2 + ring_s)
        self.handle(ev.CallerLeft(queue, u, u))
        self.handle(ev.AgentConnected(queue, u, u, number, f"{u}-a", agent.interface,
                                      agent.name, 0.2 + ring_s, ring_s))
        f.answered += 1
        if kind in (10, 11):  # completion never seen: the agent's next call replaces it
            return
        if kind == 12:  # blind transfer, connected an hour after amy's device went idle
            self.handle(ev.MemberUpdated(queue, agent.interface, agent.name, 1, False, "",
                                         False))
            other = members[(members.index(agent) + 1) % AGENTS_PER_QUEUE]
            self.later.append((self.clock.now() + TRANSFER_LATER_S, queue, u, other))
            return
        if kind == 13:  # attended transfer: the second agent answers at once
            other = members[(members.index(agent) + 1) % AGENTS_PER_QUEUE]
            self.handle(ev.AgentCalled(queue, u, u, number, f"{u}-b", other.interface,
                                       other.name))
            self.handle(ev.AgentConnected(queue, u, u, number, f"{u}-b", other.interface,
                                          other.name, 1.0, 0.5))
            self.handle(ev.AgentCompleted(queue, u, u, f"{u}-a", agent.interface, agent.name,
                                          1.0, "transfer"))
            self.handle(ev.AgentCompleted(queue, u, u, f"{u}-b", other.interface, other.name,
                                          1.0, "caller"))
            f.transfers += 1
        else:
            self.handle(ev.AgentCompleted(queue, u, u, f"{u}-a", agent.interface, agent.name,
                                          1.0, "caller"))
        self.handle(ev.ChannelHungUp(u, u, 16))

    def due_transfers(self) -> None:
        while self.later and self.later[0][0] <= self.clock.now():
            _, queue, u, other = self.later.popleft()
            self.handle(ev.CallerJoined(queue, u, u, "", 1))
            self.handle(ev.AgentCalled(queue, u, u, "", f"{u}-b", other.interface, other.name))
            self.handle(ev.CallerLeft(queue, u, u))
            out = self.handle(ev.AgentConnected(queue, u, u, "", f"{u}-b", other.interface,
                                                other.name, 1.0, 0.5))
            # Within the retention window: the same ticket, not a second one.
            assert any(type(o) is oc.TicketParticipantAdded for o in out), u
            assert not any(type(o) is oc.TicketOpened for o in out), u
            current = self.tracker.current_call(other.interface)
            assert current is not None and current.linkedid == u and current.owner != other
            self.handle(ev.AgentCompleted(queue, u, u, f"{u}-b", other.interface, other.name,
                                          1.0, "caller"))
            self.handle(ev.ChannelHungUp(u, u, 16))
            self.figures.transfers += 1
            self.figures.late_transfers_checked += 1

    def run(self, calls: int, check_every: int = 9_973) -> Figures:
        for n in range(calls):
            self.call(n)
            self.due_transfers()
            if n % check_every == check_every - 1:
                self.check()
        self.check()
        return self.figures

    def check(self) -> None:
        now = sizes(self.tracker)
        for name, size in now.items():
            self.figures.biggest[name] = max(self.figures.biggest.get(name, 0), size)
        agents = len(QUEUES) * AGENTS_PER_QUEUE
        # Calls started within a window, for each window-based bound.
        def started_within(seconds: float) -> int:
            return int(seconds / STEP_S) + 1
        bounds = {
            "queues": len(QUEUES),
            "agents": agents,
            "members": agents,
            # Lost callers (1 in 100) live waiting_stale_s, plus a sampling tick's slack.
            "waiting": started_within(self.rules.waiting_stale_s + TICK_S) // 100 + 2,
            # Lost legs (1 in 100) live leg_expiry_s; a few more are ringing right now.
            "legs": started_within(self.rules.leg_expiry_s + TICK_S) // 100 + 3,
            "legs_by_caller": started_within(self.rules.leg_expiry_s + TICK_S) // 100 + 3,
            "legs_by_agent": agents,
            "calls_live": agents,  # at most one call per agent
            "calls_agents_on": agents,
            "calls_by_agent": agents,
            "calls_ended": started_within(self.rules.call_retention_s + TICK_S),
            "dirty_queues": 0,
        }
        assert now.keys() == bounds.keys()
        over = {k: (now[k], bounds[k]) for k in now if now[k] > bounds[k]}
        assert not over, over


def test_a_million_calls_keep_every_map_bounded() -> None:
    rules = RULES
    sim = Simulation(rules)
    figures = sim.run(1_000_000)
    sim.at(sim.clock.now() + TRANSFER_LATER_S + 1)
    sim.due_transfers()
    assert figures.calls == 1_000_000
    assert figures.late_transfers_checked == 10_000
    # One ticket per answered caller; every transfer is a participant, never a ticket.
    assert figures.tickets_opened == figures.answered
    assert figures.participants_added == figures.transfers == 20_000
    # After a quiet retention window nothing about any call is left.
    sim.at(sim.clock.now() + rules.call_retention_s + rules.waiting_stale_s)
    left = sizes(sim.tracker)
    assert {k: left[k] for k in ("waiting", "legs", "legs_by_caller", "legs_by_agent",
                                 "calls_ended", "dirty_queues")} == dict.fromkeys(
        ("waiting", "legs", "legs_by_caller", "legs_by_agent", "calls_ended",
         "dirty_queues"), 0)
    # Only the calls whose completion was never seen are still some agent's call,
    # one per agent at most, until that agent's next call or its device going idle.
    assert left["calls_live"] <= len(QUEUES) * AGENTS_PER_QUEUE


def test_a_leg_whose_end_was_lost_is_ended_and_the_agent_is_free_again() -> None:
    clock = ManualClock(T0)
    tracker = Tracker(RingRules(ring_stale_s=120.0), clock)
    tracker.handle(ev.MemberUpdated("q", "PJSIP/amy", "amy", 1, False, "", False))
    tracker.handle(ev.AgentCalled("q", "c1", "c1", "1", "leg1", "PJSIP/amy", "amy"))
    assert tracker.ring.next_deadline() == T0 + 15.0  # the budget first
    clock.set(T0 + 15.0)
    assert [type(o) for o in tracker.tick() if isinstance(o, oc.ViolationRaised)]
    assert tracker.ring.next_deadline() == T0 + 120.0  # then the leg's expiry
    clock.set(T0 + 120.0)
    out = tracker.tick()
    ended = [o for o in out if isinstance(o, oc.RingLegEnded)]
    assert [(o.result, o.ring_s) for o in ended] == [(oc.LegResult.CANCELLED, 120.0)]
    assert [o.kind for o in out if isinstance(o, oc.ViolationSettled)] == [
        oc.ViolationKind.NO_ANSWER]
    assert [o.state for o in out if isinstance(o, oc.AgentStateChanged)] == [
        oc.AgentState.AVAILABLE]
    assert not tracker.ring.legs and tracker.ring.legs_of_agent("PJSIP/amy") == 0


def test_a_leg_is_never_taken_as_lost_before_its_budget_ran_out() -> None:
    assert RingRules(ring_stale_s=5.0).leg_expiry_s == RingRules().ring_budget_s


def test_a_caller_whose_leave_was_lost_stops_counting_as_waiting() -> None:
    clock = ManualClock(T0)
    tracker = Tracker(RingRules(waiting_stale_s=600.0), clock)
    tracker.handle(ev.CallerJoined("q", "lost", "lost", "1", 1))
    clock.set(T0 + 300.0)
    tracker.handle(ev.CallerJoined("q", "new", "new", "2", 2))
    clock.set(T0 + 600.0)
    out = tracker.tick()
    assert list(tracker.queues["q"].waiting) == ["new"]
    changed = [o for o in out if isinstance(o, oc.QueueChanged)]
    assert [(o.waiting, o.oldest_joined_at) for o in changed] == [(1, T0 + 300.0)]
    assert not [o for o in out if isinstance(o, oc.CallAbandoned)]  # we do not know


def test_a_resync_empties_a_queue_asterisk_no_longer_has() -> None:
    clock = ManualClock(T0)
    tracker = Tracker(RingRules(), clock)
    tracker.handle(ev.CallerJoined("gone", "c1", "c1", "1", 1))
    tracker.handle(ev.QueueSnapshot(("q",)))
    assert not tracker.queues["gone"].waiting
