"""Active/standby on one PostgreSQL (its own server, restarted by the test) and the
real Asterisk: two daemons follow the same PBX; a campaign is dialing when the leader
is SIGKILLed; the standby leads within [cluster] takeover_s, every contact is dialed
exactly once (counted from Asterisk's own Newchannel events), every call an agent
took has its one ticket; then PostgreSQL restarts under both and they resume, and at
no moment have two daemons led (from their own log lines, each change at INFO)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from callcenter.testbed.asterisk import TestBed, free_port
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess
from tests.integration.test_callbacks_live import _callback_settings

pytestmark = pytest.mark.asterisk

TAKEOVER_S = 10.0
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres-test"
ANSWER = [f"1990102{n:04d}" for n in range(1, 5)]  # answer after 2 s
RING_OUT = [f"1990300{n:04d}" for n in range(5, 9)]  # never answer (ring timeout)
LATE = "19901020099"  # added after PostgreSQL's restart


class Postgres:
    """A PostgreSQL server of the test's own (scripts/postgres-test), to restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.data = Path(f"/tmp/cc-standby-pg-{os.getpid()}-{uuid.uuid4().hex[:6]}")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.env = {**os.environ, "CALLCENTER_PG_DIR": str(self.data),
                    "CALLCENTER_PG_PORT": str(self.port)}

    def run(self, action: str) -> None:
        subprocess.run([str(SCRIPT), action], env=self.env, check=True, capture_output=True,
                       timeout=120)


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    server = Postgres()
    server.run("start")  # fails (never skips) if it cannot
    yield server
    server.run("stop")
    subprocess.run(["rm", "-rf", str(server.data)], check=False)


def _daemon(bed: TestBed, workdir: Path, url: str, node: str) -> DaemonProcess:
    workdir.mkdir()
    daemon = DaemonProcess(bed, workdir, database_url=url, agi_port=free_port(),
                           database_extra=f'journal_dir = "{workdir}/journal"', extra=f"""
[cluster]
mode = "standby"
node = "{node}"
takeover_s = {TAKEOVER_S}

[outages]
status_file = "{workdir}/status.json"
""")
    _callback_settings(daemon)
    config = daemon.config.read_text()
    for key in ("gap_busy_s", "gap_no_answer_s", "gap_powered_off_s", "gap_other_s"):
        config = config.replace(f"{key} = 4", f"{key} = 3600")  # a second call = a re-dial
    config = config.replace("max_in_flight_total = 6", "max_in_flight_total = 2")
    daemon.config.write_text(config.replace("ring_timeout_s = 6", "ring_timeout_s = 5"))
    return daemon


def _at(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(line["timestamp"]).timestamp()


def spans(daemon: DaemonProcess, kills: list[float], now: float) -> list[tuple[float, float]]:
    """When this daemon believed it led: from each `cluster.leading` to its
    `cluster.standing_by`, or to its SIGKILL (`kills`, in order), or to `now`."""
    out: list[tuple[float, float]] = []
    start: float | None = None
    killed = iter(kills)
    for line in daemon.log_lines():
        event = line.get("event")
        if event == "daemon.started" and start is not None:  # the run before was killed
            out.append((start, next(killed)))
            start = None
        elif event == "cluster.leading":
            start = _at(line)
        elif event == "cluster.standing_by" and start is not None:
            out.append((start, _at(line)))
            start = None
    if start is not None:
        out.append((start, now if daemon.process is not None else next(killed)))
    return out


def overlaps(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> list[Any]:
    return [(x, y) for x in a for y in b if max(x[0], y[0]) < min(x[1], y[1])]


def dialed(c: Controller, numbers: list[str]) -> dict[str, int]:
    legs = [e.get("Channel", "") for e in c.events if e.get("Event") == "Newchannel"]
    return {n: sum(1 for ch in legs if ch.startswith(f"Local/{n}@") and ch.endswith(";1"))
            for n in numbers}


async def settled(url: str, numbers: list[str], timeout: float) -> list[Any]:
    """Wait until every number has an attempt and none is under way."""
    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT phone, status FROM attempts")).all()
            done = {r.phone for r in rows if r.status not in ("dialing", "answered")}
            if set(numbers) <= done and len(done) == len({r.phone for r in rows}):
                return list(rows)
            if time.monotonic() > deadline:
                raise AssertionError(f"campaign did not settle: {rows}")
            await asyncio.sleep(1)
    finally:
        engine.dispose()


async def test_leader_killed_then_postgres_restarted(bed: TestBed, tmp_path: Path,
                                                    postgres: Postgres) -> None:
    a = _daemon(bed, tmp_path / "a", postgres.url, "a")
    b = _daemon(bed, tmp_path / "b", postgres.url, "b")
    kills: list[float] = []
    codes: list[int] = []
    a.start()
    await a.logged("cluster.leading", timeout=20)
    b.start()
    try:
        async with Controller(bed) as c:
            await c.clear_queues()
            for n in range(2):
                await c.login("callback", Agent(f"42{n:02d}", f"h{n}", answer_after=1, talk_s=3))
                await c.login("support", Agent(f"43{n:02d}", f"s{n}", answer_after=1, talk_s=2))
            await a.logged("agent.state", count=4)
            await b.logged("agent.state", count=4)
            assert not any(line.get("event") == "cluster.leading" for line in b.log_lines())
            contacts = tmp_path / "ha.csv"
            contacts.write_text("电话\n" + "\n".join(ANSWER + RING_OUT) + "\n", encoding="utf-8")
            created = json.loads(a.cli("campaigns", "create", "standby", "--json",
                                       "--max-in-flight", "2").stdout)
            a.cli("campaigns", "import", str(created["id"]), str(contacts))
            await a.logged("callback.dialing", count=3, timeout=40)
            for n in range(3):  # inbound calls across the kill: each must keep its ticket
                c.call("support", f"1380000{n:04d}", patience_s=20)
            await asyncio.sleep(1.0)
            kills.append(time.time())
            a.kill()
            await b.logged("cluster.leading", timeout=TAKEOVER_S + 5)
            took_over = [_at(x) for x in b.log_lines() if x.get("event") == "cluster.leading"]
            takeover_s = took_over[0] - kills[0]
            rows = await settled(postgres.url, ANSWER + RING_OUT, timeout=120)
            await asyncio.sleep(6)  # the last answered calls' talk time and wrap-up

            # PostgreSQL restarted under both (the killed one is back as a standby).
            await asyncio.to_thread(a.start)
            await asyncio.sleep(2)
            restarted_at = time.time()
            await asyncio.to_thread(postgres.run, "stop")
            await asyncio.sleep(3)
            await asyncio.to_thread(postgres.run, "start")
            back_at = time.time()
            deadline = time.monotonic() + 3 * TAKEOVER_S
            while True:
                now = time.time()
                leading = [d for d in (a, b) if spans(d, kills, now)
                           and spans(d, kills, now)[-1][1] >= now - 0.01
                           and spans(d, kills, now)[-1][0] > restarted_at]
                if leading or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            assert len(leading) == 1, "one leader after PostgreSQL's restart"
            resumed_s = spans(leading[0], kills, now)[-1][0] - back_at
            leader = leading[0]
            late = tmp_path / "late.csv"
            late.write_text(f"电话\n{LATE}\n", encoding="utf-8")
            leader.cli("campaigns", "import", str(created["id"]), str(late))
            await settled(postgres.url, [LATE], timeout=60)
            await asyncio.sleep(6)
            per_number = dialed(c, [*ANSWER, *RING_OUT, LATE])
            connects = {e["Linkedid"] for e in c.events if e.get("Event") == "AgentConnect"}

        assert per_number == dict.fromkeys(per_number, 1), f"dialed exactly once: {per_number}"
        assert sorted(r.phone for r in rows) == sorted(ANSWER + RING_OUT)
        assert takeover_s <= TAKEOVER_S, f"took over in {takeover_s:.1f} s"
        engine = create_engine(postgres.url)
        with engine.connect() as conn:
            tickets = conn.execute(text("SELECT linkedid FROM tickets")).scalars().all()
            holder = conn.execute(text("SELECT holder FROM cluster_leader")).scalar_one()
        engine.dispose()
        assert sorted(tickets) == sorted(connects), "every call an agent took: one ticket"
        now = time.time()
        both = overlaps(spans(a, kills, now), spans(b, kills, now))
        assert both == [], f"two leaders at once: {both}"
        assert holder == ("a" if leader is a else "b")
        assert a.process is not None and b.process is not None  # both lived through it
        print(f"\ntakeover {takeover_s:.1f} s after SIGKILL; after PostgreSQL's restart "
              f"{'a' if leader is a else 'b'} led {resumed_s:.1f} s after it was back; "
              f"{len(per_number)} contacts dialed once each; {len(tickets)} tickets; "
              f"spans a={spans(a, kills, now)} b={spans(b, kills, now)}")
    finally:
        codes += [d.stop() for d in (a, b)]
    assert codes == [0, 0]
