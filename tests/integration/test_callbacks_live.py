"""Callback campaigns against the real Asterisk: each network outcome recorded from
the customer simulator, answered calls reaching an agent through the callback queue,
retries at the configured gap, and the do-not-call list respected; an answered
callback recorded (customer-first: by app_queue, agent-first: MixMonitor once the
customer answered), the file named by the call's Linkedid, and linked to its ticket."""

from __future__ import annotations

import asyncio
import json
import wave
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess, dial_all_day

pytestmark = pytest.mark.asterisk

CUSTOMERS = {
    "19901030001": "answers after 3 s",
    "19902000002": "busy",
    "19903000003": "never answers",
    "19904000004": "congestion",
    "19905000005": "unallocated",
    "19906000006": "powered off",
    "19901010007": "on the do-not-call list",
}


def _callback_settings(daemon: DaemonProcess) -> None:
    with daemon.config.open("a") as cfg:
        cfg.write(f"""
[callbacks]
channel_template = "Local/{{number}}@testbed-customers/n"
callback_queue = "callback"
max_in_flight_total = 6
max_in_flight_per_campaign = 6
max_attempts = 2
max_calls_per_number_24h = 3
ring_timeout_s = 6
gap_busy_s = 4
gap_no_answer_s = 4
gap_powered_off_s = 4
gap_other_s = 4
{dial_all_day()}dialer_interval_s = 0.5
""")


def _assert_recorded(bed: TestBed, path: str | None, linkedid: str) -> float:
    """The recording is the call's (named by its Linkedid, in the daemon's directory), a
    complete WAV with some audio in it; its length in seconds."""
    assert path == str(bed.recordings_dir / f"{linkedid}.wav")
    with wave.open(path) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds >= 1.0, seconds  # the agent's ~3 s sound (silence sends no frames)
    return seconds


def _attempts(daemon: DaemonProcess) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(daemon.cli("attempts", "list", "--json").stdout)
    return rows


async def test_campaign_outcomes_retries_and_agents(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    _callback_settings(daemon)
    daemon.start()
    try:
        async with Controller(bed) as c:
            await c.clear_queues()
            for n in range(6):  # each says ~3 s of audio once answered: the recording
                await c.login("callback", Agent(f"40{n:02d}", f"cb{n}", answer_after=1, talk_s=1,
                                                says="tt-weasels"))
            await daemon.logged("agent.state", count=6)
            daemon.cli("dnc", "add", "19901010007", "--reason", "refused")
            contacts = tmp_path / "contacts.csv"
            contacts.write_text("姓名,电话\n" + "".join(f"客户{i},{n}\n" for i, n in
                                                     enumerate(CUSTOMERS)), encoding="gbk")
            created = json.loads(daemon.cli("campaigns", "create", "回访测试", "--json",
                                            "--max-in-flight", "6").stdout)
            imported = json.loads(daemon.cli("campaigns", "import", str(created["id"]),
                                             str(contacts), "--json").stdout)
            assert imported["imported"] == 6
            assert imported["rejected"] == [{"row": 8, "code": "do_not_call", "column": "phone",
                                             "detail": "", "reason": "on the do-not-call list"}]

            deadline = asyncio.get_running_loop().time() + 60
            while asyncio.get_running_loop().time() < deadline:
                rows = _attempts(daemon)
                done = [r for r in rows if r["outcome"] or r["status"] == "ended"]
                # 6 first attempts + 4 retries of the not-connected (busy, no answer,
                # congestion, powered off); not_exist is final.
                if len(done) >= 10:
                    break
                await asyncio.sleep(1)
            await daemon.logged("recording.linked", count=1, timeout=20)
        rows = _attempts(daemon)
        by_phone: dict[str, list[dict[str, Any]]] = {}
        for row in sorted(rows, key=lambda r: r["id"]):
            by_phone.setdefault(row["phone"], []).append(row)
        outcomes = {phone: [r["outcome"] for r in rs] for phone, rs in by_phone.items()}
        assert outcomes["19902000002"] == ["busy", "busy"]
        assert outcomes["19903000003"] == ["no_answer", "no_answer"]
        assert outcomes["19904000004"] == ["busy", "busy"]
        assert outcomes["19905000005"] == ["not_exist"]
        assert outcomes["19906000006"] == ["powered_off", "powered_off"]
        assert "19901010007" not in by_phone  # do-not-call: never dialed
        answered = by_phone["19901030001"]
        assert len(answered) == 1 and answered[0]["agent"].startswith("Local/40")
        # retries waited at least the configured gap
        for phone in ("19902000002", "19903000003"):
            first, second = (datetime.fromisoformat(r["started_at"]) for r in by_phone[phone])
            assert (second - first).total_seconds() >= 4
        # the agent records the result of the answered call
        daemon.cli("attempts", "record", str(answered[0]["id"]), "--outcome", "success",
                   "--score", "5")
        report = json.loads(daemon.cli("campaigns", "report", str(created["id"]), "--json").stdout)
        assert report["success"] == 1 and report["score_distribution"]["5"] == 1
        assert report["failure_reasons"]["busy 电话打不进"] == 4
        # an answered callback also opened a ticket for the agent who took it, and its
        # recording, named by the call's Linkedid (the originated channel's id), is linked
        [ticket] = daemon.read("tickets")
        assert ticket["caller_number"] == "19901030001" and ticket["linkedid"].startswith("cb-")
        _assert_recorded(bed, ticket["recording"], ticket["linkedid"])
    finally:
        assert daemon.stop() == 0


async def _until(what: str, done: Callable[[], object], timeout: float) -> None:
    """Poll `done` (a condition, never a guess at how long something takes)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not done():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(0.2)


def _customer_leg(events: list[dict[str, str]], number: str) -> dict[str, str] | None:
    """The Newchannel of the dialed customer's channel (the Originate's Local ;1)."""
    return next((e for e in events if e.get("Event") == "Newchannel"
                 and e.get("Channel", "").startswith(f"Local/{number}@")
                 and e.get("Channel", "").endswith(";1")), None)


def _agent_connect(events: list[dict[str, str]], uniqueid: str) -> dict[str, str] | None:
    return next((e for e in events if e.get("Event") == "AgentConnect"
                 and e.get("Uniqueid") == uniqueid), None)


async def test_sigkill_while_dialing_calls_nobody_twice_and_loses_no_outcome(
        bed: TestBed, tmp_path: Path) -> None:
    """SIGKILL while four calls ring.  While the daemon is down one customer answers
    and an agent takes the call; after it is back another answers.  Every step waits
    for its condition; the ring timeout only has to outlast the restart."""
    daemon = DaemonProcess(bed, tmp_path)
    _callback_settings(daemon)
    # Long gaps: any second call to a number would be a blind re-dial.  The customers
    # ring (or wait to be told to answer) for 40 s: the daemon is back well before.
    text = daemon.config.read_text().replace("gap_no_answer_s = 4", "gap_no_answer_s = 3600")
    daemon.config.write_text(text.replace("ring_timeout_s = 6", "ring_timeout_s = 40"))
    daemon.start()
    # 1990 3: never answers; 1990 7: answers when told (callcenter/testbed/conf).
    away, back = "19907000013", "19907000014"
    numbers = ["19903000011", "19903000012", away, back]
    try:
        async with Controller(bed) as c:
            await c.clear_queues()
            for n in range(4):  # one per call (the pacing); the test ends each conversation
                await c.login("callback", Agent(f"41{n:02d}", f"k{n}", answer_after=1))
            await daemon.logged("agent.state", count=4)
            seen = len(c.events)
            contacts = tmp_path / "kill.csv"
            contacts.write_text("电话\n" + "\n".join(numbers) + "\n", encoding="utf-8")
            created = json.loads(daemon.cli("campaigns", "create", "kill", "--json",
                                            "--max-in-flight", "4").stdout)
            daemon.cli("campaigns", "import", str(created["id"]), str(contacts))
            await daemon.logged("callback.dialing", count=4)
            await _until("every customer's channel rings", lambda: all(
                _customer_leg(c.events[seen:], n) for n in numbers), 20)
            daemon.kill()  # mid-ring: every attempt is `dialing`
            assert {r["status"] for r in _attempts(daemon)} == {"dialing"}
            leg = {n: _customer_leg(c.events[seen:], n) or {} for n in numbers}
            await c.answer_customer(away)  # answered, and taken, while nobody watches
            await _until("an agent took the call answered while the daemon was down",
                         lambda: _agent_connect(c.events[seen:], leg[away]["Uniqueid"]), 20)
            taken_away = _agent_connect(c.events[seen:], leg[away]["Uniqueid"]) or {}
            daemon.start()
            await daemon.logged("callback.reconciled_live", count=4, timeout=30)
            await c.answer_customer(back)  # answered once the daemon is back
            await _until("an agent took the call answered after the restart",
                         lambda: _agent_connect(c.events[seen:], leg[back]["Uniqueid"]), 20)
            taken_back = _agent_connect(c.events[seen:], leg[back]["Uniqueid"]) or {}
            await _until("both agents recorded", lambda: all(
                r["agent"] for r in _attempts(daemon) if r["phone"] in (away, back)), 20)
            for taken in (taken_away, taken_back):  # the agents hang up
                await c.hangup(taken["DestChannel"])
            await _until("every attempt came to an end", lambda: all(
                r["outcome"] or r["status"] == "ended" for r in _attempts(daemon)), 60)
            dialed = [e for e in c.events[seen:] if e.get("Event") == "Newchannel"
                      and e.get("Channel", "").startswith("Local/1990")
                      and e.get("Channel", "").endswith(";1")]
        per_number = {n: sum(1 for e in dialed if f"Local/{n}@" in e["Channel"]) for n in numbers}
        assert per_number == dict.fromkeys(numbers, 1), "nobody is called twice"
        assert not any(line.get("event") == "callback.reconciled_vanished"
                       for line in daemon.log_lines())
        rows = {r["phone"]: r for r in _attempts(daemon)}
        assert len(_attempts(daemon)) == 4
        assert rows["19903000011"]["outcome"] == "no_answer"
        assert rows["19903000012"]["outcome"] == "no_answer"
        # each answered call ended, waiting for its agent's outcome, with the agent
        # Asterisk connected it to, even the one the daemon never saw connect
        for number, taken in ((away, taken_away), (back, taken_back)):
            assert rows[number]["status"] == "ended" and rows[number]["outcome"] is None
            assert rows[number]["agent"] == taken["Interface"]
            assert taken["Interface"].startswith("Local/41")
    finally:
        assert daemon.stop() == 0


async def test_agent_first_rings_the_agent_then_the_customer(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    _callback_settings(daemon)
    daemon.start()
    try:
        async with Controller(bed) as c:
            # The customer answers at once; the agent's sound (~3 s) is recorded from then.
            await c.set_agent(Agent("4300", "af", answer_after=1, talk_s=2, says="tt-weasels"))
            before = set(bed.recordings_dir.iterdir())
            contacts = tmp_path / "af.csv"
            contacts.write_text("电话\n19901000031\n19902000032\n", encoding="utf-8")
            created = json.loads(daemon.cli(
                "campaigns", "create", "agent first", "--json", "--mode", "agent_first",
                "--agent", "Local/4300@testbed-agents/n").stdout)
            daemon.cli("campaigns", "import", str(created["id"]), str(contacts))
            for _ in range(40):
                rows = {r["phone"]: r for r in _attempts(daemon)}
                if rows.get("19902000032", {}).get("outcome") and \
                        rows.get("19901000031", {}).get("status") == "ended":
                    break
                await asyncio.sleep(0.5)
        rows = {r["phone"]: r for r in _attempts(daemon)}
        assert rows["19902000032"]["outcome"] == "busy"
        assert rows["19901000031"]["status"] == "ended"
        assert rows["19901000031"]["outcome"] is None  # the agent records it
        assert rows["19901000031"]["agent"] == "Local/4300@testbed-agents/n"
        # No queue, no ticket: the answered call is recorded all the same, named by its
        # Linkedid (the agent's channel, originated first); the busy one is not.
        for _ in range(50):  # MixMonitor closes the file once the customer's leg is gone
            if set(bed.recordings_dir.iterdir()) - before:
                break
            await asyncio.sleep(0.1)
        [recording] = set(bed.recordings_dir.iterdir()) - before
        assert recording.name.startswith("cb-") and recording.suffix == ".wav"
        _assert_recorded(bed, str(recording), recording.stem)
    finally:
        assert daemon.stop() == 0
