"""Several Asterisk servers, one daemon (issue 14): two real Asterisk 22 instances of
the test bed, each with its own `systemname`, queues (the shipped dialplan in both)
and agents; one daemon follows both.  Calls on each get tickets with the right
server; one Asterisk is killed: the other's calls keep flowing, the dead one is
alerted (its own outage), and resynced and alerted clear when it returns."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.testbed.asterisk import DAEMON_SECRET, DAEMON_USER, TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess, dial_all_day

pytestmark = pytest.mark.asterisk

ONE = Agent("5101", "pbx1-agent", answer_after=1, talk_s=3)
TWO = Agent("5201", "pbx2-agent", answer_after=1, talk_s=3)


def _servers(bed1: TestBed, bed2: TestBed) -> str:
    return "\n".join(f"""
[[ami]]
name = "{name}"
port = {bed.ami_port}
username = "{DAEMON_USER}"
secret = "{DAEMON_SECRET}"
ping_interval_s = 1
ping_timeout_s = 1
backoff_initial_s = 0.2
backoff_max_s = 1
queue_log = ""
""" for name, bed in (("pbx1", bed1), ("pbx2", bed2)))


@pytest.fixture
def beds() -> Iterator[tuple[TestBed, TestBed]]:
    pid = os.getpid()
    bed1 = TestBed(name=f"srv1-{pid}", systemname="pbx1")
    # Both dialplans reach the one daemon's FastAGI port.
    bed2 = TestBed(name=f"srv2-{pid}", systemname="pbx2", agi_port=bed1.agi_port)
    bed1.start()
    try:
        bed2.start()
        yield bed1, bed2
    finally:
        bed2.stop()
        bed1.stop()


def _daemon(beds: tuple[TestBed, TestBed], tmp_path: Path, extra: str) -> DaemonProcess:
    bed1, bed2 = beds
    proc = DaemonProcess(bed1, tmp_path, extra="[outages]\nami_alert_after_s = 1\n" + extra)
    text = proc.config.read_text()
    start, end = text.index("[ami]"), text.index("[database]")
    proc.config.write_text(text[:start] + _servers(bed1, bed2) + "\n" + text[end:])
    return proc


@pytest.fixture
def two_server_daemon(beds: tuple[TestBed, TestBed], tmp_path: Path) -> Iterator[DaemonProcess]:
    proc = _daemon(beds, tmp_path, "")
    proc.start()
    yield proc
    assert proc.stop() == 0


def _resynced(daemon: DaemonProcess, server: str) -> int:
    return sum(1 for line in daemon.log_lines()
               if line.get("event") == "ami.resynced" and line.get("server") == server)


async def _until(what: Any, timeout: float, why: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await asyncio.to_thread(what)
        if found:
            return found
        await asyncio.sleep(0.3)
    raise AssertionError(f"{why} within {timeout} s")


def _tickets(daemon: DaemonProcess) -> list[tuple[str, str, str]]:
    return sorted((t["server"], t["agent"], t["caller_number"]) for t in daemon.read("tickets"))


def _outage(daemon: DaemonProcess, kind: str) -> list[dict[str, Any]]:
    return [a for a in daemon.read("alerts") if a["kind"] == kind]


async def test_one_daemon_follows_two_asterisks_and_survives_one_dying(
        beds: tuple[TestBed, TestBed], two_server_daemon: DaemonProcess) -> None:
    bed1, bed2 = beds
    daemon = two_server_daemon
    await daemon.logged("ami.resynced", count=2)
    assert {_resynced(daemon, "pbx1"), _resynced(daemon, "pbx2")} == {1}
    systemnames = {(line["server"], line["systemname"]) for line in daemon.log_lines()
                   if line.get("event") == "ami.systemname"}
    assert systemnames == {("pbx1", "pbx1"), ("pbx2", "pbx2")}
    status = await _until(lambda: daemon.cli("status", "--json", check=False).stdout, 15,
                          "the status file")
    assert '"ami"' not in status and "ami:pbx1" in status and "ami:pbx2" in status

    async with Controller(bed1) as c1, Controller(bed2) as c2:
        await c1.clear_queues()
        await c2.clear_queues()
        await c1.login("support", ONE)
        await c2.login("support", TWO)
        await daemon.logged("agent.state", count=2)
        # Same queue name on both servers: one call on each.
        c1.call("support", "13800000101", patience_s=8)
        c2.call("support", "13800000202", patience_s=8)
        await _until(lambda: len(_tickets(daemon)) == 2, 20, "a ticket on each server")
        assert _tickets(daemon) == [("pbx1", "pbx1-agent", "13800000101"),
                                    ("pbx2", "pbx2-agent", "13800000202")]
        linkedids = {t["server"]: t["linkedid"] for t in daemon.read("tickets")}
        assert linkedids["pbx1"].startswith("pbx1-") and linkedids["pbx2"].startswith("pbx2-")

    # pbx2 dies: pbx1's calls keep flowing, pbx2's outage alone is alerted.
    bed2.stop()
    alert = await _until(lambda: _outage(daemon, "outage_ami:pbx2"), 15, "pbx2's outage alert")
    assert alert[0]["cleared_at"] is None and alert[0]["level"] == "critical"
    assert _outage(daemon, "outage_ami:pbx1") == [] and _outage(daemon, "outage_ami") == []
    async with Controller(bed1) as c1:
        c1.call("support", "13800000103", patience_s=8)
        await _until(lambda: ("pbx1", "pbx1-agent", "13800000103") in _tickets(daemon), 20,
                     "a ticket on pbx1 while pbx2 is down")

    # pbx2 comes back (its state kept, as an operator's restart): resynced, alert cleared.
    resynced = _resynced(daemon, "pbx2")
    bed2.start(fresh=False)
    await _until(lambda: _resynced(daemon, "pbx2") > resynced, 20, "pbx2 resynced")
    await _until(lambda: _outage(daemon, "outage_ami:pbx2")[0]["cleared_at"], 15,
                 "pbx2's outage cleared")
    async with Controller(bed2) as c2:
        await c2.clear_queues()  # its persistent member came back with it: log in anew
        await c2.login("support", TWO)
        c2.call("support", "13800000204", patience_s=8)
        await _until(lambda: ("pbx2", "pbx2-agent", "13800000204") in _tickets(daemon), 20,
                     "a ticket on pbx2 after its return")
    assert _resynced(daemon, "pbx1") == 1  # pbx1's link never dropped meanwhile
    assert len(daemon.read("tickets")) == 4


def _callbacks() -> str:
    """The dialer's settings here: any hour of today, one attempt, quick rings."""
    return f"""
[callbacks]
channel_template = "Local/{{number}}@testbed-customers/n"
callback_queue = "callback"
max_in_flight_total = 4
max_in_flight_per_campaign = 4
max_attempts = 1
ring_timeout_s = 6
{dial_all_day()}dialer_interval_s = 0.5
"""


def _dialed(controller: Controller) -> set[str]:
    """The callback channels this Asterisk originated (its own events say): the
    customer's Local channel's first half, named by the dialer's ChannelId."""
    return {e.get("Uniqueid", "") for e in controller.events
            if e.get("Event") == "Newchannel" and e.get("Uniqueid", "").startswith("cb-")
            and e.get("Channel", "").endswith(";1")}


def _import(daemon: DaemonProcess, tmp_path: Path, campaign: int, numbers: list[str]) -> None:
    contacts = tmp_path / f"contacts-{numbers[0]}.csv"
    contacts.write_text("电话\n" + "".join(f"{n}\n" for n in numbers), encoding="utf-8")
    imported = json.loads(daemon.cli("campaigns", "import", str(campaign), str(contacts),
                                     "--json").stdout)
    assert imported["imported"] == len(numbers)


def _ended(daemon: DaemonProcess, phones: list[str]) -> list[dict[str, Any]] | None:
    """The attempts of these numbers once each has its outcome; None until then."""
    rows = [r for r in json.loads(daemon.cli("attempts", "list", "--json").stdout)
            if r["phone"] in phones and r["outcome"]]
    return rows if len(rows) == len(phones) else None


async def test_a_spread_campaign_dials_through_both_and_only_the_live_one_when_one_stops(
        beds: tuple[TestBed, TestBed], tmp_path: Path) -> None:
    bed1, bed2 = beds
    daemon = _daemon(beds, tmp_path, _callbacks())
    daemon.start()
    try:
        await daemon.logged("ami.resynced", count=2)
        async with Controller(bed1) as c1, Controller(bed2) as c2:
            for c, agent in ((c1, Agent("4101", "cb-pbx1", answer_after=1, talk_s=1)),
                             (c2, Agent("4201", "cb-pbx2", answer_after=1, talk_s=1))):
                await c.clear_queues()
                await c.login("callback", agent)  # a free callback agent on each server
            await daemon.logged("agent.state", count=2)
            created = json.loads(daemon.cli("campaigns", "create", "两台回访", "--json").stdout)
            busy = [f"1990200{n:04d}" for n in range(1, 5)]  # busy at once: quick to end
            _import(daemon, tmp_path, created["id"], busy)
            rows = await _until(lambda: _ended(daemon, busy), 40, "four attempts ended")
            assert {r["outcome"] for r in rows} == {"busy"}
            by_server = {r["server"] for r in rows}
            assert by_server == {"pbx1", "pbx2"}, rows
            # Counted from each Asterisk's own events: every attempt went out through
            # the server it records, each exactly once.
            await _until(lambda: len(_dialed(c1) | _dialed(c2)) >= 4, 10, "the channels seen")
            sides = {"pbx1": _dialed(c1), "pbx2": _dialed(c2)}
            assert sides["pbx1"].isdisjoint(sides["pbx2"])
            assert sum(len(v) for v in sides.values()) == 4
            for name, seen in sides.items():
                assert len(seen) == sum(1 for r in rows if r["server"] == name) >= 1

        # pbx2 stopped: the next contacts go through pbx1 only.
        bed2.stop()
        await _until(lambda: _outage(daemon, "outage_ami:pbx2"), 15, "pbx2's outage alert")
        async with Controller(bed1) as c1:
            more = [f"1990200{n:04d}" for n in range(5, 9)]
            _import(daemon, tmp_path, created["id"], more)
            later = await _until(lambda: _ended(daemon, more), 40,
                                 "four more attempts ended through pbx1")
            assert {r["server"] for r in later} == {"pbx1"}
            assert {r["outcome"] for r in later} == {"busy"}
            assert len(_dialed(c1)) == 4
        assert not [line for line in daemon.log_lines()
                    if line.get("event") == "dialer.task_failed"]
    finally:
        assert daemon.stop() == 0
