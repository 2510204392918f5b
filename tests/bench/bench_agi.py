"""FastAGI: survey sessions per second the daemon sustains, and how long a caller waits
from the call reaching the script to the survey's first prompt, while an AMI replay
runs at 10 new calls per second into the same daemon.

    python -m tests.bench.bench_agi [--seconds 15] [--peers 50] [--play-ms 50] [--key-ms 200]

Target: 50 concurrent survey sessions with p99 answer-to-first-prompt under 50 ms.

Set-up.  The daemon is the real one (`python -m callcenter.cli.main run`, as in
bench_push: its own process, a fresh SQLite database, its log at INFO in a file), its
FastAGI server on a free port.  This process holds the fake AMI server (the recorded
calls of tests/fixtures/inbound replayed at --rate calls per second, made new as
bench_push makes them) and the fake Asterisk side of every AGI session, in one event
loop, so every time is the same `time.perf_counter`.

The peers speak real AGI: the agi_* environment and its blank line, then each command
answered as Asterisk answers it (`200 result=1 (<linkedid>)` to GET FULL VARIABLE,
`200 result=0 endpos=...` to STREAM FILE after --play-ms, the key's code to WAIT FOR
DIGIT after --key-ms, `200 result=1` to SET VARIABLE), until the server closes.
Keys 1, 2, 3 in turn: satisfied, ordinary, unsatisfied (points and a review).

--peers closed-loop peers (the 50 concurrent surveys of the target) each start their
next session as soon as the last one ends: on the ticket of a replayed call an agent
answered, once that call's last AMI event is sent (the agent hung up, the caller stays
for the survey; such a ticket may still be on its way to the database), or, when no
such call is waiting, on a ticket of its own seeded before the start (unrated: a rated
one is skipped without a prompt).  The default pacing (7 files of 50 ms, the key after
200 ms) runs sessions about 10 times faster than real prompts would: a harder test of
setup under load than 50 real callers make; --play-ms 600 --key-ms 1500 is about real.

Answer-to-first-prompt = from just before the TCP connect (the environment follows at
once) to the arrival of the script's first STREAM FILE.  Sessions started in the first
2 s are the warm-up and are left out.  Exit status: non-zero only when the machinery
fails; a missed target is reported as "NOT met"."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import statistics
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import insert

from callcenter.store import db
from callcenter.store import models as m
from tests.bench.bench_push import (
    LagMonitor,
    Scheduled,
    _json_or_none,
    build_schedule,
    free_port,
    log_lines,
    percentile,
    prepare_database,
    replay,
    start_daemon,
    stop_daemon,
    wait_until_ready,
)
from tests.fakeami import FakeAmi

WARMUP_S = 2.0
TARGET_MS = 50.0
KEYS = "123"
SEEDED = "bench-agi-"


@dataclass(frozen=True, slots=True)
class Session:
    kind: str  # "peer" (closed loop, seeded ticket) or "call" (a replayed call's ticket)
    started: float
    setup_ms: float | None  # None: no prompt came
    status: str  # the script's CC_SURVEY, or what went wrong
    ended: float = 0.0
    first_ms: float | None = None  # to the server's first command (GET FULL VARIABLE)


@dataclass
class Load:
    port: int
    play_s: float
    key_s: float
    t0: float = 0.0
    sessions: list[Session] = field(default_factory=list)
    seeded_next: int = 0
    seeded: int = 0
    counter: int = 0
    ready: deque[str] = field(default_factory=deque)  # replayed calls awaiting their survey

    async def session(self, kind: str, linkedid: str, key: str) -> None:
        self.counter += 1
        uniqueid = f"{linkedid}-s{self.counter}"
        started = time.perf_counter()
        setup: float | None = None
        first: float | None = None
        status = "closed_early"
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError as exc:
            self.sessions.append(Session(kind, started, None, f"connect: {exc.strerror}"))
            return
        try:
            writer.write(_environment(uniqueid).encode())
            while line := await asyncio.wait_for(reader.readline(), 30):
                cmd = line.decode().strip()
                if first is None:
                    first = (time.perf_counter() - started) * 1000
                if cmd.startswith("GET FULL VARIABLE"):
                    reply = f"200 result=1 ({linkedid})"
                elif cmd.startswith("STREAM FILE"):
                    if setup is None:
                        setup = (time.perf_counter() - started) * 1000
                    await asyncio.sleep(self.play_s)
                    reply = "200 result=0 endpos=8000"
                elif cmd.startswith("WAIT FOR DIGIT"):
                    await asyncio.sleep(self.key_s)
                    reply = f"200 result={ord(key)}"
                else:
                    if cmd.startswith('SET VARIABLE "CC_SURVEY"'):
                        status = cmd.split('"')[3]
                    reply = "200 result=1"
                writer.write(f"{reply}\n".encode())
        except (TimeoutError, ConnectionError) as exc:
            status = type(exc).__name__
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        self.sessions.append(Session(kind, started, setup, status, time.perf_counter(), first))

    async def peer(self, n: int, until: float) -> None:
        """Session after session: the survey of a replayed call that just ended if one
        is waiting, else one on a seeded ticket."""
        while time.perf_counter() < until:
            if self.ready:
                await self.session("call", self.ready.popleft(), KEYS[n % 3])
            elif self.seeded_next < self.seeded:
                self.seeded_next += 1
                await self.session("peer", f"{SEEDED}{self.seeded_next - 1}",
                                   KEYS[(n + self.seeded_next) % 3])
            else:
                raise RuntimeError("out of seeded tickets: raise --tickets")
            n += 1

    async def calls(self, ends: list[tuple[float, str]]) -> None:
        """Each answered replayed call is ready for its survey when its last event is
        sent (the agent hung up; the caller stays on the line)."""
        for at, linkedid in ends:
            delay = self.t0 + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.ready.append(linkedid)


def _environment(uniqueid: str) -> str:
    lines = ["agi_network: yes", "agi_network_script: survey",
             "agi_request: agi://127.0.0.1/survey", "agi_channel: PJSIP/trunk-00000001",
             "agi_language: zh", "agi_type: PJSIP", f"agi_uniqueid: {uniqueid}",
             "agi_version: 22.0.0", "agi_callerid: 13800138000", "agi_calleridname: Caller",
             "agi_callingpres: 0", "agi_callingani2: 0", "agi_callington: 0",
             "agi_callingtns: 0", "agi_dnid: unknown", "agi_rdnis: unknown",
             "agi_context: callcenter-inbound", "agi_extension: support", "agi_priority: 9",
             "agi_enhanced: 0.0", "agi_accountcode: ", "agi_threadid: 140000000000000"]
    return "\n".join(lines) + "\n\n"


def answered_call_ends(schedule: list[Scheduled], until: float) -> list[tuple[float, str]]:
    """(time of the call's last event, its Linkedid) for every call an agent answered."""
    last: dict[str, float] = {}
    answered: set[str] = set()
    for item in schedule:
        linkedid = item.fields.get("Linkedid")
        if linkedid:
            last[linkedid] = item.at
            if item.name == "AgentConnect":
                answered.add(linkedid)
    return sorted((last[k], k) for k in answered if last[k] <= until)


def seed_tickets(url: str, count: int) -> None:
    """`count` unrated tickets, opened an hour ago, one per closed-loop session."""
    engine = db.engine_for(url)
    now = time.time()
    with engine.begin() as conn:
        customer = conn.execute(insert(m.Customer).values(
            phone="13800138000", name="", created_at=now).returning(m.Customer.id)).scalar_one()
        conn.execute(insert(m.Ticket), [dict(
            linkedid=f"{SEEDED}{n}", customer_id=customer, caller_phone="13800138000",
            owner_interface=f"Local/{1001 + n % 8}@testbed-agents/n",
            owner_name=f"agent {n % 8}", queue="support", opened_at=now - 3600, hold_s=5.0,
            ring_s=3.0, late_answer=False, calls_last_window=1) for n in range(count)])
    engine.dispose()


async def wait_for_agi(port: int) -> None:
    for _ in range(200):
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()  # a probe: the server logs agi.peer_closed
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the FastAGI server did not listen within 10 s")


@dataclass
class Result:
    load: Load
    calls: int
    span_s: float
    ends: list[tuple[float, str]]
    log: list[str]
    lag: LagMonitor


async def run(args: argparse.Namespace) -> Result:
    calls = max(1, round(args.seconds * args.rate))
    schedule, _ = build_schedule(calls, args.rate, args.time_scale)
    ends = answered_call_ends(schedule, args.seconds)
    fake = FakeAmi()
    writers: list[asyncio.StreamWriter] = []
    fake.on_connected = writers.append
    lag = LagMonitor()
    agi_port = free_port()
    load = Load(agi_port, args.play_ms / 1000, args.key_ms / 1000,
                seeded=args.tickets)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = await asyncio.to_thread(prepare_database, workdir)
        await asyncio.to_thread(seed_tickets, url, args.tickets)
        ami_port = await fake.start()
        web_port = free_port()
        log_path = workdir / "daemon.log"
        child = await start_daemon(url, ami_port, fake.secret, web_port, "INFO", log_path,
                                   args.daemon_module,
                                   extra={"CALLCENTER__AGI__PORT": str(agi_port),
                                          "CALLCENTER__AGI__MAX_SESSIONS": str(args.max_sessions)})
        watcher: asyncio.Task[None] | None = None
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web_port}",
                                         trust_env=False) as client:
                await wait_until_ready(client, fake, child, log_path)
            await wait_for_agi(agi_port)
            load.t0 = t0 = time.perf_counter() + 0.2
            watcher = asyncio.create_task(lag.watch())
            sent = [math.nan] * len(schedule)
            until = t0 + args.seconds
            await asyncio.gather(replay(writers[0], schedule, sent, t0), load.calls(ends),
                                 *(load.peer(n, until) for n in range(args.peers)))
            span = time.perf_counter() - t0
        finally:
            if watcher is not None:
                watcher.cancel()
            await stop_daemon(child)
            await fake.stop()
        log = log_lines(log_path)
    if child.returncode != 0:
        raise RuntimeError(f"the daemon exited with {child.returncode}:\n" + "\n".join(log[-20:]))
    return Result(load, calls, span, ends, log, lag)


def _figures(values: list[float]) -> str:
    if not values:
        return "none"
    values = sorted(values)
    return (f"p50 {percentile(values, 0.5):.1f} ms, p90 {percentile(values, 0.9):.1f} ms, "
            f"p99 {percentile(values, 0.99):.1f} ms, max {values[-1]:.1f} ms "
            f"(mean {statistics.fmean(values):.1f}, n {len(values)})")


def report(r: Result, args: argparse.Namespace) -> None:
    load = r.load
    measured = [s for s in load.sessions if s.started - load.t0 >= WARMUP_S]
    setups = [s.setup_ms for s in measured if s.setup_ms is not None]
    statuses = Counter(f"{s.kind}:{s.status}" for s in load.sessions)
    # Throughput and concurrency while the closed loop runs, after the warm-up.
    start, end = load.t0 + WARMUP_S, load.t0 + args.seconds
    window = end - start
    rated = sum(1 for s in load.sessions if s.status == "rated" and start <= s.ended < end)
    busy = sum(max(0.0, min(s.ended, end) - max(s.started, start)) for s in load.sessions)
    session_s = 7 * args.play_ms / 1000 + args.key_ms / 1000  # 5 prompt files, 2 thanks
    events = Counter(e.get("event") for e in map(_json_or_none, r.log) if e)
    warnings = Counter(f"{e.get('level')} {e.get('event')}" for e in map(_json_or_none, r.log)
                       if e and e.get("level") in ("warning", "error", "critical"))
    print(f"AMI replay:                 {r.calls} calls, {args.rate:g} new per second "
          f"(call timing x{args.time_scale:g})")
    print(f"survey sessions:            {len(load.sessions)} in {r.span_s:.1f} s; from "
          f"{WARMUP_S:g} s to {args.seconds:g} s: {rated / window:.1f} rated sessions/s, "
          f"{busy / window:.1f} open on average ({args.peers} closed-loop peers; "
          f"{statuses['call:rated']} of the {len(r.ends)} answered replayed calls surveyed; the "
          f"peer's side of a session: {session_s * 1000:.0f} ms of prompts and key)")
    print("  outcomes:                 " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(f"answer-to-first-prompt, after {WARMUP_S:g} s warm-up: {_figures(setups)}")
    print("  of which connect to the server's first command (GET FULL VARIABLE): "
          + _figures([s.first_ms for s in measured if s.first_ms is not None]))
    print("  and from the reply to it to the prompt (the ticket looked up):  "
          + _figures([s.setup_ms - s.first_ms for s in measured
                      if s.setup_ms is not None and s.first_ms is not None]))
    for kind, what in (("peer", "closed-loop, seeded ticket"),
                       ("call", "a replayed call's own ticket, just ended")):
        print(f"  {what:<41} "
              + _figures([s.setup_ms for s in measured if s.kind == kind and s.setup_ms is not None]))
    print(f"daemon: agi.session_ended x{events['agi.session_ended']}, "
          f"refused (sessions full) x{events['agi.sessions_full']}")
    print(f"this process's loop (fake AMI + AGI peers): worst lag {r.lag.worst_s * 1000:.1f} ms, "
          f"{r.lag.over_10ms} lags over 10 ms")
    if warnings:
        print("daemon warnings/errors:     "
              + ", ".join(f"{k} x{v}" for k, v in warnings.most_common(5)))
    p99 = percentile(sorted(setups), 0.99) if setups else math.inf
    print(f"target: {args.peers} concurrent surveys, p99 answer-to-first-prompt < "
          f"{TARGET_MS:g} ms: {'met' if p99 < TARGET_MS else 'NOT met'}")
    if not setups:
        raise RuntimeError("no session reached its first prompt")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0, help="how long the load runs")
    parser.add_argument("--rate", type=float, default=10.0, help="AMI replay: new calls per second")
    parser.add_argument("--time-scale", type=float, default=0.25,
                        help="multiplies the recorded spacing of each call's events")
    parser.add_argument("--peers", type=int, default=50, help="closed-loop survey sessions")
    parser.add_argument("--play-ms", type=float, default=50.0, help="each STREAM FILE plays this long")
    parser.add_argument("--key-ms", type=float, default=200.0, help="the key comes this late")
    parser.add_argument("--tickets", type=int, default=6000, help="seeded tickets (one a session)")
    parser.add_argument("--max-sessions", type=int, default=64, help="the daemon's [agi] max_sessions")
    parser.add_argument("--daemon-module", default="callcenter.cli.main",
                        help="run `python -m MODULE run` as the daemon (e.g. a profiling wrapper)")
    args = parser.parse_args()
    report(asyncio.run(run(args)), args)


if __name__ == "__main__":
    main()
