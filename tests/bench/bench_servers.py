"""One daemon following 4 (fake) Asterisk servers at once, each replaying the
recorded calls at the rate of a 500-seat center: AMI event to the supervisor's
browser (SSE) under 100 ms at p99, nothing lost, the per-server rates and the
daemon's CPU per 1,000 events.

    python -m tests.bench.bench_servers [--servers 4] [--seconds 15] [--rate 3]

A 500-seat center at busy hour: 500 agents, about 3 minutes a call, so ~2.8 new
calls a second; --rate 3 per server.  The daemon is the real one
(`python -m callcenter.cli.main run`), configured with one `[[ami]]` table per fake
server; each server's calls are bench_push's stream (recorded scenarios made new:
ids, channels, agents and callers of their own), with ids and agents distinct per
server (server k's call n is call n + k * 100000), as several PBXs with their own
`systemname` would have.  The queues ("support", "complaints") are shared by name.
Latency and matching are bench_push's: every `agent` push is traced to the AMI
event that caused it through the daemon's own pure pipeline, run per server.
Nothing lost: every expected push arrives, and after the daemon's stop the database
holds a ticket for every connected call, each with its own server.  CPU: the
daemon's process and its store writer's, user + system, over the replay
(/proc; psutil is not needed)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import signal
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

from callcenter.config import load
from tests.bench.bench_push import (
    FIXTURES,
    TARGET_MS,
    WARMUP_S,
    Browser,
    Matcher,
    Scheduled,
    _caller_of,
    _rewrite,
    expected_pushes,
    free_port,
    log_lines,
    percentile,
    prepare_database,
    replay,
    sign_in,
    start_daemon,
)
from tests.fakeami import FakeAmi, encode

OFFSET = 100_000


def schedule_for(server: int, calls: int, rate: float, scale: float) -> list[Scheduled]:
    scenarios = [[(float(r["t"]), r["event"]) for r in json.loads(
        p.read_text(encoding="utf-8"))["events"]] for p in sorted(FIXTURES.glob("*.json"))]
    items = []
    for i in range(calls):
        n = i + server * OFFSET
        events = scenarios[i % len(scenarios)]
        caller = _caller_of([e for _, e in events])
        for j, (t, event) in enumerate(events):
            fields = _rewrite(event, n, caller)
            if caller:
                fields = {k: (f"139{n:08d}" if v == f"138{n:08d}" else v)
                          for k, v in fields.items()}
            items.append((i / rate + t * scale, i, j, fields))
    items.sort(key=lambda x: x[:3])
    return [Scheduled(at, f["Event"], f, encode(f)) for at, _, _, f in items]


def cpu_s(pid: int) -> float:
    """User + system seconds of the process and its children alive now (/proc)."""
    tick = 100.0  # os.sysconf("SC_CLK_TCK") on Linux
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Run:
    names: list[str]
    schedules: list[list[Scheduled]]
    sent: list[list[float]]
    t0: float
    replay_s: float
    matcher: Matcher
    causes: list[tuple[int, int]]  # global cause index -> (server, index in its schedule)
    cpu: float
    tickets: Counter[str]
    connected: Counter[str]
    log: list[str]


async def run(servers: int, seconds: float, rate: float, scale: float) -> Run:
    calls = max(1, round(seconds * rate))
    names = [f"pbx{k + 1}" for k in range(servers)]
    schedules = [schedule_for(k, calls, rate, scale) for k in range(servers)]
    config = load(None, environ={})
    # Each server's expected pushes through its own tracker; causes made global.
    causes: list[tuple[int, int]] = []
    expected: dict[str, list[tuple[tuple[str, str, int, int, int], int | None, float]]] = {}
    for k, schedule in enumerate(schedules):
        base = len(causes)
        causes += [(k, i) for i in range(len(schedule))]
        for iface, pushes in expected_pushes(schedule, config, tail_s=30.0).items():
            expected[iface] = [(key, None if c is None else base + c, due)
                               for key, c, due in pushes]
    matcher = Matcher(expected)
    browser = Browser(matcher)
    sent = [[math.nan] * len(s) for s in schedules]
    fakes = [FakeAmi(systemname=name) for name in names]
    writers: list[list[asyncio.StreamWriter]] = [[] for _ in fakes]
    for fake, mine in zip(fakes, writers, strict=True):
        fake.on_connected = mine.append
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = await asyncio.to_thread(prepare_database, workdir)
        ports = [await fake.start() for fake in fakes]
        toml = workdir / "servers.toml"
        toml.write_text("".join(f'[[ami]]\nname = "{n}"\nport = {p}\nusername = "cc"\n'
                                f'secret = "{fakes[0].secret}"\nqueue_log = ""\n'
                                for n, p in zip(names, ports, strict=True)))
        web_port = free_port()
        log_path = workdir / "daemon.log"
        own = {f"CALLCENTER__AMI__{n.upper()}__PORT": str(p)
               for n, p in zip(names, ports, strict=True)}  # above start_daemon's one port
        child = await start_daemon(url, ports[0], fakes[0].secret, web_port, "INFO", log_path,
                                   "callcenter.cli.main",
                                   extra={"CALLCENTER_CONFIG": str(toml), **own})
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web_port}",
                                         timeout=httpx.Timeout(10.0, read=None),
                                         trust_env=False) as client:
                deadline = time.monotonic() + 60
                while not all(any(a.get("Action") == "QueueStatus" for a in f.actions)
                              for f in fakes):
                    if child.returncode is not None or time.monotonic() > deadline:
                        raise RuntimeError("the daemon did not resync every server:\n"
                                           + "\n".join(log_lines(log_path)[-20:]))
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.5)
                await sign_in(client)
                async with client.stream("GET", "/api/stream") as response:
                    listener = asyncio.create_task(browser.listen(response))
                    await asyncio.wait_for(browser.snapshot.wait(), 10)
                    t0 = time.perf_counter() + 0.2
                    cpu0 = cpu_s(child.pid)
                    await asyncio.gather(*(replay(w[0], s, st, t0) for w, s, st in
                                           zip(writers, schedules, sent, strict=True)))
                    replay_s = time.perf_counter() - t0
                    cpu = cpu_s(child.pid) - cpu0
                    settle = time.monotonic() + 15
                    while len(matcher.measured) < matcher.wanted and time.monotonic() < settle:  # noqa: ASYNC110
                        await asyncio.sleep(0.05)  # a plain counter the listener moves
                    listener.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await listener
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
                await asyncio.wait_for(child.wait(), 40)
            for fake in fakes:
                await fake.stop()
        db_path = url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(db_path)) as conn:
            tickets = Counter(dict(conn.execute(
                "SELECT server, count(*) FROM tickets GROUP BY server").fetchall()))
        log = log_lines(log_path)
    connected = Counter({names[k]: len({e.fields.get("Linkedid") for e in s
                                        if e.name == "AgentConnect"})
                         for k, s in enumerate(schedules)})
    return Run(names, schedules, sent, t0, replay_s, matcher, causes, cpu,
               tickets, connected, log)


def report(r: Run, rate: float) -> bool:
    latencies = []
    for cause, received in r.matcher.measured:
        k, i = r.causes[cause]
        sent = r.sent[k][i]
        if sent - r.t0 >= WARMUP_S:
            latencies.append((received - sent) * 1000)
    latencies.sort()
    events = sum(len(s) for s in r.schedules)
    for name, schedule in zip(r.names, r.schedules, strict=True):
        print(f"{name}: {len(schedule):,} AMI messages in {r.replay_s:.1f} s "
              f"({len(schedule) / r.replay_s:,.0f}/s, {rate:g} new calls/s), "
              f"{r.connected[name]} calls connected, {r.tickets[name]} tickets stored")
    missing = r.matcher.wanted - len(r.matcher.measured)
    p99 = percentile(latencies, 0.99)
    print(f"all servers: {events:,} AMI messages ({events / r.replay_s:,.0f}/s); "
          f"agent pushes matched {len(r.matcher.measured)} of {r.matcher.wanted} "
          f"({missing} missing)")
    print(f"AMI event -> browser after {WARMUP_S:g} s ({len(latencies)} pushes): p50 "
          f"{percentile(latencies, 0.5):.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms")
    print(f"daemon CPU (process + store writer): {r.cpu:.2f} s over the replay, "
          f"{r.cpu * 1000 / events * 1000:.1f} ms per 1,000 AMI messages")
    errors = Counter(e.get("event") for e in map(_json, r.log)
                     if e and e.get("level") in ("error", "critical"))
    if errors:
        print("daemon errors: " + ", ".join(f"{k} x{v}" for k, v in errors.items()))
    lost = missing > 0 or r.tickets != r.connected
    print(f"nothing lost: {'yes' if not lost else 'NO'}; "
          f"target p99 < {TARGET_MS:g} ms: {'met' if p99 < TARGET_MS else 'NOT met'}")
    return not lost


def _json(line: str) -> dict[str, object] | None:
    with contextlib.suppress(ValueError):
        value = json.loads(line)
        return value if isinstance(value, dict) else None
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0, help="how long new calls arrive")
    parser.add_argument("--rate", type=float, default=3.0, help="new calls per second per server")
    parser.add_argument("--time-scale", type=float, default=0.25)
    args = parser.parse_args()
    result = asyncio.run(run(args.servers, args.seconds, args.rate, args.time_scale))
    if not report(result, args.rate):
        raise SystemExit("the daemon lost events or tickets")


if __name__ == "__main__":
    main()
