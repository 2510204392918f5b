"""Leadership, pure: a candidate leads only after the grace (past any old leader's
lease), heartbeats keep the lease, a lease run out or a failed heartbeat ends it;
and the core's gate (alone: always the leader, never fenced)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import create_engine

from callcenter.core.leader import LeaderGate
from callcenter.domain.clock import ManualClock
from callcenter.domain.leadership import LeaderChange, Leadership, Role, Timing

TIMING = Timing.within(1.0)


def test_timing_leaves_the_old_leader_its_lease() -> None:
    assert (TIMING.heartbeat_s, TIMING.lease_s, TIMING.grace_s) == (1.0, 3.0, 4.0)
    assert TIMING.takeover_bound_s(5.0) == 10.0
    with pytest.raises(ValueError, match="grace"):
        Leadership(Timing(1.0, 3.0, 3.0), ManualClock(0.0))


def test_a_candidate_leads_only_after_the_grace() -> None:
    clock = ManualClock(100.0)
    machine = Leadership(TIMING, clock)
    assert machine.tick() is None and machine.role is Role.STANDBY
    machine.acquired(7)
    for _ in range(3):
        clock.advance(1.0)
        assert machine.renewed() is None and machine.role is Role.CANDIDATE
    clock.advance(1.0)
    assert machine.renewed() == LeaderChange(True, 7, "lock held past the grace", 104.0)
    assert machine.leading and machine.epoch == 7


def test_a_failed_heartbeat_or_an_expired_lease_ends_the_lead() -> None:
    clock = ManualClock(0.0)
    machine = Leadership(TIMING, clock)
    machine.acquired(1)
    clock.advance(4.0)
    machine.renewed()
    assert machine.leading
    clock.advance(2.9)
    assert machine.tick() is None  # within the lease: still leading
    clock.advance(0.1)
    change = machine.tick()  # a hung heartbeat: nothing good for lease_s
    assert change is not None and not change.leader and change.epoch == 1
    assert machine.role is Role.STANDBY and machine.epoch is None
    machine.acquired(2)
    clock.advance(4.0)
    assert machine.renewed() is not None
    assert machine.lost("lock connection failed") == LeaderChange(
        False, 2, "lock connection failed", 11.0)
    assert machine.lost("again") is None  # a standby has nothing to give up


def test_a_candidate_losing_the_lock_never_led() -> None:
    clock = ManualClock(0.0)
    machine = Leadership(TIMING, clock)
    machine.acquired(3)
    clock.advance(2.0)
    assert machine.lost("the epoch moved on") is None
    clock.advance(5.0)
    assert machine.tick() is None and not machine.leading


def test_the_gate_alone_always_leads_and_is_never_fenced() -> None:
    gate = LeaderGate()
    heard: list[Sequence[LeaderChange]] = []
    gate.bus.subscribe(heard.append)
    gate.change(LeaderChange(False, 1, "ignored", 0.0))
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        assert gate.is_leader() and gate.fence(conn)
    assert heard == []


def test_the_cluster_gate_follows_the_changes_once_each() -> None:
    gate = LeaderGate()
    gate.join_cluster(lambda _conn, epoch: epoch == 5)
    heard: list[Sequence[LeaderChange]] = []
    gate.bus.subscribe(heard.append)
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        assert not gate.is_leader() and not gate.fence(conn)
        up = LeaderChange(True, 5, "lock held past the grace", 1.0)
        gate.change(up)
        gate.change(up)
        assert gate.is_leader() and gate.epoch == 5 and gate.fence(conn)
        gate.change(LeaderChange(True, 6, "again", 2.0))  # already leading: no change
        down = LeaderChange(False, 5, "lock connection failed", 3.0)
        gate.change(down)
        assert not gate.is_leader() and gate.epoch is None and not gate.fence(conn)
    assert heard == [[up], [down]]
