"""The tracker as the one owner of an agent's current call (`LiveView`), and the
bounds on what it remembers about calls, legs and callers."""

from __future__ import annotations

import dataclasses

import pytest

from callcenter.domain import events as ev
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.live_view import ActiveCall, CallBook, LiveView, PausedAgent
from callcenter.domain.replay import replay
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker

T0 = 1_800_000_000.0
AMY, BEN = oc.AgentRef("PJSIP/amy", "amy"), oc.AgentRef("PJSIP/ben", "ben")


def member(who: oc.AgentRef, *, queue: str = "q", status: int = 1, paused: bool = False,
           reason: str = "", in_call: bool = False) -> ev.MemberUpdated:
    return ev.MemberUpdated(queue, who.interface, who.name, status, paused, reason, in_call)


def setup(rules: RingRules | None = None) -> tuple[Tracker, ManualClock]:
    clock = ManualClock(T0)
    tracker = Tracker(rules or RingRules(), clock)
    tracker.handle(member(AMY))
    tracker.handle(member(BEN))
    return tracker, clock


def answer(tracker: Tracker, clock: ManualClock, who: oc.AgentRef, *, call: str = "c1",
           leg: str = "leg1", ring_s: float = 4.0, hold_s: float = 6.0,
           joined: bool = True) -> list[oc.Outcome]:
    """A caller joins, `who` rings for `ring_s` and answers."""
    out = tracker.handle(ev.CallerJoined("q", call, call, "13800138000", 1)) if joined else []
    out += tracker.handle(ev.AgentCalled("q", call, call, "13800138000", leg, who.interface,
                                         who.name))
    clock.advance(ring_s)
    out += tracker.handle(ev.CallerLeft("q", call, call))
    out += tracker.handle(ev.AgentConnected("q", call, call, "13800138000", leg,
                                            who.interface, who.name, hold_s, ring_s))
    return out


def completed(who: oc.AgentRef, call: str = "c1", leg: str = "leg1") -> ev.AgentCompleted:
    return ev.AgentCompleted("q", call, call, leg, who.interface, who.name, 60.0, "caller")


def kinds(out: list[oc.Outcome], kind: type) -> list[oc.Outcome]:
    return [o for o in out if isinstance(o, kind)]


def test_the_tracker_is_a_live_view() -> None:
    tracker, _ = setup()
    view: LiveView = tracker  # checked by mypy: the tracker implements the protocol
    assert view.current_call(AMY.interface) is None
    assert view.agents_available("q") == 2


def test_an_answered_call_is_the_agents_current_call_as_its_ticket_opened() -> None:
    tracker, clock = setup()
    out = answer(tracker, clock, AMY, ring_s=3.2004, hold_s=7.5)
    (ticket,) = kinds(out, oc.TicketOpened)
    call = tracker.current_call(AMY.interface)
    assert call == ActiveCall("c1", "c1", "q", "13800138000", AMY, late_answer=False,
                              ring_s=3.2, hold_s=7.5, answered_at=T0 + 3.2004)
    assert isinstance(ticket, oc.TicketOpened)
    assert (call.ring_s, call.owner, call.late_answer) == (ticket.ring_s, ticket.owner,
                                                           ticket.late_answer)
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.queue = "other"  # type: ignore[misc]
    assert tracker.current_call(BEN.interface) is None
    states = [(o.state, o.current_linkedid) for o in kinds(out, oc.AgentStateChanged)
              if isinstance(o, oc.AgentStateChanged) and o.agent == AMY]
    assert states[-1] == (oc.AgentState.ON_CALL, "c1")  # the outcome still carries it


def test_a_late_answer_is_marked_on_the_call() -> None:
    tracker, clock = setup()
    answer(tracker, clock, AMY, ring_s=16.0)
    call = tracker.current_call(AMY.interface)
    assert call is not None and call.late_answer and call.ring_s == 16.0


def test_completion_drops_the_call_and_starts_wrap_up() -> None:
    tracker, clock = setup()
    answer(tracker, clock, AMY)
    clock.advance(60)
    out = tracker.handle(completed(AMY))
    assert tracker.current_call(AMY.interface) is None
    assert not tracker.calls.live
    assert [o.state for o in kinds(out, oc.AgentStateChanged)
            if isinstance(o, oc.AgentStateChanged)] == [oc.AgentState.WRAP_UP]


def test_wrap_up_lasts_the_members_own_wrapuptime_else_the_rules() -> None:
    tracker, clock = setup(RingRules(wrapup_s=5.0))
    tracker.handle(dataclasses.replace(member(AMY), wrapup_s=12.0))  # Asterisk's member value
    for who, lasts in ((AMY, 12.0), (BEN, 5.0)):
        answer(tracker, clock, who, call=f"c-{who.name}", leg=f"l-{who.name}")
        clock.advance(30)
        tracker.handle(completed(who, call=f"c-{who.name}", leg=f"l-{who.name}"))
        clock.advance(lasts - 0.1)
        assert tracker.state_of(tracker.agents[who.interface]) is oc.AgentState.WRAP_UP
        clock.advance(0.2)
        assert tracker.state_of(tracker.agents[who.interface]) is oc.AgentState.AVAILABLE


@pytest.mark.parametrize(("paused_s", "states"), [
    # Unpaused inside the wrap-up: back in wrap-up until its end (Asterisk rings her
    # only from then: wrapuptime counts from the call's end, pausing does not stop it).
    (2.0, [("paused", 1.0), ("wrap_up", 3.0), ("available", 5.0)]),
    # The wrap-up ended while she was paused: available the moment she unpauses.
    (8.0, [("paused", 1.0), ("available", 9.0)]),
])
def test_a_pause_inside_the_wrap_up_neither_stops_nor_extends_it(
        paused_s: float, states: list[tuple[str, float]]) -> None:
    tracker, clock = setup(RingRules(wrapup_s=5.0))
    answer(tracker, clock, AMY)
    clock.advance(30)
    tracker.handle(completed(AMY))
    ended = clock.now()
    # The timers fire at the tracker's deadlines between events, as in the daemon.
    out = replay(tracker, clock, [(ended + 1, member(AMY, paused=True, reason="午休")),
                                  (ended + 1 + paused_s, member(AMY))], until=ended + 60)
    assert [(o.state.value, round(o.at - ended, 3)) for o in kinds(out, oc.AgentStateChanged)
            if isinstance(o, oc.AgentStateChanged)] == states
    assert tracker.state_of(tracker.agents[AMY.interface]) is oc.AgentState.AVAILABLE


def test_another_calls_completion_leaves_the_current_call_alone() -> None:
    tracker, clock = setup()
    answer(tracker, clock, AMY)
    tracker.handle(completed(AMY, call="old"))
    current = tracker.current_call(AMY.interface)
    assert current is not None and current.linkedid == "c1"


def test_the_device_going_idle_ends_the_call_for_that_agent() -> None:
    tracker, clock = setup()
    answer(tracker, clock, AMY)
    tracker.handle(member(AMY, status=2, in_call=True))  # still talking: kept
    assert tracker.current_call(AMY.interface) is not None
    tracker.handle(member(AMY, status=1, in_call=False))
    assert tracker.current_call(AMY.interface) is None


def test_a_transferred_caller_keeps_one_call_and_its_owner_for_both_agents() -> None:
    tracker, clock = setup()
    answer(tracker, clock, AMY)
    first = tracker.current_call(AMY.interface)
    clock.advance(30)
    # Attended: ben picks the caller up while amy is still on the line.
    out = answer(tracker, clock, BEN, leg="leg2", joined=False)
    assert not kinds(out, oc.TicketOpened)
    assert [(o.linkedid, o.agent) for o in kinds(out, oc.TicketParticipantAdded)
            if isinstance(o, oc.TicketParticipantAdded)] == [("c1", BEN)]
    assert tracker.current_call(BEN.interface) is first  # the same value, owner amy
    assert first is not None and first.owner == AMY
    tracker.handle(completed(AMY))
    assert tracker.current_call(AMY.interface) is None
    assert tracker.current_call(BEN.interface) is first  # ben is still on it
    tracker.handle(completed(BEN, leg="leg2"))
    assert tracker.current_call(BEN.interface) is None
    assert not tracker.calls.live and list(tracker.calls.ended) == ["c1"]


def test_a_blind_transfer_after_the_first_leg_ended_joins_the_same_call() -> None:
    """Asterisk frees amy's device before ben's AgentConnect: the call is retained."""
    tracker, clock = setup()
    answer(tracker, clock, AMY)
    first = tracker.current_call(AMY.interface)
    tracker.handle(member(AMY, status=1, in_call=False))
    assert tracker.current_call(AMY.interface) is None
    clock.advance(3 * 3600)  # well within the 4 h retention
    out = answer(tracker, clock, BEN, leg="leg2")
    assert kinds(out, oc.TicketParticipantAdded) and not kinds(out, oc.TicketOpened)
    assert tracker.current_call(BEN.interface) is first
    # Asterisk's late AgentComplete for amy (no Dest* fields) changes nothing for ben.
    tracker.handle(ev.AgentCompleted("q", "c1", "c1", "", AMY.interface, AMY.name, 90.0,
                                     "transfer"))
    assert tracker.current_call(BEN.interface) is first


def test_the_agents_next_call_replaces_one_whose_end_was_missed() -> None:
    tracker, clock = setup()
    answer(tracker, clock, AMY)
    clock.advance(120)
    answer(tracker, clock, AMY, call="c2", leg="leg2")
    current = tracker.current_call(AMY.interface)
    assert current is not None and current.linkedid == "c2"
    assert list(tracker.calls.live) == ["c2"] and list(tracker.calls.ended) == ["c1"]


def test_a_call_is_forgotten_after_the_retention_window() -> None:
    tracker, clock = setup(RingRules(call_retention_s=600.0))
    answer(tracker, clock, AMY)
    tracker.handle(completed(AMY))
    assert tracker.calls.next_expiry() == clock.now() + 600.0
    clock.advance(599)
    tracker.tick()
    assert "c1" in tracker.calls.ended
    clock.advance(1)
    tracker.tick()
    assert len(tracker.calls) == 0
    # A caller coming back now is a new ticket: the window is the documented bound.
    assert kinds(answer(tracker, clock, BEN, leg="leg2"), oc.TicketOpened)


def test_the_cap_forgets_the_oldest_ended_calls_first() -> None:
    book = CallBook(retention_s=3600.0, max_ended=2)
    for n in range(4):
        book.attach("PJSIP/amy", ActiveCall(f"c{n}", f"c{n}", "q", "1", AMY, False, 1.0, 1.0,
                                            float(n)), float(n))
    book.release("PJSIP/amy", 4.0)
    assert list(book.ended) == ["c2", "c3"] and not book.live


def test_agents_available_counts_only_that_queues_free_members() -> None:
    tracker, clock = setup()
    tracker.handle(member(BEN, queue="other"))
    assert (tracker.agents_available("q"), tracker.agents_available("other")) == (2, 1)
    answer(tracker, clock, AMY)
    assert tracker.agents_available("q") == 1
    tracker.handle(ev.MemberRemoved("q", BEN.interface, BEN.name))
    assert (tracker.agents_available("q"), tracker.agents_available("other")) == (0, 1)
    # A resync without amy in "q" takes her membership (and her count) away too.
    tracker.handle(ev.QueueSnapshot(("q", "other"), (member(BEN, queue="other"),)))
    assert tracker.agents_available("q") == 0 and "q" not in tracker._members
    assert tracker.agents_available("nowhere") == 0


def test_agents_paused_for_a_break_name_their_queues() -> None:
    tracker, _ = setup()
    carl = oc.AgentRef("PJSIP/carl", "carl")
    tracker.handle(member(BEN, paused=True, reason="午休"))
    tracker.handle(member(BEN, queue="other", paused=True, reason="Lunch"))
    tracker.handle(member(BEN, queue="third", paused=True, reason="training"))
    tracker.handle(member(AMY, paused=True, reason="LUNCH"))
    tracker.handle(member(carl, paused=True, reason="training"))
    assert tracker.agents_paused_for(["lunch", "午休"]) == [
        PausedAgent(AMY, "LUNCH", ("q",)),
        PausedAgent(BEN, "Lunch", ("other", "q")),  # not "third": not a break there
    ]
    # Paused but ringing (or on a call) is not on a break.
    tracker.handle(ev.AgentCalled("q", "c1", "c1", "1", "leg1", AMY.interface, AMY.name))
    assert [p.ref for p in tracker.agents_paused_for({"lunch"})] == [BEN]
    assert tracker.agents_paused_for(()) == []
