"""Nothing the center did is lost: the daemon SIGKILLed and down for 30 s, or its AMI
link cut for 20 s, while the real Asterisk 22 goes on taking calls (agents answering
after 1-3 s, a caller every 1.5 s, a ring-out and a caller giving up in the gap).
Asterisk's own queue_log closes the gap: every call its CONNECT lines show has
exactly one ticket, those of the gap marked recovered; ring-outs are violations with
their points; callers who gave up get a callback; another restart adds nothing; the
running cross-check finds the daemon's counts equal to queue_log's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.domain.queue_log import Connected, Entry, LeaveReason, Left, RingEnded, parse
from callcenter.store import db
from callcenter.store import models as m
from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess
from tests.unit.test_webhooks import Receiver

pytestmark = pytest.mark.asterisk

RECOVERY = """
[recovery]
read_interval_s = 1
cross_check_s = 20
"""
RING_BUDGET_S = 15.0


def _agents(prefix: str, count: int) -> list[Agent]:
    return [Agent(f"{prefix}{n}", f"{prefix}-{n}", answer_after=1 + n % 3, talk_s=3)
            for n in range(count)]


class QueueLogSince:
    """The test bed's own queue_log, from the test's start."""

    def __init__(self, bed: TestBed) -> None:
        self.path = bed.queue_log
        self.start = self.path.stat().st_size

    def entries(self) -> list[Entry]:
        with self.path.open("rb") as f:
            f.seek(self.start)
            entries, refused = parse(f.read().decode("utf-8").splitlines())
        assert refused == 0
        return entries


class AmiCut:
    """A TCP relay in front of Asterisk's AMI that the test cuts: Asterisk stays up and
    keeps taking calls; the daemon's link drops and its reconnects are refused.  It
    runs on a loop of its own: the test's loop blocks at times (the CLI, starting the
    daemon) and a relay that stalled would cut the link by itself."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ami-cut",
                                        daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def start(self) -> int:
        return int(self._run(self._start()))

    def cut(self) -> None:
        self._run(self._cut())

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer),
                             return_exceptions=True)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        finally:
            sink.close()

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()  # reconnects are refused at once
            self._server = None
        for writer in self._writers:
            writer.close()
        self._writers.clear()


async def _traffic(c: Controller, prefix: str, seconds: float, every_s: float = 1.5,
                   patience_s: int = 10) -> None:
    """A support caller every `every_s`; each gives up after `patience_s` in all."""
    for n in range(int(seconds / every_s)):
        c.call("support", f"{prefix}{n:04d}", patience_s=patience_s)
        await asyncio.sleep(every_s)


def _count(url: str, model: type, *where: Any) -> int:
    with db.engine_for(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model).where(*where))
                   .scalar_one())


def _tickets(daemon: DaemonProcess) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        daemon.cli("tickets", "--limit", "10000", "--json").stdout)
    by_linkedid = {t["linkedid"]: t for t in rows}
    assert len(by_linkedid) == len(rows)
    return by_linkedid


def _logged(daemon: DaemonProcess, event: str) -> list[dict[str, Any]]:
    return [line for line in daemon.log_lines() if line.get("event") == event]


def _check_gap(daemon: DaemonProcess, url: str, entries: list[Entry], gap: tuple[float, float],
               gave_up: set[str]) -> dict[str, int]:
    """Every CONNECT has its one ticket (recovered within the gap, live outside it),
    every ring-out its violation, every caller who gave up in the gap a callback."""
    connects = {e.callid: e for e in reversed(entries) if isinstance(e, Connected)}
    tickets = _tickets(daemon)
    assert set(tickets) == set(connects)
    down, up = gap
    recovered = {cid for cid, t in tickets.items() if t["recovered"]}
    inside = {cid for cid, e in connects.items() if down + 1 < e.at < up - 1}
    outside = {cid for cid, e in connects.items() if e.at < down - 2 or e.at > up + 2}
    assert inside and inside <= recovered, "calls connected in the gap are recovered"
    assert outside and not outside & recovered, "calls seen live are not"
    # queue_log's callid is the caller's Uniqueid, and its Linkedid: the store agrees.
    with db.engine_for(url).connect() as conn:
        pairs = conn.execute(select(m.Call.uniqueid, m.Call.linkedid)).all()
        phones = set(conn.execute(select(m.Contact.phone)).scalars())
    assert pairs and all(u == linked for u, linked in pairs)
    rang_out = {e.callid for e in entries
                if isinstance(e, RingEnded) and e.ring_s >= RING_BUDGET_S}
    violations = json.loads(daemon.cli("violations", "--limit", "1000", "--json").stdout)
    assert rang_out and rang_out <= {v["linkedid"] for v in violations}
    assert all(v["settled"] for v in violations)
    assert gave_up <= phones, "callers who gave up in the gap are called back"
    abandoned = [e for e in entries if isinstance(e, Left) and e.reason is LeaveReason.ABANDON]
    assert len(abandoned) >= len(gave_up)
    assert _logged(daemon, "queue_log.mismatch") == []
    return {"tickets": len(tickets), "violations": len(violations),
            "points": _count(url, m.PointsEntry), "contacts": len(phones),
            "calls": _count(url, m.Call)}


@pytest.fixture
def stopped(request: pytest.FixtureRequest) -> Iterator[list[DaemonProcess]]:
    daemons: list[DaemonProcess] = []
    yield daemons
    for daemon in daemons:
        with contextlib.suppress(Exception):
            daemon.stop()


async def test_sigkill_30s_down_everything_is_backfilled_once(
        bed: TestBed, tmp_path: Path, stopped: list[DaemonProcess]) -> None:
    url = f"sqlite:///{tmp_path}/callcenter.db"
    daemon = DaemonProcess(bed, tmp_path, RECOVERY)
    stopped.append(daemon)
    qlog = QueueLogSince(bed)
    daemon.start()
    await daemon.logged("queue_log.started")
    async with Controller(bed) as c:
        await c.clear_queues()
        for agent in _agents("330", 6):
            await c.login("support", agent)
        await c.login("complaints", Agent("3399", "deaf", answer_after=None))
        calls = asyncio.create_task(_traffic(c, "1371", seconds=41))
        await asyncio.sleep(8)
        down = time.time()
        daemon.kill()
        # A caller rings the deaf agent out (20 s >= the 15 s budget) and gives up; the
        # next one gives up waiting behind them (23 s >= abandoned_min_wait_s).
        c.call("complaints", "13720000001", patience_s=23)
        await asyncio.sleep(2)
        c.call("complaints", "13720000002", patience_s=23)
        await asyncio.sleep(down + 30 - time.time())
        daemon.start()
        up = time.time()
        await daemon.logged("queue_log.backfilled", count=2, timeout=30)
        await calls
        await asyncio.sleep(11)  # the last callers are done
    await asyncio.sleep(4)  # and read: lines younger than the ping deadline wait a pass
    entries = qlog.entries()
    first = _check_gap(daemon, url, entries, (down, up), {"13720000001", "13720000002"})
    assert _logged(daemon, "recovery.violation")  # the ring-outs, not seen live

    # Another restart reads from the checkpoint: nothing twice.
    recovered_before = len(_logged(daemon, "recovery.ticket"))
    assert daemon.stop() == 0
    daemon.start()
    await daemon.logged("queue_log.backfilled", count=3, timeout=30)
    assert _check_gap(daemon, url, entries, (down, up), {"13720000001", "13720000002"}) == first
    assert len(_logged(daemon, "recovery.ticket")) == recovered_before


async def test_ami_link_cut_20s_the_gap_is_backfilled(
        bed: TestBed, tmp_path: Path, stopped: list[DaemonProcess]) -> None:
    url = f"sqlite:///{tmp_path}/callcenter.db"
    relay = AmiCut(bed.ami_port)
    ops = Receiver()  # the operators' webhook: the outage must reach it
    outage = f"""
[outages]
ami_alert_after_s = 5
[webhooks]
targets = [{{ kind = "json", url = "{ops.url('/ops')}", name = "ops" }}]
backoff_initial_s = 0.2
"""
    daemon = DaemonProcess(bed, tmp_path, RECOVERY + outage, ami_port=relay.start())
    stopped.append(daemon)
    qlog = QueueLogSince(bed)
    daemon.start()
    await daemon.logged("queue_log.started")
    async with Controller(bed) as c:
        await c.clear_queues()
        for agent in _agents("340", 5):
            await c.login("support", agent)
        await c.login("complaints", Agent("3499", "deaf2", answer_after=None))
        calls = asyncio.create_task(_traffic(c, "1373", seconds=28))
        await asyncio.sleep(3)
        # Rings out in the gap (seen ringing live: its violation is raised live) and
        # gives up in the gap (its callback comes from queue_log).
        c.call("complaints", "13740000001", patience_s=22)
        await asyncio.sleep(2)
        down = time.time()
        relay.cut()
        await daemon.logged("ami.disconnected")
        await asyncio.sleep(down + 20 - time.time())
        relay.start()
        up = time.time()
        await daemon.logged("queue_log.backfilled", count=2, timeout=30)
        await calls
        await asyncio.sleep(11)
    await asyncio.sleep(4)
    try:
        assert bed.running  # Asterisk itself never stopped
        _check_gap(daemon, url, qlog.entries(), (down, up), {"13740000001"})
        assert _logged(daemon, "recovery.abandoned")
        # The link down for 20 s (> ami_alert_after_s): raised once, cleared once.
        told = [(r.body["kind"], r.body["change"]) for r in ops.seen("/ops")
                if r.body["kind"] == "outage_ami"]
        assert told == [("outage_ami", "raised"), ("outage_ami", "cleared")]
    finally:
        daemon.stop()
        relay.close()
        ops.close()
