"""The web side's pure parts: the wallboard figures kept from outcomes and the push
hub's audiences (the sign-in throttle: test_login_throttle.py).  A queue's day
figures are the reports' interval figures (`FiguresAdded`, from the same aggregator
the daemon runs) and their definitions: service level within T of joining over
answered + abandoned after the short-abandon threshold, three-ring compliance apart,
short abandons and timeouts out of the abandon rate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from callcenter.domain import kpi
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.kpi_intervals import IntervalAggregator
from callcenter.domain.wallboard import Changes, DaySeed, Wallboard
from callcenter.users.service import WebUser
from callcenter.web.hub import CLOSED, Hub

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ).timestamp()
BUCKET = 5.0
ALICE = oc.AgentRef("PJSIP/1001", "Alice")
BOB = oc.AgentRef("PJSIP/1002", "Bob")


class Board(Wallboard):
    """The wallboard as the daemon feeds it: every outcome batch, and the reports'
    aggregator's figures for it (which the reports feature publishes on the same bus)."""

    def __init__(self, clock: ManualClock, seed: DaySeed | None,
                 rules: kpi.KpiRules | None) -> None:
        super().__init__(TZ, clock, BUCKET, seed, rules)
        self.aggregator = IntervalAggregator(self.rules, 15.0)

    def apply(self, outcomes: Iterable[oc.Outcome]) -> Changes:
        batch = list(outcomes)
        return super().apply([*batch, *self.aggregator.feed(batch)])


def board(clock: ManualClock, seed: DaySeed | None = None,
          rules: kpi.KpiRules | None = None) -> Board:
    return Board(clock, seed, rules)


def answered(n: int, agent: oc.AgentRef = ALICE, *, late: bool = False,
             queue: str = "sales") -> oc.CallAnswered:
    return oc.CallAnswered(queue, f"u{n}", f"l{n}", agent, hold_s=4.0, ring_s=3.0, late_answer=late,
                           at=NOW + n)


def abandoned(n: int, queue: str = "sales", waited_s: float = 40.0) -> oc.CallAbandoned:
    return oc.CallAbandoned(queue, f"u{n}", f"l{n}", waited_s=waited_s, at=NOW + n)


def queue_view(wb: Wallboard, name: str) -> dict[str, object]:
    return wb.queues[name].view()


# -- the wallboard ---------------------------------------------------------------------

def test_live_queue_picture() -> None:
    wb = board(ManualClock(NOW))
    changes = wb.apply([oc.QueueChanged("sales", 3, NOW - 30, 1, NOW)])
    assert changes == Changes(queues={"sales"})
    view = queue_view(wb, "sales")
    assert view["waiting"] == 3 and view["oldest_joined_at"] == NOW - 30
    assert view["agents_available"] == 1
    # nothing offered yet: no rates rather than a misleading 0 %
    assert view["service_level_pct"] is None and view["abandon_rate_pct"] is None
    assert view["three_ring_pct"] is None
    wb.apply([oc.QueueChanged("sales", 0, None, 2, NOW + 5)])
    assert queue_view(wb, "sales")["waiting"] == 0
    assert queue_view(wb, "sales")["oldest_joined_at"] is None


def test_service_level_abandon_rate_and_calls_per_agent() -> None:
    wb = board(ManualClock(NOW))
    changes = wb.apply([answered(1), answered(2), answered(3, BOB), answered(4, BOB, late=True),
                        abandoned(5)])
    assert changes.queues == {"sales"} and changes.agents == {ALICE.interface, BOB.interface}
    assert not changes.points and not changes.new_day
    view = queue_view(wb, "sales")
    assert view["answered"] == 4 and view["abandoned"] == 1 and view["offered"] == 5
    # Service level: 4 answered within 20 s of joining ÷ (4 answered + 1 abandoned).
    assert view["service_level_pct"] == 80.0
    assert view["three_ring_pct"] == 75.0  # 3 of 4 answered within the ring budget: apart
    assert view["abandon_rate_pct"] == 20.0  # 1 of 5 offered
    assert wb.agents[ALICE.interface].view()["calls"] == 2
    assert wb.agents[BOB.interface].view()["calls"] == 2


def test_rates_are_rounded_to_one_decimal() -> None:
    wb = board(ManualClock(NOW))
    wb.apply([answered(1), answered(2), answered(3, late=True), abandoned(4), abandoned(5)])
    view = queue_view(wb, "sales")
    assert view["service_level_pct"] == 60.0
    assert view["three_ring_pct"] == 66.7
    assert view["abandon_rate_pct"] == 40.0


def test_short_abandons_and_timeouts_are_apart_from_abandons() -> None:
    wb = board(ManualClock(NOW))
    wb.apply([answered(1), abandoned(2, waited_s=3.0), abandoned(3, waited_s=30.0),
              abandoned(4, waited_s=60.0)])
    # queue_log tells the last one was the queue's timeout: moved out of the abandons.
    changes = wb.apply([oc.QueueExited("sales", "u4", "timeout", 60.0, NOW + 5)])
    assert changes.queues == {"sales"}
    view = queue_view(wb, "sales")
    assert (view["offered"], view["answered"], view["abandoned"], view["short_abandoned"],
            view["timeouts"]) == (4, 1, 1, 1, 1)
    assert view["service_level_pct"] == 50.0  # 1 ÷ (1 answered + 1 abandoned after 5 s)
    assert view["abandon_rate_pct"] == round(100 / 3, 1)  # 1 ÷ (4 offered − 1 short)


def test_the_definitions_are_the_reports_settings() -> None:
    strict = kpi.KpiRules(sl_threshold_s=3.0, short_abandon_s=10.0)
    wb = board(ManualClock(NOW), rules=strict)
    wb.apply([answered(1), answered(2), abandoned(3, waited_s=8.0), abandoned(4)])
    view = queue_view(wb, "sales")
    assert view["short_abandoned"] == 1 and view["abandoned"] == 1
    assert view["service_level_pct"] == 0.0  # held 4 s: not within T = 3 s
    # The same figures, summed as a report sums them, give the report's row.
    row = kpi.queue_row("sales", wb.queues["sales"].today, strict)
    assert (row.service_level_pct, row.three_ring_pct) == (
        view["service_level_pct"], view["three_ring_pct"])


def test_only_todays_intervals_and_shown_figures() -> None:
    wb = board(ManualClock(NOW))
    yesterday = oc.FiguresAdded("q:old", "queue", NOW - 86400, "sales", "", {"abandoned": -1.0,
                                                                            "timeouts": 1.0})
    assert not wb.apply([yesterday])  # an exit moved in yesterday's interval: not today's
    wrapup = oc.FiguresAdded("s:x", "queue", NOW - NOW % 900, "sales", "", {"wrapup_s": 30.0})
    assert not wb.apply([wrapup]).queues  # nothing a tile shows
    assert wb.queues["sales"].today == {"wrapup_s": 30.0}


def test_abandon_only_changes_the_queue() -> None:
    wb = board(ManualClock(NOW))
    changes = wb.apply([abandoned(1, "support")])
    assert changes == Changes(queues={"support"})
    assert queue_view(wb, "support")["abandon_rate_pct"] == 100.0
    assert queue_view(wb, "support")["service_level_pct"] == 0.0  # a caller lost after 40 s
    assert queue_view(wb, "support")["three_ring_pct"] is None  # nobody answered


def test_violation_counts_and_costs_points() -> None:
    wb = board(ManualClock(NOW))
    violation = oc.ViolationRaised("leg1", "l1", "sales", ALICE, budget_s=15.0, penalty_points=2,
                                   at=NOW)
    changes = wb.apply([violation, violation])
    assert changes == Changes(agents={ALICE.interface})
    view = wb.agents[ALICE.interface].view()
    assert view["violations"] == 2 and view["points"] == -4 and view["calls"] == 0


def test_agent_state_since_and_reason() -> None:
    wb = board(ManualClock(NOW))
    changes = wb.apply([oc.AgentStateChanged(ALICE, oc.AgentState.PAUSED, "lunch", None, NOW + 7)])
    assert changes.agents == {ALICE.interface}
    view = wb.agents[ALICE.interface].view()
    assert (view["state"], view["reason"], view["since"], view["name"]) == (
        "paused", "lunch", NOW + 7, "Alice")
    wb.apply([oc.AgentStateChanged(ALICE, oc.AgentState.ON_CALL, "", "l9", NOW + 20)])
    view = wb.agents[ALICE.interface].view()
    assert (view["state"], view["reason"], view["since"]) == ("on_call", "", NOW + 20)
    # Which call ("l9") the agent is on is the tracker's alone (LiveView.current_call,
    # tests/unit/test_tracker_view.py); the wallboard keeps no copy of it.
    assert not hasattr(wb.agents[ALICE.interface], "current_linkedid")


def test_unknown_agent_starts_logged_out_and_sorted_by_name() -> None:
    wb = board(ManualClock(NOW))
    wb.apply([answered(1, BOB), answered(2, ALICE)])
    snap = wb.snapshot()
    assert [a["name"] for a in snap["agents"]] == ["Alice", "Bob"]  # type: ignore[index]
    assert snap["agents"][0]["state"] == "logged_out"  # type: ignore[index]
    assert snap["day"] == "2026-11-18"


def test_one_sampling_round_is_one_point() -> None:
    wb = board(ManualClock(NOW))
    start = 1_000 * BUCKET  # the start of a bucket
    c1 = wb.apply([oc.QueueSampled("sales", 3, 20.0, start),
                   oc.QueueSampled("support", 2, 10.0, start + 0.01),
                   oc.QueueSampled("vip", 1, 5.0, start + 0.02)])
    assert wb.series == [(start + 0.02, 6)]  # the queues of one round: one point, summed
    assert c1.points[-1] == (start + 0.02, 6)
    c2 = wb.apply([oc.QueueSampled("sales", 0, 0.0, start + BUCKET),
                   oc.QueueSampled("support", 4, 12.0, start + BUCKET + 0.01)])
    # the next round: a new point; vip's last sample still counts
    assert wb.series == [(start + 0.02, 6), (start + BUCKET + 0.01, 5)]
    assert c2.points == [(start + BUCKET, 3), (start + BUCKET + 0.01, 5)]
    assert wb.snapshot()["series"] == wb.series


def test_day_rollover_resets_the_day_counters_only() -> None:
    clock = ManualClock(NOW)
    wb = board(clock)
    violation = oc.ViolationRaised("leg1", "l1", "sales", ALICE, budget_s=15.0, penalty_points=2,
                                   at=NOW)
    wb.apply([oc.QueueChanged("sales", 2, NOW - 5, 0, NOW), answered(1), abandoned(2), violation,
              oc.QueueSampled("sales", 2, 5.0, NOW)])
    clock.set(datetime(2026, 11, 18, 23, 59, 59, tzinfo=TZ).timestamp())
    assert not wb.apply([])  # still the 18th in Shanghai
    clock.set(datetime(2026, 11, 19, 0, 0, 1, tzinfo=TZ).timestamp())  # 16:00 UTC: the next day here
    changes = wb.apply([])
    assert changes.new_day and bool(changes)
    assert wb.day == date(2026, 11, 19) and wb.snapshot()["day"] == "2026-11-19"
    view = queue_view(wb, "sales")
    assert (view["answered"], view["abandoned"], view["service_level_pct"]) == (0, 0, None)
    assert view["three_ring_pct"] is None and view["offered"] == 0
    assert view["waiting"] == 2  # live figures are not day counters
    agent = wb.agents[ALICE.interface].view()
    assert (agent["calls"], agent["violations"]) == (0, 0)
    assert agent["points"] == -2  # points run for the quarter
    assert wb.series == []
    assert not wb.apply([]).new_day  # only once


def test_quarter_change_resets_points() -> None:
    clock = ManualClock(datetime(2026, 3, 31, 23, 0, tzinfo=TZ).timestamp())
    wb = board(clock)
    wb.apply([oc.ViolationRaised("leg1", "l1", "sales", ALICE, 15.0, 3, clock.now())])
    assert wb.agents[ALICE.interface].points == -3
    clock.set(datetime(2026, 4, 1, 0, 30, tzinfo=TZ).timestamp())
    assert wb.apply([]).new_day
    assert wb.agents[ALICE.interface].view()["points"] == 0


def test_a_new_year_resets_points_too() -> None:
    clock = ManualClock(datetime(2026, 12, 31, 22, 0, tzinfo=TZ).timestamp())
    wb = board(clock)
    wb.apply([oc.ViolationRaised("leg1", "l1", "sales", ALICE, 15.0, 1, clock.now())])
    clock.set(datetime(2027, 1, 1, 8, 0, tzinfo=TZ).timestamp())
    wb.apply([])
    assert wb.agents[ALICE.interface].points == 0


# Today's figures as the store's intervals hold them (web/service.py day_seed sums them).
SEEDED = {"offered": 13.0, "answered": 10.0, "answered_in_sl": 8.0, "answered_in_rings": 9.0,
          "abandoned": 2.0, "short_abandoned": 1.0}


def test_seed_for_today_is_used() -> None:
    seed = DaySeed(date(2026, 11, 18), queues={"sales": SEEDED},
                   agents={ALICE.interface: ("Alice", 6, 1, -2)}, series=[(NOW - 60, 4)])
    wb = board(ManualClock(NOW), seed)
    wb.apply([answered(1)])
    view = queue_view(wb, "sales")
    assert (view["offered"], view["answered"], view["abandoned"]) == (14, 11, 2)
    assert view["service_level_pct"] == round(100 * 9 / 13, 1)  # (8 + 1) ÷ (11 + 2)
    assert view["three_ring_pct"] == round(100 * 10 / 11, 1)
    assert view["abandon_rate_pct"] == round(100 * 2 / 13, 1)  # 2 ÷ (14 − 1 short)
    agent = wb.agents[ALICE.interface].view()
    assert (agent["name"], agent["calls"], agent["violations"], agent["points"]) == ("Alice", 7, 1, -2)
    assert wb.series == [(NOW - 60, 4)]


def test_seed_for_another_day_is_ignored() -> None:
    seed = DaySeed(date(2026, 11, 17), queues={"sales": SEEDED},
                   agents={ALICE.interface: ("Alice", 6, 1, -2)}, series=[(NOW - 86400, 4)])
    wb = board(ManualClock(NOW), seed)
    assert wb.queues == {} and wb.agents == {} and wb.series == []
    assert wb.snapshot()["queues"] == []


# -- the hub ----------------------------------------------------------------------------

SUPERVISOR = WebUser(1, "sup", "Supervisor", "supervisor", None)
AGENT_A = WebUser(2, "alice", "Alice", "agent", ALICE.interface)
AGENT_B = WebUser(3, "bob", "Bob", "agent", BOB.interface)


def drain(queue: asyncio.Queue[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


async def test_hub_audiences() -> None:
    hub = Hub()
    sup, alice, bob = hub.subscribe(SUPERVISOR), hub.subscribe(AGENT_A), hub.subscribe(AGENT_B)
    assert hub.count() == 3
    hub.to_supervisors("queue", {"queue": "sales", "waiting": 2})
    hub.to_agent(ALICE.interface, "call", {"caller_number": "13800001111", "名": "张三"})
    hub.to_everyone("hello", [1])
    assert drain(sup.queue) == [("queue", '{"queue":"sales","waiting":2}'), ("hello", "[1]")]
    alice_got = drain(alice.queue)
    assert [e for e, _ in alice_got] == ["call", "hello"]
    assert json.loads(alice_got[0][1]) == {"caller_number": "13800001111", "名": "张三"}
    assert "张三" in alice_got[0][1]  # not \u-escaped
    assert drain(bob.queue) == [("hello", "[1]")]
    assert hub.published == 3


async def test_hub_message_for_nobody_is_not_counted() -> None:
    hub = Hub()
    hub.subscribe(AGENT_B)
    hub.to_agent(ALICE.interface, "call", {})
    hub.to_supervisors("queue", {})
    assert hub.published == 0


async def test_unsubscribed_browser_gets_nothing() -> None:
    hub = Hub()
    alice = hub.subscribe(AGENT_A)
    hub.unsubscribe(alice)
    hub.to_agent(ALICE.interface, "call", {})
    assert alice.queue.empty() and hub.count() == 0


async def test_full_queue_drops_that_browser_only() -> None:
    hub = Hub(queue_max=2)
    slow, quick = hub.subscribe(AGENT_A), hub.subscribe(SUPERVISOR)
    hub.to_everyone("a", 1)
    hub.to_everyone("b", 2)
    drain(quick.queue)
    hub.to_everyone("c", 3)  # the slow one is full
    assert slow.dropped and not quick.dropped
    assert hub.count() == 1
    got = drain(slow.queue)
    assert got[-1] == CLOSED and len(got) <= 2  # the end marker got through
    hub.to_everyone("d", 4)
    assert slow.queue.empty()  # no longer a subscriber
    assert [e for e, _ in drain(quick.queue)] == ["c", "d"]


async def test_close_ends_every_stream() -> None:
    hub = Hub(queue_max=1)
    sup, alice = hub.subscribe(SUPERVISOR), hub.subscribe(AGENT_A)
    hub.to_everyone("x", 0)  # alice's and sup's queues are now full
    hub.close()
    assert hub.count() == 0
    assert drain(sup.queue) == [CLOSED] and drain(alice.queue) == [CLOSED]
