"""Operations on the whole daemon, over its own web server: `/healthz`, `/readyz` (503
while AMI or the database is away) and `/metrics`, whose counts are those of a recorded
AMI stream replayed by the fake AMI server; on SQLite and PostgreSQL.  (The figures
under load: `python -m tests.bench.bench_ami`, which checks them too.)"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from callcenter.ami.translate import translate
from callcenter.config import load
from callcenter.core.health import Condition
from callcenter.daemon import Daemon
from callcenter.ops.ready import readiness
from callcenter.store import db
from callcenter.testbed.asterisk import free_port
from tests.fakeami import FakeAmi, encode
from tests.pg_server import OwnPostgres

FIXTURES = Path(__file__).parents[1] / "fixtures" / "inbound"
ID_FIELDS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _events(scenario: str) -> list[dict[str, str]]:
    data = json.loads((FIXTURES / f"{scenario}.json").read_text(encoding="utf-8"))
    return [r["event"] for r in data["events"]]


def _every_fixture(repeat: int) -> list[dict[str, str]]:
    records = [e for path in sorted(FIXTURES.glob("*.json")) for e in _events(path.stem)]
    return [{k: (f"{v}.{n}" if k in ID_FIELDS else v) for k, v in e.items()}
            for n in range(repeat) for e in records]


def _daemon(url: str, ami_port: int, web_port: int, **extra: str) -> Daemon:
    return Daemon(load(None, environ={
        "CALLCENTER__DATABASE__URL": url, "CALLCENTER__DATABASE__PROBE_INTERVAL_S": "0.2",
        "CALLCENTER__DATABASE__RETRY_MAX_S": "0.3",
        "CALLCENTER__AMI__PORT": str(ami_port), "CALLCENTER__AMI__SECRET": "s3cret",
        "CALLCENTER__AMI__PING_INTERVAL_S": "0.2", "CALLCENTER__AMI__PING_TIMEOUT_S": "0.2",
        "CALLCENTER__AMI__BACKOFF_INITIAL_S": "0.05", "CALLCENTER__AMI__BACKOFF_MAX_S": "0.2",
        "CALLCENTER__AMI__QUEUE_LOG": "", "CALLCENTER__AGI__ENABLED": "false",
        "CALLCENTER__WEB__PORT": str(web_port), **extra}))


async def _eventually(check: Callable[[], Any], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


class Probe:
    def __init__(self, port: int) -> None:
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5)

    async def status(self, path: str) -> int:
        try:
            return (await self.client.get(path)).status_code
        except httpx.TransportError:
            return 0

    async def metrics(self) -> Samples:
        reply = await self.client.get("/metrics")
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/plain; version=")
        return {(s.name, frozenset(s.labels.items())): s.value
                for family in text_string_to_metric_families(reply.text)
                for s in family.samples}


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _total(samples: Samples, name: str) -> float:
    return sum(v for (n, _), v in samples.items() if n == name)


async def test_probes_and_metrics_follow_a_replay_and_the_ami_link(db_url: str) -> None:
    fake = FakeAmi()
    ami_port = await fake.start()
    web_port = free_port()
    daemon = _daemon(db_url, ami_port, web_port)
    run = asyncio.create_task(daemon.run())
    probe = Probe(web_port)
    pushed: list[dict[str, str]] = []

    async def push(events: list[dict[str, str]]) -> None:
        fake.push(b"".join(encode(e) for e in events))
        await fake.drain()
        pushed.extend(events)

    try:
        await _eventually(lambda: _is(probe.status("/readyz"), 200))
        assert await probe.status("/healthz") == 200
        ready = (await probe.client.get("/readyz")).json()
        assert ready["ready"] is True and ready["failing"] == []
        assert {"ami", "database", "writer"} <= set(ready["parts"])

        call = _events("answered_in_time")
        ringing = next(i for i, e in enumerate(call) if e.get("Event") == "AgentCalled") + 1
        await push(call[:ringing])  # alice rings, the caller waits
        await _eventually(lambda: _has(probe, "callcenter_queue_waiting_callers", 1.0,
                                       queue="support"))
        samples = await probe.metrics()
        assert _value(samples, "callcenter_queue_members", queue="support", state="ringing") == 1
        assert _value(samples, "callcenter_agents", state="ringing") == 1
        assert _value(samples, "callcenter_queue_longest_wait_seconds", queue="support") >= 0
        await push(call[ringing:])  # answered, talked, hung up
        await _eventually(lambda: _has(probe, "callcenter_queue_waiting_callers", 0.0,
                                       queue="support"))

        await push(_every_fixture(3))
        # FullyBooted at login, then every event pushed: all of them reached the client.
        await _eventually(lambda: _has(probe, "callcenter_ami_messages_received_total",
                                       len(pushed) + 1.0, server="default"))
        assert await asyncio.to_thread(daemon.writer.flush, 30)
        samples = await probe.metrics()
        handled = sum(translate(e) is not None for e in pushed)
        assert _value(samples, "callcenter_events_handled_total") == handled > 100
        assert _value(samples, "callcenter_store_outcomes_written_total") == daemon.writer.written > 0
        assert _value(samples, "callcenter_store_writer_lag_outcomes") == 0
        assert _total(samples, "callcenter_store_queue_depth_outcomes") == 0
        assert _value(samples, "callcenter_store_outcomes_set_aside_total") == 0
        assert _value(samples, "callcenter_ami_up", server="default") == 1
        assert _value(samples, "callcenter_ami_connections_total", server="default") == 1
        assert _value(samples, "callcenter_ready") == 1
        assert _value(samples, "callcenter_health_ok", part="database") == 1
        assert _value(samples, "callcenter_agents", state="on_call") == 0
        assert _total(samples, "callcenter_agents") == len(daemon.core.tracker.agents) >= 2
        assert _value(samples, "process_resident_memory_bytes") > 0  # the process collector

        await fake.stop()  # the AMI link goes away: unready, yet alive
        await _eventually(lambda: _is(probe.status("/readyz"), 503))
        ready = (await probe.client.get("/readyz")).json()
        assert ready == {"ready": False, "failing": ["ami"], "parts": ready["parts"]}
        assert ready["parts"]["ami"] is False and ready["parts"]["database"] is True
        assert await probe.status("/healthz") == 200
        samples = await probe.metrics()
        assert _value(samples, "callcenter_ami_up", server="default") == 0
        assert _value(samples, "callcenter_ready") == 0
        await fake.start(ami_port)
        await _eventually(lambda: _is(probe.status("/readyz"), 200))
    finally:
        daemon.stop()
        await asyncio.wait_for(run, 20)
        await probe.client.aclose()
        await fake.stop()


async def _is(status: Any, expected: int) -> bool:
    return bool(await status == expected)


async def _has(probe: Probe, name: str, value: float, **labels: str) -> bool:
    return _value(await probe.metrics(), name, **labels) == value


@pytest.fixture(scope="module")
def own_pg() -> Iterator[OwnPostgres]:
    server = OwnPostgres("ops")
    server.start()
    yield server
    server.destroy()


async def test_readyz_is_503_while_the_database_is_away(own_pg: OwnPostgres) -> None:
    """Nothing to write meanwhile: the writer's idle probe finds the database gone."""
    url = own_pg.create_database("cc_ops")
    db.upgrade(url)
    fake = FakeAmi()
    ami_port = await fake.start()
    web_port = free_port()
    daemon = _daemon(url, ami_port, web_port)
    run = asyncio.create_task(daemon.run())
    probe = Probe(web_port)
    try:
        await _eventually(lambda: _is(probe.status("/readyz"), 200))
        await asyncio.to_thread(own_pg.stop)
        await _eventually(lambda: _is(probe.status("/readyz"), 503))
        ready = (await probe.client.get("/readyz")).json()
        assert ready["failing"] == ["database"] and ready["parts"]["ami"] is True
        assert await probe.status("/healthz") == 200
        samples = await probe.metrics()
        assert _value(samples, "callcenter_health_ok", part="database") == 0
        await asyncio.to_thread(own_pg.start)
        await _eventually(lambda: _is(probe.status("/readyz"), 200), timeout=30)
    finally:
        daemon.stop()
        await asyncio.wait_for(run, 30)
        await probe.client.aclose()
        await fake.stop()


async def test_metrics_token_when_set(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cc.db"
    db.upgrade(url)
    daemon = _daemon(url, free_port(), free_port(), CALLCENTER__OPS__METRICS_TOKEN="t0ken")
    transport = httpx.ASGITransport(app=daemon.core.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cc") as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        right = await client.get("/metrics", headers={"Authorization": "Bearer t0ken"})
        assert right.status_code == 200 and "callcenter_ami_up" in right.text
        assert (await client.get("/healthz")).status_code == 200  # probes stay open
        assert (await client.get("/readyz")).status_code == 503  # nothing reported yet
    daemon.writer.close(1)


def test_readiness_needs_every_required_part_known_and_ok() -> None:
    def part(name: str, ok: bool) -> Condition:
        return Condition(name, ok, "", 0.0)

    snap = {"ami:pbx1": part("ami:pbx1", True), "ami:pbx2": part("ami:pbx2", False),
            "database": part("database", True), "journal": part("journal", False)}
    found = readiness(snap, ("ami", "database", "writer"))
    assert not found.ready and found.failing == ("ami:pbx2", "writer")
    assert found.parts == {"ami:pbx1": True, "ami:pbx2": False, "database": True,
                           "journal": False}
    snap["ami:pbx2"] = part("ami:pbx2", True)
    snap["writer"] = part("writer", True)
    assert readiness(snap, ("ami", "database", "writer")).ready  # journal is not required
    assert not readiness(snap, ("ami", "leadership")).ready
