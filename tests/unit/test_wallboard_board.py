"""The wallboard's server side: today's paused time per reason, the [wallboard]
thresholds, each agent's queues and pauses on the push channel (from the real tracker),
and the daemon's health pushed to every page (a health-only stream hears nothing else).
The page's own rules (colours, order): test_wallboard_rules.py."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from callcenter.config import load
from callcenter.core.health import Condition
from callcenter.daemon import Daemon
from callcenter.domain import events as ev
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.live_many import ManyServers
from callcenter.domain.live_view import QueueMembership
from callcenter.domain.paused_today import PausedToday
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker
from callcenter.domain.wallboard import Wallboard
from callcenter.errors import ConfigError
from callcenter.store import db
from callcenter.store import models as m
from callcenter.store.db import engine_for
from callcenter.users.service import WebUser
from callcenter.web.hub import Hub, Message
from callcenter.web.live import LiveFeed
from callcenter.web.service import pause_seed
from callcenter.web.settings import WallboardSettings

TZ = ZoneInfo("Asia/Shanghai")
MIDNIGHT = datetime(2026, 11, 18, tzinfo=TZ).timestamp()
NOW = MIDNIGHT + 10 * 3600
ALICE = oc.AgentRef("PJSIP/1001", "Alice")
SUPERVISOR = WebUser(1, "boss", "Boss", "supervisor", None)
AGENT = WebUser(2, "alice", "Alice", "agent", ALICE.interface)


def state(s: oc.AgentState, at: float, reason: str = "") -> oc.AgentStateChanged:
    return oc.AgentStateChanged(ALICE, s, reason, None, at)


def drain(hub_queue: object) -> list[Message]:
    out = []
    while not hub_queue.empty():  # type: ignore[attr-defined]
        out.append(hub_queue.get_nowait())  # type: ignore[attr-defined]
    return out


# -- today's paused time ----------------------------------------------------------------

def test_paused_time_adds_up_per_reason_and_the_open_pause_is_left_to_the_page() -> None:
    clock = ManualClock(NOW)
    paused = PausedToday(TZ, clock)
    P, A = oc.AgentState.PAUSED, oc.AgentState.AVAILABLE
    assert paused.apply([state(P, NOW, "午休")]) == {ALICE.interface}
    assert paused.view(ALICE.interface) == {}  # still on lunch: the page counts it
    changed = paused.apply([state(P, NOW + 600, "培训"), state(A, NOW + 900),
                            state(P, NOW + 1000, "午休"), state(A, NOW + 1300)])
    assert changed == {ALICE.interface}
    assert paused.view(ALICE.interface) == {"午休": 900.0, "培训": 300.0}
    # The same pause repeated (a resync) changes nothing.
    paused.apply([state(P, NOW + 2000, "培训")])
    assert paused.apply([state(P, NOW + 2100, "培训")]) == set()
    assert paused.view("nobody") == {}


def test_a_pause_from_yesterday_counts_from_midnight_and_midnight_resets() -> None:
    clock = ManualClock(NOW)
    P, A = oc.AgentState.PAUSED.value, oc.AgentState.AVAILABLE.value
    seed = {ALICE.interface: [(P, "会议", MIDNIGHT - 3600), (A, "", MIDNIGHT + 120),
                              (P, "", MIDNIGHT + 200), (A, "", MIDNIGHT + 260)]}
    paused = PausedToday(TZ, clock, seed)
    assert paused.view(ALICE.interface) == {"会议": 120.0, "": 60.0}
    assert paused.day_start == MIDNIGHT
    paused.apply([state(oc.AgentState.PAUSED, NOW, "午休")])
    clock.advance(86400)  # the next day
    assert paused.apply([]) == {ALICE.interface}
    assert paused.view(ALICE.interface) == {}
    # Yesterday's lunch, still running, counts from today's midnight once it ends.
    paused.apply([state(oc.AgentState.AVAILABLE, MIDNIGHT + 86400 + 30)])
    assert paused.view(ALICE.interface) == {"午休": 30.0}


def test_the_seed_is_read_from_the_store_with_the_last_state_before_midnight(db_url: str) -> None:
    engine = engine_for(db_url)
    P, A = oc.AgentState.PAUSED.value, oc.AgentState.AVAILABLE.value
    rows = [("PJSIP/1001", P, "会议", MIDNIGHT - 7200), ("PJSIP/1001", A, "", MIDNIGHT - 5000),
            ("PJSIP/1001", P, "会议", MIDNIGHT - 3600), ("PJSIP/1001", A, "", MIDNIGHT + 120),
            ("PJSIP/1001", P, "午休", NOW - 600), ("PJSIP/1002", A, "", MIDNIGHT - 10)]
    with engine.begin() as conn:
        conn.execute(insert(m.AgentStateChange), [
            {"agent_interface": i, "state": st, "reason": r, "at": at} for i, st, r, at in rows])
    seed = pause_seed(engine, NOW, TZ)
    assert seed == {"PJSIP/1001": [(P, "会议", MIDNIGHT - 3600), (A, "", MIDNIGHT + 120),
                                   (P, "午休", NOW - 600)],
                    "PJSIP/1002": [(A, "", MIDNIGHT - 10)]}
    paused = PausedToday(TZ, ManualClock(NOW), seed)
    assert paused.view("PJSIP/1001") == {"会议": 120.0}  # lunch still running
    engine.dispose()


# -- the [wallboard] settings -----------------------------------------------------------

def test_thresholds_default_and_waiting_follows_the_surge_levels() -> None:
    board = load(None, environ={}).get(WallboardSettings)
    assert board.queue_names == {"support": "客服热线", "complaints": "投诉专席", "callback": "回访"}
    bands = board.bands(8, 16)
    assert bands["waiting"] == {"amber": 8, "red": 16, "higher_is_better": False}
    assert bands["service_level_pct"] == {"amber": 80.0, "red": 70.0, "higher_is_better": True}
    # Three-ring compliance, like service level: a share of calls, higher is better.
    assert bands["three_ring_pct"] == {"amber": 95.0, "red": 90.0, "higher_is_better": True}
    own = WallboardSettings(waiting_amber=2, waiting_red=5)
    assert own.bands(8, 16)["waiting"]["amber"] == 2


@pytest.mark.parametrize("env", [
    {"CALLCENTER__WALLBOARD__SERVICE_LEVEL_RED_PCT": "90"},  # red must be below amber
    {"CALLCENTER__WALLBOARD__THREE_RING_RED_PCT": "98"},  # red must be below amber
    {"CALLCENTER__WALLBOARD__ABANDON_RATE_RED_PCT": "2"},  # red must be above amber
    {"CALLCENTER__WALLBOARD__LONGEST_WAIT_AMBER_S": "-1"},
    {"CALLCENTER__WALLBOARD__CHART_HOURS": "30"},
])
def test_wrong_thresholds_are_refused_naming_the_key(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as err:
        load(None, environ=env)
    assert "wallboard." in str(err.value)


# -- the push channel -------------------------------------------------------------------

def feed(hub: Hub, clock: ManualClock) -> tuple[LiveFeed, Tracker, dict[str, Condition]]:
    tracker = Tracker(RingRules(), clock)
    parts: dict[str, Condition] = {}
    live = LiveFeed(hub, Wallboard(TZ, clock, 5.0), tracker, thresholds={},
                    paused=PausedToday(TZ, clock), display={"queue_names": {"support": "客服热线"}},
                    health=lambda: parts, servers={"ami": "10.0.0.5:5038"})
    return live, tracker, parts


async def test_agents_carry_their_queues_and_paused_time() -> None:
    hub = Hub()
    clock = ManualClock(NOW)
    live, tracker, _ = feed(hub, clock)
    sup = hub.subscribe(SUPERVISOR)
    live.on_outcomes(tracker.handle(ev.MemberUpdated("support", ALICE.interface, "Alice", 1,
                                                     True, "午休", False)))
    clock.advance(300)
    live.on_outcomes(tracker.handle(ev.MemberUpdated("support", ALICE.interface, "Alice", 1,
                                                     False, "", False)))
    agents = [json.loads(d) for e, d in drain(sup.queue) if e == "agent"]
    assert agents[-1]["queues"] == ["support"] and agents[-1]["paused_today"] == {"午休": 300.0}
    # A second queue, the state unchanged: the row still learns of it.
    live.on_outcomes(tracker.handle(ev.MemberUpdated("complaints", ALICE.interface, "Alice", 1,
                                                     False, "", False)))
    agents = [json.loads(d) for e, d in drain(sup.queue) if e == "agent"]
    assert agents and agents[-1]["queues"] == ["complaints", "support"]
    snap = live.snapshot()
    assert snap["agents"][0]["queues"] == ["complaints", "support"]
    assert snap["queue_names"] == {"support": "客服热线"}


class _Counting(ManyServers):
    """Several servers' view, counting how often an agent's queues are asked."""

    asked = 0

    def memberships_of(self, interface: str) -> tuple[QueueMembership, ...]:
        self.asked += 1
        return super().memberships_of(interface)


async def test_with_several_servers_agents_are_looked_at_only_when_a_membership_changed(
        ) -> None:
    hub = Hub()
    clock = ManualClock(NOW)
    one, two = Tracker(RingRules(), clock), Tracker(RingRules(), clock)
    view = _Counting([one, two])
    live = LiveFeed(hub, Wallboard(TZ, clock, 5.0), view, thresholds={})
    sup = hub.subscribe(SUPERVISOR)
    for n in range(20):  # 20 agents on pbx2
        live.on_outcomes(two.handle(ev.MemberUpdated("support", f"PJSIP/{n}", f"a{n}", 1,
                                                     False, "", False)))
    drain(sup.queue)
    view.asked = 0
    for n in range(50):  # callers come and go on pbx1: queues change, memberships do not
        live.on_outcomes(one.handle(ev.CallerJoined("support", f"c{n}", f"c{n}", "", 1)))
    assert view.asked == 0
    assert not [e for e, _d in drain(sup.queue) if e == "agent"]
    # A second queue on pbx2, the state unchanged: that agent's row learns of it.
    live.on_outcomes(two.handle(ev.MemberUpdated("complaints", "PJSIP/3", "a3", 1, False, "",
                                                 False)))
    agents = [json.loads(d) for e, d in drain(sup.queue) if e == "agent"]
    assert [(a["interface"], a["queues"]) for a in agents] == [
        ("PJSIP/3", ["complaints", "support"])]


async def test_health_reaches_every_page_and_a_health_only_stream_hears_nothing_else() -> None:
    hub = Hub()
    live, tracker, parts = feed(hub, ManualClock(NOW))
    sup, agent = hub.subscribe(SUPERVISOR), hub.subscribe(AGENT)
    tickets_page = hub.subscribe(SUPERVISOR, frozenset({"health"}))
    down = parts["ami"] = Condition("ami", False, "disconnected", NOW)
    parts["writer"] = Condition("writer", True, "running", NOW - 60)
    live.on_health([down])
    live.on_outcomes(tracker.handle(ev.MemberUpdated("support", ALICE.interface, "Alice", 1,
                                                     False, "", False)))
    for sub in (sup, agent, tickets_page):
        got = [(e, json.loads(d)) for e, d in drain(sub.queue)]
        assert ("health", {"part": "ami", "ok": False, "detail": "disconnected", "since": NOW,
                           "server": "10.0.0.5:5038"}) in got
        if sub is tickets_page:
            assert [e for e, _ in got] == ["health"]
    assert [h["part"] for h in live.snapshot()["health"]] == ["ami", "writer"]
    # Several Asterisk servers: each link ("ami:<name>") ranks as the AMI link.
    parts["ami:pbx2"] = Condition("ami:pbx2", True, "connected", NOW)
    assert [h["part"] for h in live.snapshot()["health"]] == ["ami", "ami:pbx2", "writer"]


def test_each_asterisk_link_is_named_with_its_server(tmp_path: Path) -> None:
    """The daemon wired as in production with two servers: each link's health part
    carries the address it talks to (the blind banner and the nav name it)."""
    path = tmp_path / "callcenter.toml"
    path.write_text("[[ami]]\nname = 'pbx1'\nhost = '10.0.0.1'\nport = 5001\n"
                    "[[ami]]\nname = 'pbx2'\nhost = '10.0.0.2'\nport = 5002\n")
    url = f"sqlite:///{tmp_path}/d.db"
    db.upgrade(url)
    daemon = Daemon(load(path, environ={"CALLCENTER__DATABASE__URL": url}))
    assert daemon.core.app.state.ctx.live.servers == {"ami:pbx1": "10.0.0.1:5001",
                                                       "ami:pbx2": "10.0.0.2:5002"}
    daemon.core.engine.dispose()
