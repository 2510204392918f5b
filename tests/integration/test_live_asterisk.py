"""The daemon following the real Asterisk 22: calls placed into the shipped queues,
agents answering at 4 s, 16 s and never; read back through the CLI's --json."""

from __future__ import annotations

import asyncio

import pytest

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess

pytestmark = pytest.mark.asterisk

ALICE = Agent("2001", "alice", answer_after=4)
BOB = Agent("2002", "bob", answer_after=16)
CAROL = Agent("2003", "carol", answer_after=None)


def _by(rows: list[dict[str, object]], key: str) -> dict[object, dict[str, object]]:
    return {row[key]: row for row in rows}


async def test_three_ring_rule_tickets_and_agent_states(bed: TestBed, daemon: DaemonProcess) -> None:
    async with Controller(bed) as c:
        await c.clear_queues()
        await c.login("support", ALICE)
        await c.login("complaints", BOB)
        await c.login("callback", CAROL)
        await daemon.logged("agent.state", count=3)
        # Three callers at once, one per queue (and agent).
        c.call("support", "+8613811112222", patience_s=12)
        c.call("complaints", "13933334444", patience_s=24)
        c.call("callback", "0086 137 5555 6666", patience_s=23)
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        async def until(t: float) -> None:  # seconds since the calls were placed
            await asyncio.sleep(max(0.0, t0 + t - loop.time()))

        await until(8)
        agents = _by(daemon.read("agents"), "agent")
        assert agents["alice"]["state"] == "on_call"
        assert agents["bob"]["state"] == "ringing"
        assert agents["carol"]["state"] == "ringing"
        tickets = daemon.read("tickets")
        assert [(t["agent"], t["caller_number"]) for t in tickets] == [("alice", "13811112222")]
        queues = _by(daemon.read("queues"), "queue")
        assert queues["complaints"]["waiting"] == 1 and queues["callback"]["waiting"] == 1
        assert queues["complaints"]["longest_wait_s"] >= 7

        await until(16.8)  # the budget ran out at 15 s; carol rings until 20 s
        live = _by(daemon.read("violations"), "agent")
        assert live["carol"]["settled"] is False, "violation must be raised live, while ringing"
        assert live["bob"]["kind"] == "late_answer"  # bob answered at 16 s

        await until(26)  # every caller has hung up
    await daemon.logged("call.abandoned", count=1)

    tickets = _by(daemon.read("tickets"), "agent")
    assert set(tickets) == {"alice", "bob"}
    assert tickets["alice"]["late_answer"] is False
    assert tickets["alice"]["ring_s"] == pytest.approx(4, abs=1)
    assert tickets["bob"]["late_answer"] is True
    assert tickets["bob"]["ring_s"] == pytest.approx(16, abs=1)
    assert tickets["bob"]["caller_number"] == "13933334444"
    assert tickets["alice"]["talk_s"] == pytest.approx(8, abs=1.5)
    assert tickets["alice"]["hangup_by"] == "caller"

    violations = daemon.read("violations")
    assert sorted((v["agent"], v["kind"], v["settled"]) for v in violations) == [
        ("bob", "late_answer", True), ("carol", "no_answer", True)]
    carol = next(v for v in violations if v["agent"] == "carol")
    assert carol["ring_s"] == pytest.approx(20, abs=1)  # the member ring timeout

    agents = _by(daemon.read("agents"), "agent")
    assert (agents["alice"]["calls_taken"], agents["alice"]["points"]) == (1, 0)
    assert (agents["bob"]["calls_taken"], agents["bob"]["points"]) == (1, -5)
    assert (agents["carol"]["violations_today"], agents["carol"]["points"]) == (1, -5)
    assert {agents[n]["state"] for n in ("alice", "bob", "carol")} <= {"available", "wrap_up"}

    queues = _by(daemon.read("queues"), "queue")
    assert queues["support"]["answered"] == 1 and queues["support"]["three_ring_pct"] == 100.0
    assert queues["complaints"]["three_ring_pct"] == 0.0
    assert queues["callback"]["abandoned"] == 1 and queues["callback"]["waiting"] == 0

    # Phone numbers never reach the log unmasked.
    log_text = daemon.log.read_text()
    assert "13933334444" not in log_text and "139****4444" in log_text


async def test_asterisk_restart_mid_test_loses_and_duplicates_nothing(
        bed: TestBed, daemon: DaemonProcess) -> None:
    async with Controller(bed) as c:
        await c.clear_queues()
        await c.login("support", Agent("2004", "dave", answer_after=2))
        c.call("support", "13566667777", patience_s=60)
        await daemon.logged("ticket.opened", count=1)
    bed.restart()  # kills the call; persistent members come back from astdb
    await daemon.logged("ami.resynced", count=2, timeout=30)
    async with Controller(bed) as c:
        await c.set_agent(Agent("2004", "dave", answer_after=2))
        c.call("support", "13566667777", patience_s=5)
        await daemon.logged("ticket.opened", count=2)
        await asyncio.sleep(4)
    tickets = daemon.read("tickets")
    assert len(tickets) == 2 and len({t["linkedid"] for t in tickets}) == 2
    assert {t["agent"] for t in tickets} == {"dave"}
    assert [t["calls_last_7d"] for t in tickets] == [2, 1]
    agents = _by(daemon.read("agents"), "agent")
    assert agents["dave"]["calls_taken"] == 2
