"""Nothing the center did is lost (issue 10), on the real Asterisk 22 with traffic
flowing: a caller every ~1 s, agents answering after 1-3 s.  Proof is counted against
the test bed's own queue_log: every CONNECT the daemon saw has its ticket in the
database, whatever happened to the daemon's store meanwhile.

- SIGTERM and SIGINT to the daemon's whole process group (Ctrl-C, systemd's stop),
  five times each: the writer process ignores them, the daemon drains and exits 0.
- kill -9 of the writer process alone: restarted, the batch re-sent, health told.
- PostgreSQL stopped for 60 s: kept (memory, then journal), written in order after.
- The same with the journal's directory full: said (error id, health), held in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.full_disk import fill, free, tmpfs
from tests.integration.conftest import DaemonProcess
from tests.pg_server import OwnPostgres

pytestmark = pytest.mark.asterisk

AGENTS = tuple(Agent(f"29{i:02d}", f"nl{i}", answer_after=1 + i % 3, talk_s=2 + i % 3)
               for i in range(10))
# Anything that would mean an outcome was lost, dropped, or the writer died.
LOSS = {"store.writer_died", "store.outcomes_lost", "store.kept_in_journal", "store.set_aside",
        "store.set_aside_failed", "store.pump_failed"}


def connects(bed: TestBed) -> list[tuple[int, str]]:
    """(time, caller's uniqueid) of every CONNECT in the test bed's own queue_log."""
    path = bed.instance_dir / "log" / "queue_log"
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split("|")
        if len(fields) > 4 and fields[4] == "CONNECT":
            rows.append((int(fields[0]), fields[1]))
    return rows


def seen(lines: list[dict[str, Any]]) -> dict[str, str]:
    """uniqueid -> linkedid of every ticket the daemon opened, from its log."""
    return {line["uniqueid"]: line["linkedid"] for line in lines
            if line.get("event") == "ticket.opened"}


class Traffic:
    """A caller every ~1 s into `support`, each giving up after 10 s, until stopped."""

    def __init__(self, c: Controller, prefix: str) -> None:
        self.c, self.prefix, self.placed = c, prefix, 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.c.call("support", f"139{self.prefix}{self.placed:05d}", patience_s=10)
            self.placed += 1
            await asyncio.sleep(random.uniform(0.8, 1.2))

    @contextlib.asynccontextmanager
    async def flowing(self) -> AsyncIterator[Traffic]:
        self._task = asyncio.create_task(self._run(), name="traffic")
        try:
            yield self
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@contextlib.asynccontextmanager
async def agents_logged_in(bed: TestBed) -> AsyncIterator[Controller]:
    async with Controller(bed) as c:
        await c.clear_queues()
        for agent in AGENTS:
            await c.login("support", agent)
        yield c


def no_loss(lines: list[dict[str, Any]], raw: str) -> None:
    lost = [line for line in lines if line.get("event") in LOSS]
    assert lost == [], lost
    assert "Traceback" not in raw and "KeyboardInterrupt" not in raw


async def test_group_signals_mid_traffic_lose_nothing(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    signals = [signal.SIGTERM, signal.SIGINT] * 5
    drains: list[float] = []
    async with agents_logged_in(bed) as c, Traffic(c, "10").flowing():
        for n, sig in enumerate(signals):
            before = len(daemon.log_lines())
            await asyncio.to_thread(daemon.start)
            run_start = time.time()
            await asyncio.sleep(random.uniform(3.0, 6.0))  # mid-traffic, anywhere
            signalled = time.time()
            code = await asyncio.to_thread(daemon.signal_group, sig)
            drains.append(time.time() - signalled)
            assert code == 0, f"round {n} ({sig.name}): exit {code}"
            lines = daemon.log_lines()[before:]
            no_loss(lines, daemon.log.read_text())
            opened = seen(lines)
            # Every CONNECT while this daemon ran is one it saw...
            missed = [(t, u) for t, u in connects(bed)
                      if run_start + 1 <= t <= signalled - 2 and u not in opened]
            assert missed == [], f"round {n}: CONNECTs the daemon never saw: {missed}"
            # ...and every ticket it opened is in the database, though it was stopped.
            with sqlite3.connect(tmp_path / "callcenter.db") as conn:
                stored = {r[0] for r in conn.execute("SELECT linkedid FROM tickets")}
            assert set(opened.values()) <= stored, f"round {n} ({sig.name}): tickets lost"
            assert [line["event"] for line in lines].count("store.writer_started") == 1
            stopped = [line for line in lines if line.get("event") == "store.writer_stopped"]
            assert len(stopped) == 1 and stopped[0]["kept_in_journal"] == 0
    with sqlite3.connect(tmp_path / "callcenter.db") as conn:
        tickets = conn.execute("SELECT count(*), count(DISTINCT linkedid) FROM tickets").fetchone()
    everything = seen(daemon.log_lines())
    assert tickets == (len(everything), len(everything)) and len(everything) >= 20
    print(f"\n{len(signals)} group signals, {len(everything)} tickets, none lost; "
          f"signal to exit: max {max(drains):.2f} s, median {sorted(drains)[len(drains) // 2]:.2f} s")


async def test_writer_killed_mid_traffic_is_restarted_and_loses_nothing(
        bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path, extra=_outages(tmp_path))
    async with agents_logged_in(bed) as c, Traffic(c, "20").flowing():
        await asyncio.to_thread(daemon.start)
        run_start = time.time()
        await daemon.logged("ticket.opened", count=2, timeout=30)
        pid = [line for line in daemon.log_lines() if line["event"] == "store.writer_started"][-1]["pid"]
        os.kill(pid, signal.SIGKILL)
        await daemon.logged("store.writer_died")
        await daemon.logged("store.writer_running")
        await daemon.logged("ticket.opened", count=len(seen(daemon.log_lines())) + 3, timeout=30)
    await asyncio.sleep(14)  # the last callers give up
    ended = time.time()
    parts = await asyncio.to_thread(_settled, daemon)
    assert parts["writer"]["ok"] is True and parts["writer"]["figures"]["restarts"] == 1
    assert await asyncio.to_thread(daemon.stop) == 0
    lines = daemon.log_lines()
    events = [line["event"] for line in lines]
    died = next(line for line in lines if line["event"] == "store.writer_died")
    assert died["exit_code"] == -9 and died["error_id"] == "store.writer_died"
    # Health: not ok (restarting), then ok (running) again, as the log says it was told.
    assert events.index("store.writer_died") < events.index("store.writer_running")
    assert events.count("store.writer_started") == 2
    opened = seen(lines)
    missed = [u for t, u in connects(bed) if run_start + 1 <= t <= ended and u not in opened]
    assert missed == []
    with sqlite3.connect(tmp_path / "callcenter.db") as conn:
        stored = {r[0] for r in conn.execute("SELECT linkedid FROM tickets")}
    assert set(opened.values()) == stored
    assert not [line for line in lines if line["event"] in LOSS - {"store.writer_died"}]
    print(f"\nwriter killed (-9), in flight: {died['in_flight']}; {len(stored)} tickets, "
          f"every CONNECT of the run among them")


@pytest.fixture(scope="module")
def own_pg() -> Iterator[OwnPostgres]:
    server = OwnPostgres("live")
    server.start()
    yield server
    server.destroy()


def _outages(tmp_path: Path) -> str:
    """The status file where the test reads it (`callcenter status` itself needs the
    database, which these tests take away), rewritten twice a second."""
    return f'[outages]\nstatus_interval_s = 0.5\nstatus_file = "{tmp_path}/status.json"\n'


def _status(daemon: DaemonProcess) -> dict[str, Any]:
    """The health parts as the daemon last wrote them."""
    path = daemon.config.parent / "status.json"
    try:
        parts: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["parts"]
    except (OSError, ValueError):  # not written yet, or being replaced
        return {}
    return parts


def _settled(daemon: DaemonProcess, timeout: float = 30.0) -> dict[str, Any]:
    """The status once the writer has nothing left to write (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        parts = _status(daemon)
        if parts.get("writer", {}).get("figures", {}).get("lag", 1) == 0 \
                or time.monotonic() > deadline:
            return parts
        time.sleep(0.5)


async def _outage(bed: TestBed, daemon: DaemonProcess, pg: OwnPostgres, away_s: float,
                  prefix: str) -> tuple[float, float, list[dict[str, Any]]]:
    """Traffic; PostgreSQL stopped for `away_s`; traffic on; everything settled.  Returns
    when the daemon started and stopped, and the status parts seen while it was away."""
    seen_down: list[dict[str, Any]] = []
    async with agents_logged_in(bed) as c, Traffic(c, prefix).flowing():
        await asyncio.to_thread(daemon.start)
        run_start = time.time()
        await daemon.logged("ticket.opened", count=2, timeout=30)
        await asyncio.to_thread(pg.stop)
        back_at = time.monotonic() + away_s
        await daemon.logged("store.database_unreachable", timeout=20)
        while time.monotonic() < back_at:
            seen_down.append(await asyncio.to_thread(_status, daemon))
            await asyncio.sleep(2)
        await asyncio.to_thread(pg.start)
        await daemon.logged("store.database_reachable", timeout=30)
        await asyncio.sleep(5)
    await asyncio.sleep(14)  # the last callers give up
    ended = time.time()
    parts = await asyncio.to_thread(_settled, daemon)
    assert parts["writer"]["figures"]["lag"] == 0 and parts["database"]["ok"] is True
    assert await asyncio.to_thread(daemon.stop) == 0
    return run_start, ended, seen_down


def _check_all_written_in_order(bed: TestBed, daemon: DaemonProcess, url: str,
                                run_start: float, ended: float) -> None:
    lines = daemon.log_lines()
    opened = seen(lines)
    missed = [u for t, u in connects(bed) if run_start + 1 <= t <= ended and u not in opened]
    assert missed == [], f"CONNECTs the daemon never saw: {missed}"
    engine = create_engine(url)
    with engine.connect() as conn:
        tickets = conn.execute(text("SELECT linkedid FROM tickets ORDER BY id")).scalars().all()
        states = conn.execute(text(
            "SELECT agent_interface, state FROM agent_state_changes ORDER BY id")).all()
    engine.dispose()
    # Every ticket, once, in the order the daemon opened them; every agent state change
    # likewise: the outage's outcomes were written after it, in order.
    assert tickets == [line["linkedid"] for line in lines if line["event"] == "ticket.opened"]
    assert [tuple(s) for s in states] == [(line["interface"], line["state"]) for line in lines
                                          if line["event"] == "agent.state"]
    assert not [line for line in lines if line["event"] in LOSS]


async def test_postgresql_stopped_60_s_mid_traffic_loses_nothing(
        bed: TestBed, tmp_path: Path, own_pg: OwnPostgres) -> None:
    own_pg.start()
    url = own_pg.create_database("cc_outage")
    journal = tmp_path / "journal"
    daemon = DaemonProcess(bed, tmp_path, extra=_outages(tmp_path),
                           database_url=url, database_extra=(
                               f'buffer_max = 100\nretry_max_s = 2\njournal_dir = "{journal}"\n'))
    run_start, ended, while_away = await _outage(bed, daemon, own_pg, 60.0, "30")
    assert any(p.get("database", {}).get("ok") is False for p in while_away)
    assert any(p.get("journal", {}).get("figures", {}).get("journal_outcomes", 0) > 0
               for p in while_away), "the buffer was small: the journal must have been used"
    events = [line["event"] for line in daemon.log_lines()]
    for event in ("store.database_unreachable", "store.journal_in_use",
                  "store.database_reachable", "store.journal_emptied"):
        assert event in events, event
    assert events.index("store.database_unreachable") < events.index("store.database_reachable")
    assert "outage.alerted" in events and "outage.over" in events  # health went down and up
    assert (journal / "outcomes.journal").stat().st_size == 0
    _check_all_written_in_order(bed, daemon, url, run_start, ended)


async def test_journal_directory_full_is_said_and_held_in_memory(
        bed: TestBed, tmp_path: Path, own_pg: OwnPostgres) -> None:
    own_pg.start()
    url = own_pg.create_database("cc_full")
    with tmpfs(tmp_path / "journal", "64k") as journal:
        fill(journal)
        daemon = DaemonProcess(bed, tmp_path, extra=_outages(tmp_path),
                               database_url=url, database_extra=(
                                   f'buffer_max = 20\nretry_max_s = 2\njournal_dir = "{journal}"\n'))
        run_start, ended, while_away = await _outage(bed, daemon, own_pg, 25.0, "40")
        free(journal)
    unwritable = [line for line in daemon.log_lines() if line["event"] == "store.journal_unwritable"]
    assert unwritable and unwritable[0]["error_id"] == "store.journal_unwritable"
    assert "No space left" in unwritable[0]["error"]
    down = [p["journal"] for p in while_away if p.get("journal", {}).get("ok") is False]
    assert down and "held in memory" in down[0]["detail"]
    assert max(p["figures"]["held_in_memory"] for p in down) > 0
    _check_all_written_in_order(bed, daemon, url, run_start, ended)
