"""Keep your place (排队回呼) on the real Asterisk 22, through the shipped dialplan: one
agent busy, caller B presses 1 while waiting, caller C joins later and holds; when
the agent frees up, B's callback (the placeholder holding B's place, which then dials
B) is connected before C — read from Asterisk's own queue_log — and while B was
virtual the surge monitor's samples and the live figures counted B as waiting, B's
wait counted from B's first join.  The agent hangs up first: B's request is done
(outcome connected), and B's call is recorded, named by its ticket's Linkedid."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess
from tests.integration.test_callbacks_live import _assert_recorded, _callback_settings

pytestmark = pytest.mark.asterisk

# says ~3 s once answered (the recordings' audio), then talks; hangs up first
AGENT = Agent("5101", "zhou", answer_after=1, talk_s=32, says="tt-weasels")
A, B, C = "13800005001", "19901025002", "13800005003"  # B answers our call after 2 s


def _queue_log(bed: TestBed, since: float) -> list[list[str]]:
    lines = []
    for line in bed.queue_log.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split("|")
        if len(fields) >= 5 and fields[0].isdigit() and int(fields[0]) >= int(since):
            lines.append(fields)
    return lines


def _enter_uniqueids(log: list[list[str]], queue: str) -> list[str]:
    return [f[1] for f in log if f[2] == queue and f[4] == "ENTERQUEUE"]


def _contacts(daemon: DaemonProcess) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(daemon.cli("contacts", "--json").stdout)
    return rows


def _samples(db: Path, queue: str) -> list[tuple[float, int, float]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT at, waiting, longest_wait_s FROM queue_samples "
                                 "WHERE queue = ? ORDER BY at", (queue,)))


def _first_join(db: Path) -> tuple[float, float | None]:
    """(the request's joined_at, the wallboard's oldest_joined_at of support)."""
    with sqlite3.connect(db) as conn:
        [joined] = conn.execute("SELECT joined_at FROM contacts WHERE joined_at IS NOT NULL")
        [oldest] = conn.execute("SELECT oldest_joined_at FROM queues_live WHERE queue = 'support'")
    return float(joined[0]), oldest[0]


async def test_a_caller_who_presses_1_keeps_their_place(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    _callback_settings(daemon)  # dial "customers" in the test bed, at any hour
    with daemon.config.open("a") as cfg:
        cfg.write("\n[storage]\nqueue_sample_interval_s = 1\n")
    daemon.start()
    started = time.time()
    try:
        async with Controller(bed) as c:
            await c.clear_queues()
            await c.login("support", AGENT)
            await daemon.logged("agent.state", count=1)
            c.call("support", A, patience_s=120)  # takes the agent for 35 s
            await daemon.logged("ticket.opened", count=1, timeout=15)
            c.rate("support", B, "1", after_s=3)  # presses 1 every second from 3 s on
            await daemon.logged("keep_place.placed", count=1, timeout=30)
            placed_at = time.time()
            # B is virtual now: the placeholder waits in the queue at B's place.
            await asyncio.sleep(2.5)
            virtual_samples = [(at, w, longest) for at, w, longest
                               in _samples(tmp_path / "callcenter.db", "support")
                               if at >= placed_at + 0.5]
            joined_at, oldest_joined_at = _first_join(tmp_path / "callcenter.db")
            surge = json.loads(daemon.cli("surge", "--json").stdout)
            [request] = [r for r in _contacts(daemon) if r["kind"] == "keep_place"]
            c.call("support", C, patience_s=180)  # joins after B asked, and holds
            await daemon.logged("keep_place.settled", count=1, timeout=60)
            await daemon.logged("ticket.opened", count=3, timeout=90)
            await daemon.logged("keep_place.ended", count=1, timeout=10)
            await daemon.logged("recording.linked", count=2, timeout=20)  # A's and B's
            # Agent-first: the placeholder's other half dialed B, and B answered.
            dialed = [e for e in c.events if e.get("Event") == "DialEnd"
                      and e.get("Uniqueid", "").startswith("kpd-")]
    finally:
        assert daemon.stop() == 0

    log = _queue_log(bed, started)  # in the order Asterisk wrote it

    def at(uniqueid: str, event: str) -> int:
        return next(i for i, f in enumerate(log) if f[1] == uniqueid and f[4] == event)

    [exit_by_key] = [f for f in log if f[4] == "EXITWITHKEY"]
    b_caller = exit_by_key[1]
    assert exit_by_key[2] == "support" and exit_by_key[5:7] == ["1", "1"]  # key 1, place 1
    [placeholder] = [f[1] for f in log if f[4] == "ENTERQUEUE" and f[1].startswith("kp-")]
    [c_caller] = [f[1] for f in log if f[4] == "ENTERQUEUE" and f[6] == C]
    a_caller = next(f[1] for f in log if f[4] == "ENTERQUEUE" and f[6] == A)
    # B left by key, the placeholder took B's place, and C joined after that ...
    assert at(b_caller, "EXITWITHKEY") < at(placeholder, "ENTERQUEUE") < at(c_caller, "ENTERQUEUE")
    # ... and was waiting when the agent freed up (A's call ended) ...
    assert at(c_caller, "ENTERQUEUE") < at(a_caller, "COMPLETEAGENT")
    # ... yet B's callback was connected first, C only after it.
    assert at(a_caller, "COMPLETEAGENT") < at(placeholder, "CONNECT") < at(c_caller, "CONNECT")
    assert not [f for f in log if f[1] == b_caller and f[4] == "CONNECT"]

    # While B was virtual, B counted as a caller waiting: the surge monitor's series
    # and its live figure.
    assert virtual_samples and min(w for _, w, _ in virtual_samples) >= 1
    # ... and B's wait counted from B's first join (CC_JOINED, before B pressed 1), not
    # the placeholder's: on the wallboard (oldest_joined_at) and in the samples.
    assert started < joined_at < placed_at
    assert oldest_joined_at == joined_at  # the placeholder itself joined after B's request
    assert all(longest >= at - joined_at - 1.0 for at, _, longest in virtual_samples)
    assert surge["waiting"] >= 1
    assert request["phone"] == B and request["status"] == "waiting"
    assert request["joined_at"] is not None and request["kind"] == "keep_place"

    assert [e.get("DialStatus") for e in dialed] == ["ANSWER"]
    assert dialed[0].get("DestCallerIDNum") == B or B in dialed[0].get("DestChannel", "")
    tickets = {t["caller_number"]: t for t in daemon.read("tickets")}
    assert set(tickets) == {A, B, C}  # B's ticket carries B's number (agent-first)
    assert tickets[B]["linkedid"].startswith("kpd-")
    # The agent hung up first (B stays on for 60 s): the request is done, B reached.
    [done] = [r for r in _contacts(daemon) if r["kind"] == "keep_place"]
    assert (done["status"], done["outcome"]) == ("done", "connected")
    assert not [r for r in _contacts(daemon) if r["kind"] == "after_hours"]
    # B's call is recorded under its ticket's Linkedid (the placeholder's dialing half).
    _assert_recorded(bed, tickets[B]["recording"], tickets[B]["linkedid"])
    lines = [line for line in daemon.log_lines() if line.get("event") == "agi.announce"]
    assert lines and lines[0]["ahead"] >= 0
