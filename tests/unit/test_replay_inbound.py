"""Recorded AMI streams from the real test bed, replayed through the tracker:
the full list of domain outcomes, and survival when attached mid-call."""

from __future__ import annotations

import itertools
from zoneinfo import ZoneInfo

import pytest

from callcenter.domain import outcomes as oc
from callcenter.domain.kpi_intervals import IntervalAggregator
from callcenter.domain.wallboard import Wallboard
from tests.replay import T0, domain_lines, load, run

EXPECTED = {
    "answered_in_time": [
        "alice: available",
        "joined support 13800138000",
        "alice: ringing",
        "alice: on_call",
        "leg alice answered ring=4",
        "answered support by alice ring=4 late=False",
        "ticket support owner=alice caller=13800138000 hold=4 ring=4 apologise=False",
        "completed support alice talk=6 by=caller",
        "alice: wrap_up",
    ],
    "answered_late": [
        "alice: available",
        "joined support 13900139000",
        "alice: ringing",
        "VIOLATION alice at +15s penalty=5",
        "alice: on_call",
        "leg alice answered ring=16",
        "settled late_answer ring=16",
        "answered support by alice ring=16 late=True",
        "ticket support owner=alice caller=13900139000 hold=16 ring=16 apologise=True",
        "completed support alice talk=6 by=caller",
        "alice: wrap_up",
    ],
    "ring_timeout": [
        "alice: available",
        "joined support 13700137000",
        "alice: ringing",
        "VIOLATION alice at +15s penalty=5",
        "leg alice no_answer ring=20",
        "settled no_answer ring=20",
        "alice: available",
        "alice: ringing",
        "leg alice cancelled ring=1",
        "alice: available",
        "abandoned support waited=24",
    ],
    "ringall_answered_elsewhere": [
        "alice: available",
        "bob: available",
        "joined support 13600136000",
        "bob: ringing",
        "alice: ringing",
        "VIOLATION bob at +15s penalty=5",
        "VIOLATION alice at +15s penalty=5",
        "leg alice cancelled ring=16",
        "settled no_answer ring=16",
        "alice: available",
        "bob: on_call",
        "leg bob answered ring=16",
        "settled late_answer ring=16",
        "answered support by bob ring=16 late=True",
        "ticket support owner=bob caller=13600136000 hold=16 ring=16 apologise=True",
        "completed support bob talk=6 by=caller",
        "bob: wrap_up",
    ],
    "caller_abandons_while_ringing": [
        "alice: available",
        "joined support 13500135000",
        "alice: ringing",
        "leg alice cancelled ring=8",
        "alice: available",
        "abandoned support waited=8",
    ],
    "transfer_to_second_agent": [
        "alice: available",
        "bob: available",
        "joined support 13400134000",
        "alice: ringing",
        "alice: on_call",
        "leg alice answered ring=3",
        "answered support by alice ring=3 late=False",
        "ticket support owner=alice caller=13400134000 hold=3 ring=3 apologise=False",
        "joined complaints 13400134000",
        "bob: ringing",
        "alice: wrap_up",
        "leg bob answered ring=3",
        "answered complaints by bob ring=3 late=False",
        "participant bob via complaints",
        "bob: on_call",
        "alice: available",
        "completed support alice talk=13 by=caller",
        "completed complaints bob talk=8 by=caller",
        "bob: wrap_up",
    ],
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_replay_gives_every_outcome(scenario: str) -> None:
    _tracker, outcomes = run(load("inbound", scenario))
    assert domain_lines(outcomes) == EXPECTED[scenario]


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_violation_is_raised_live_at_the_budget(scenario: str) -> None:
    _tracker, outcomes = run(load("inbound", scenario))
    for raised in (o for o in outcomes if isinstance(o, oc.ViolationRaised)):
        # AgentCalled came at ~0 s: the budget ran out 15 s later, before the leg ended.
        assert raised.at - T0 == pytest.approx(15.0, abs=0.1)
    settled = [o.leg_uniqueid for o in outcomes if isinstance(o, oc.ViolationSettled)]
    raised_ids = [o.leg_uniqueid for o in outcomes if isinstance(o, oc.ViolationRaised)]
    assert sorted(settled) == sorted(raised_ids)


def _cut_points(n: int) -> list[int]:
    return sorted({1, n // 4, n // 3, n // 2, (2 * n) // 3, (3 * n) // 4, n - 1} - {0})


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_replay_with_head_cut_off_survives(scenario: str) -> None:
    """Attach mid-call at many points: no crash, no duplicate tickets or violations,
    and every ticket/violation seen is one the full replay also produced."""
    records = load("inbound", scenario)
    _t, full = run(records)
    full_tickets = {(o.linkedid, o.owner.interface) for o in full if isinstance(o, oc.TicketOpened)}
    full_violations = {o.leg_uniqueid for o in full if isinstance(o, oc.ViolationRaised)}
    for cut in _cut_points(len(records)):
        tracker, outcomes = run(records[cut:])
        tickets = [o for o in outcomes if isinstance(o, oc.TicketOpened)]
        assert len({t.linkedid for t in tickets}) == len(tickets)
        for t in tickets:
            # The owner may differ only when we attached after the first answer
            # (transfer): then the first agent we see is all we can know.
            assert t.linkedid in {linkedid for linkedid, _ in full_tickets}
        raised = [o.leg_uniqueid for o in outcomes if isinstance(o, oc.ViolationRaised)]
        assert len(set(raised)) == len(raised)
        assert set(raised) <= full_violations
        board = _fed(Wallboard(ZoneInfo("Asia/Shanghai"), tracker.clock, 5.0), outcomes)
        for name, figures in board.queues.items():
            assert figures.abandoned == sum(1 for o in outcomes if isinstance(o, oc.CallAbandoned)
                                            and o.queue == name)


def test_attach_mid_ring_uses_asterisks_ring_time() -> None:
    """Cut just after AgentCalled of the late answer: the tracker never saw the leg
    start, yet Asterisk's RingTime (seconds) still makes it a late answer."""
    records = load("inbound", "answered_late")
    first_connect = next(i for i, r in enumerate(records) if r["event"]["Event"] == "AgentConnect")
    _t, outcomes = run(records[first_connect:])
    opened = [o for o in outcomes if isinstance(o, oc.TicketOpened)]
    assert len(opened) == 1 and opened[0].late_answer and opened[0].ring_s == 16
    kinds = [o.kind for o in outcomes if isinstance(o, oc.ViolationSettled)]
    assert kinds == [oc.ViolationKind.LATE_ANSWER]


def test_ring_no_answer_milliseconds_are_converted() -> None:
    records = load("inbound", "ring_timeout")
    no_answer = next(r for r in records if r["event"]["Event"] == "AgentRingNoAnswer")
    assert int(no_answer["event"]["RingTime"]) > 1000  # milliseconds on the wire
    _t, outcomes = run([no_answer])
    legs = [o for o in outcomes if isinstance(o, oc.RingLegEnded)]
    assert legs[0].ring_s == pytest.approx(20, abs=1)
    assert [o.kind for o in outcomes if isinstance(o, oc.ViolationSettled)] == [
        oc.ViolationKind.NO_ANSWER]


def _fed(board: Wallboard, outcomes: list[oc.Outcome]) -> Wallboard:
    """As the daemon feeds it: the outcomes and the reports' figures for them."""
    board.apply([*outcomes, *IntervalAggregator(board.rules, 15.0).feed(outcomes)])
    return board


def _board(scenario: str) -> Wallboard:
    tracker, outcomes = run(load("inbound", scenario))
    return _fed(Wallboard(ZoneInfo("Asia/Shanghai"), tracker.clock, 5.0), outcomes)


def test_queue_stats_and_service_level() -> None:
    support = _board("answered_late").queues["support"].view()
    assert (support["answered"], support["abandoned"]) == (1, 0)
    # Answered after 16 s of ringing: within T (20 s) of joining, but not in three rings.
    assert support["service_level_pct"] == 100.0 and support["three_ring_pct"] == 0.0
    in_time = _board("answered_in_time").queues["support"].view()
    assert in_time["service_level_pct"] == 100.0 and in_time["three_ring_pct"] == 100.0


def test_queue_is_sampled_at_least_every_interval() -> None:
    _t, outcomes = run(load("inbound", "ring_timeout"))
    times = [o.at for o in outcomes if isinstance(o, oc.QueueSampled) and o.queue == "support"]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert times and max(gaps) <= 5.0 + 1e-6
    waiting = [o.waiting for o in outcomes if isinstance(o, oc.QueueSampled) and o.queue == "support"]
    assert max(waiting) == 1


def test_wrap_up_end_is_due_even_when_the_shell_wakes_late() -> None:
    """The daemon wakes a moment after a deadline; the end of wrap-up must still be due."""
    tracker, outcomes = run(load("inbound", "answered_in_time"))
    assert domain_lines(outcomes)[-1] == "alice: wrap_up"
    alice = next(iter(tracker.agents.values()))
    tracker.clock.set(alice.wrapup_until + 0.004)  # type: ignore[attr-defined]
    due = tracker.next_deadline()
    assert due is not None and due <= tracker.clock.now()
    states = [o.state for o in tracker.tick() if isinstance(o, oc.AgentStateChanged)]
    assert states == [oc.AgentState.AVAILABLE]
    following = tracker.next_deadline()
    assert following is None or following > tracker.clock.now()  # no spinning afterwards
