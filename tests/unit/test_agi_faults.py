"""The FastAGI server against hostile and broken peers (a Python socket client playing
Asterisk's side): a peer that hangs up mid-script, one that says HANGUP, garbage,
an oversized line, peers that stall, more sessions than allowed.  Meanwhile a
recorded call comes in over AMI and a well-behaved session rates it: the call gets
its ticket and its rating, the AMI link is never dropped, the event loop never lags,
and every bad session ends alone, logged with its error id and the call's ids."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import text

from callcenter.config import load
from callcenter.daemon import Daemon
from callcenter.store import db
from callcenter.testbed.asterisk import free_port
from tests.fakeami import FakeAmi, encode
from tests.replay import load as load_fixture
from tests.unit.test_webhooks import worst_loop_lag

LINKEDID = "1795567865.0"  # the recorded call (answered_in_time): its caller's channel


class Peer:
    """Asterisk's side of one FastAGI session, blocking (run it in a thread)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.rfile = self.sock.makefile("rb")
        self.commands: list[str] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def env(self, script: str, uniqueid: str = LINKEDID, callerid: str = "13800138000") -> None:
        lines = ["agi_network: yes", f"agi_network_script: {script}",
                 f"agi_request: agi://127.0.0.1:4573/{script}",
                 "agi_channel: Local/107@testbed-raters-00000000;1", "agi_language: zh",
                 "agi_type: Local", f"agi_uniqueid: {uniqueid}", "agi_version: 22.10.1",
                 f"agi_callerid: {callerid}", "agi_calleridname: Caller",
                 "agi_context: callcenter-inbound", "agi_extension: support",
                 "agi_priority: 10", "agi_enhanced: 0.0", "agi_accountcode: ",
                 "agi_threadid: 140575280772800"]
        self.send(("\n".join(lines) + "\n\n").encode())

    def command(self) -> str | None:
        line = self.rfile.readline()
        if not line:
            return None
        self.commands.append(line.decode().strip())
        return self.commands[-1]

    def converse(self, key: str = "", hang_up_on: str = "", notice_on: str = "") -> list[str]:
        """Answers as Asterisk does until the server ends the session; `key` is pressed
        during the first prompt that accepts it; `hang_up_on` closes the connection
        when that command comes; `notice_on` replies result=-1 and HANGUP to it."""
        while (cmd := self.command()) is not None:
            if hang_up_on and cmd.startswith(hang_up_on):
                break
            if notice_on and cmd.startswith(notice_on):
                self.send(b"200 result=-1 endpos=0\nHANGUP\n")
            elif cmd.startswith("GET FULL VARIABLE"):
                self.send(f"200 result=1 ({LINKEDID})\n".encode())
            elif cmd.startswith("STREAM FILE"):
                escape = cmd.split('"')[1]
                pressed = key and key in escape
                self.send(f"200 result={ord(key) if pressed else 0} endpos=800\n".encode())
            elif cmd.startswith("WAIT FOR DIGIT"):
                self.send(f"200 result={ord(key) if key else 0}\n".encode())
            else:
                self.send(b"200 result=1\n")
        self.close()
        return self.commands

    def closed_by_server(self) -> bool:
        """Whether the server ends the session (EOF) without a word from us."""
        self.sock.settimeout(10)
        try:
            return self.rfile.read() == b""
        except ConnectionResetError:  # closed with our bytes unread: a reset
            return True

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


@dataclass
class Running:
    daemon: Daemon
    fake: FakeAmi
    port: int  # the FastAGI server's
    url: str
    log: list[dict[str, Any]]  # every log line, as structlog's capture keeps them

    async def logged(self, count: int, *names: str) -> list[dict[str, Any]]:
        """The log so far, once `count` of its lines are among `names` (a session logs
        its end just after its socket closes: the peer may see the close first)."""
        for _ in range(200):
            if sum(1 for e in self.log if e.get("event") in names) >= count:
                break
            await asyncio.sleep(0.025)
        return list(self.log)


@contextlib.asynccontextmanager
async def running_daemon(tmp_path: Path, settings: dict[str, str]) -> AsyncIterator[Running]:
    """The whole daemon in this loop on SQLite, its AMI a fake one, its FastAGI server
    listening, every log line captured; `settings` as environment overrides."""
    url = f"sqlite:///{tmp_path}/agi.db"
    db.upgrade(url)
    fake = FakeAmi()
    ami_port, agi_port = await fake.start(), free_port()
    connected = asyncio.Event()
    fake.on_connected = lambda _writer: connected.set()
    daemon = Daemon(load(None, environ={
        "CALLCENTER__DATABASE__URL": url, "CALLCENTER__AMI__PORT": str(ami_port),
        "CALLCENTER__AMI__USERNAME": "cc", "CALLCENTER__AMI__SECRET": fake.secret,
        "CALLCENTER__WEB__ENABLED": "false", "CALLCENTER__AGI__PORT": str(agi_port),
        "CALLCENTER__HOTLINE__ALWAYS_OPEN": "true", **settings}))
    with structlog.testing.capture_logs() as captured:
        run = asyncio.create_task(daemon.run())
        try:
            await asyncio.wait_for(connected.wait(), 5)
            await _until_listening(daemon)
            yield Running(daemon, fake, agi_port, url, captured)
            assert not run.done()  # still up after everything
        finally:
            daemon.stop()
            await asyncio.wait_for(run, 15)
            await fake.stop()


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_daemon(tmp_path, {
            "CALLCENTER__AGI__MAX_SESSIONS": "8", "CALLCENTER__AGI__HANDSHAKE_TIMEOUT_S": "0.5",
            "CALLCENTER__AGI__IO_TIMEOUT_S": "1"}) as found:
        yield found


async def _until_listening(daemon: Daemon) -> None:
    for _ in range(100):
        agi = daemon.core.health.snapshot().get("agi")
        if agi is not None and agi.ok:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the FastAGI server never listened")


def _stall_silent(port: int) -> bool:
    return Peer(port).closed_by_server()  # not a byte: dropped after the handshake timeout


def _stall_after_env(port: int) -> bool:
    peer = Peer(port)
    peer.env("survey")
    assert peer.command() is not None  # the linkedid is asked for; no answer ever comes
    return peer.closed_by_server()


def _garbage(port: int) -> list[str]:
    peer = Peer(port)
    peer.env("survey")
    peer.command()
    rng = random.Random(11)
    peer.send(bytes(rng.randrange(1, 256) for _ in range(300)).replace(b"\n", b" ") + b"\n")
    return peer.converse()


def _oversized(port: int) -> bool:
    peer = Peer(port)
    peer.send(b"agi_network_script: survey" + b"x" * 10_000 + b"\n\n")
    return peer.closed_by_server()


async def test_faulty_peers_end_alone_while_calls_go_on(running: Running) -> None:
    the_daemon, fake, port, url = running.daemon, running.fake, running.port, running.url
    await _call_answered(the_daemon, fake, "answered_in_time")  # the call the peers play
    # Another recorded call comes in over AMI while the faulty sessions run.
    for record in load_fixture("inbound", "answered_late"):
        fake.push(encode(record["event"]))
    faults = [
        asyncio.to_thread(_stall_silent, port),
        asyncio.to_thread(_stall_after_env, port),
        asyncio.to_thread(_garbage, port),
        asyncio.to_thread(_oversized, port),
        asyncio.to_thread(lambda: _converse(port, "survey", hang_up_on="STREAM FILE")),
        asyncio.to_thread(lambda: _converse(port, "survey", notice_on="STREAM FILE")),
    ]
    lag = asyncio.create_task(worst_loop_lag(1.5))
    results = await asyncio.gather(*faults)
    assert results[0] is True and results[1] is True and results[3] is True
    assert await lag < 0.1
    assert await asyncio.to_thread(the_daemon.writer.flush, 10)
    # Now a caller who rates 3 (unsatisfied): stored, scored, the review started.
    good = await asyncio.to_thread(_converse, port, "survey", key="3")
    assert 'SET VARIABLE "CC_SURVEY" "rated"' in good
    assert fake.logins == 1  # the AMI link was never dropped

    engine = db.engine_for(url)
    with engine.connect() as conn:
        ticket = conn.execute(text("SELECT rating, rating_source, rated_at, review_due_at "
                                   "FROM tickets WHERE linkedid = :l"), {"l": LINKEDID}).one()
        points = conn.execute(text("SELECT points, reason FROM points_ledger "
                                   "WHERE ticket_id IS NOT NULL")).all()
        late_call = conn.execute(text("SELECT count(*) FROM tickets WHERE linkedid = :l"),
                                 {"l": "1795567877.0"}).scalar_one()
    engine.dispose()
    assert late_call == 1  # the AMI path went on through all of it
    assert (ticket.rating, ticket.rating_source) == ("unsatisfied", "ivr")
    assert ticket.review_due_at - ticket.rated_at == pytest.approx(7200)
    assert [tuple(p) for p in points] == [(-3, "rating_unsatisfied")]

    ends = ("agi.timeout", "agi.protocol", "agi.caller_hung_up", "agi.session_ended",
            "agi.script_failed")
    ended = [e for e in await running.logged(7, *ends) if e.get("event") in ends]
    assert sorted(e["event"] for e in ended) == sorted([
        "agi.timeout", "agi.timeout", "agi.protocol", "agi.protocol", "agi.caller_hung_up",
        "agi.caller_hung_up", "agi.session_ended"])
    assert all(e["error_id"] in ("agi.timeout", "agi.protocol") for e in ended
               if e["event"] in ("agi.timeout", "agi.protocol"))
    # Once the call's ids were read they are on the line: the hang-ups and the garbage reply.
    with_ids = [e for e in ended if e["event"] == "agi.caller_hung_up"]
    assert all((e["uniqueid"], e["linkedid"]) == (LINKEDID, LINKEDID) for e in with_ids)


async def _call_answered(the_daemon: Daemon, fake: FakeAmi, scenario: str) -> None:
    """A recorded call over AMI, until its ticket is in the database."""
    for record in load_fixture("inbound", scenario):
        fake.push(encode(record["event"]))
    await fake.drain()
    await asyncio.sleep(0.3)  # read and handled by the daemon's loop
    assert await asyncio.to_thread(the_daemon.writer.flush, 10)


def _converse(port: int, script: str, **how: str) -> list[str]:
    peer = Peer(port)
    peer.env(script)
    return peer.converse(**how)


async def test_sessions_beyond_the_limit_are_refused_at_once(running: Running) -> None:
    port = running.port
    stalls = [Peer(port) for _ in range(8)]  # every session taken, by peers that say nothing
    await asyncio.sleep(0.1)
    started = time.monotonic()
    refused = await asyncio.to_thread(lambda: Peer(port).closed_by_server())
    assert refused and time.monotonic() - started < 0.3  # not queued behind the stalls
    await asyncio.to_thread(lambda: [p.closed_by_server() for p in stalls])
    # Free again: the next call is served ("open": the dialplan queues the caller).
    served = await asyncio.to_thread(_converse, port, "after_hours")
    assert 'SET VARIABLE "CC_HOURS" "open"' in served
    unknown = await asyncio.to_thread(_converse, port, "no_such_script")
    assert unknown[-1] == 'SET VARIABLE "CC_AGI_STATUS" "not_available"'
    events = [e["event"] for e in await running.logged(1, "agi.unknown_script")]
    assert events.count("agi.sessions_full") == 1 and "agi.unknown_script" in events


async def test_a_survey_without_a_ticket_or_a_key_changes_nothing(running: Running) -> None:
    the_daemon, fake, port, url = running.daemon, running.fake, running.port, running.url
    # No ticket for this call (nobody answered it): no prompt at all.
    unknown = await asyncio.to_thread(_converse, port, "survey")
    assert not [c for c in unknown if c.startswith("STREAM FILE")]
    assert 'SET VARIABLE "CC_SURVEY" "no_ticket"' in unknown

    await _call_answered(the_daemon, fake, "answered_in_time")
    for key in ("", "9"):  # silence, then a key that means nothing: one retry each
        asked = await asyncio.to_thread(_converse, port, "survey", key=key)
        assert [c for c in asked if c.startswith("WAIT FOR DIGIT")] == ["WAIT FOR DIGIT 5000"] * 2
        assert 'STREAM FILE please-try-again "123" 0' in asked
        assert 'SET VARIABLE "CC_SURVEY" "no_input"' in asked
    rated = await asyncio.to_thread(_converse, port, "survey", key="1")
    assert rated[1] == 'STREAM FILE vm-press "123" 0'  # the prompt takes the key at once
    again = await asyncio.to_thread(_converse, port, "survey", key="3")  # the same call
    assert 'SET VARIABLE "CC_SURVEY" "already_rated"' in again

    engine = db.engine_for(url)
    with engine.connect() as conn:
        ticket = conn.execute(text("SELECT rating, rating_source, review_due_at FROM tickets")).one()
        points = conn.execute(text("SELECT count(*) FROM points_ledger")).scalar_one()
    engine.dispose()
    assert tuple(ticket) == ("satisfied", "ivr", None)
    assert points == 0  # satisfied: 0 points, no ledger line
