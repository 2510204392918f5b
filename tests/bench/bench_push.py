"""Push latency: from an AMI event leaving the (fake) Asterisk to the update it
causes arriving at a signed-in supervisor's browser over GET /api/stream (SSE),
while a recorded AMI stream is replayed at 10 new calls per second.

    python -m tests.bench.bench_push [--seconds 25] [--rate 10] [--time-scale 0.25]

Target: p99 under 100 ms.

Set-up.  The daemon is the real one, started the way production starts it
(`python -m callcenter.cli.main run`, configured through CALLCENTER__* variables)
in its own process, on a fresh SQLite database with one supervisor user, its web
server on a free 127.0.0.1 port and the log at the configured level (INFO, the
default, written to a file).  This process holds the fake AMI server and the
browser (httpx, one streaming GET with the session cookie) in one event loop,
so both clocks are the same `time.perf_counter` and none of the client's work
runs in the daemon's process.

The stream.  Call n replays recorded call n mod 6 from tests/fixtures/inbound
(round robin), starting at n / rate seconds; its own events keep their recorded
order and spacing, the spacing multiplied by --time-scale (0.25: the longest
call lasts 6 s instead of 24 s).  Each call is made new: Uniqueid/Linkedid
fields get a ".n" suffix, channel names a per-call counter, the caller a number
of their own, and every agent of the recording a queue-member interface and name
of their own (Local/1001@testbed-agents/n becomes Local/1001-n@testbed-agents/n).
The queues ("support", "complaints") are shared, as in a real center.

Matching.  Because every agent interface belongs to exactly one replayed call,
each `agent` frame pushed to supervisors (its interface and figures) can be
traced to one AMI event.  Which one is decided before the run: the whole
schedule is fed through the daemon's own pure pipeline (translate -> Tracker ->
LiveFeed/Wallboard, with a manual clock at the scheduled times and timers fired
between events as the daemon's timer task would) and every `agent` push it makes
is recorded with the index of the AMI message that caused it, or "timer" (ring
budget, end of wrap-up).  During the run each received `agent` frame is matched,
per interface and in order, to the next expected push with the same figures
(state, reason, calls, violations, points; `since` is a time and is left out),
looking a few entries ahead so an extra or missing timer push cannot derail it.
Latency = receive time of the frame (its closing blank line parsed) minus the
send time of the causing AMI message (taken right after the write to the socket).
Timer-caused pushes are matched but not measured.  Pushes caused in the first
2 s of the replay are the warm-up and are left out of the figures.

Besides p50/p90/p99/max, the report breaks the latency down by the AMI event
behind it and by 5 s window of send time (the daemon's state grows as agents log
in, so a trend shows there), says how late the timer-driven pushes came after
their due time (not part of the figures), and how late this process's own loop
ran (a stall here would be charged to the daemon).  --daemon-module runs another
`python -m MODULE run` (e.g. a profiling wrapper around callcenter.cli.main);
--daemon-log keeps the daemon's log.

Exit status: non-zero only when the machinery fails (the daemon does not start
or dies, the stream ends early, or more than 5% of the expected pushes never
arrive); a missed target is reported as "NOT met", like the other benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from callcenter.ami.translate import translate
from callcenter.config import Config, load
from callcenter.core.settings import CenterSettings
from callcenter.domain.clock import ManualClock
from callcenter.domain.tracker import Tracker
from callcenter.domain.wallboard import Wallboard
from callcenter.inbound.settings import RulesSettings, StorageSettings, ring_rules
from callcenter.store import db
from callcenter.users.service import add_user
from callcenter.web.hub import Hub
from callcenter.web.live import LiveFeed
from tests.fakeami import FakeAmi, encode

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "inbound"
WARMUP_S = 2.0
WINDOW_S = 5.0
TARGET_MS = 100.0
MAX_MISSING = 0.05
LOOKAHEAD = 4  # expected pushes per interface a received frame may skip over
USER, PASSWORD = "bench-supervisor", "bench-password-1"
_COUNTER = re.compile(r"-([0-9a-f]{8});")

Key = tuple[str, str, int, int, int]


# -- the stream -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Scheduled:
    at: float  # seconds after the replay starts
    name: str  # AMI event name
    fields: dict[str, str]
    data: bytes


def _caller_of(events: list[dict[str, str]]) -> str:
    return next((e["CallerIDNum"] for e in events
                 if e.get("CallerIDNum") not in (None, "", "<unknown>")), "")


def _rewrite(event: dict[str, str], n: int, caller: str) -> dict[str, str]:
    """One recorded event as part of call n: new ids, channels, agents, caller."""
    out = {}
    for key, recorded in event.items():
        value = recorded
        if key.endswith(("Uniqueid", "Linkedid")):
            value = f"{recorded}.{n}"
        elif key.endswith("Channel"):
            value = _COUNTER.sub(lambda m: f"-{(n << 8) + int(m.group(1), 16):08x};", recorded)
        elif key in ("Interface", "StateInterface", "Location", "DialString"):
            value = recorded.replace("@", f"-{n}@", 1)
        elif key == "MemberName":
            value = f"{recorded}-{n}"
        elif caller and recorded == caller:
            value = f"138{n:08d}"
        out[key] = value
    return out


def build_schedule(calls: int, rate: float, scale: float) -> tuple[list[Scheduled], list[str]]:
    scenarios = []
    for path in sorted(FIXTURES.glob("*.json")):
        records = json.loads(path.read_text(encoding="utf-8"))["events"]
        scenarios.append((path.stem, [(float(r["t"]), r["event"]) for r in records]))
    items: list[tuple[float, int, int, dict[str, str]]] = []
    for n in range(calls):
        _, events = scenarios[n % len(scenarios)]
        caller = _caller_of([e for _, e in events])
        start = n / rate
        for i, (t, event) in enumerate(events):
            items.append((start + t * scale, n, i, _rewrite(event, n, caller)))
    items.sort(key=lambda x: x[:3])  # by time; a call's own events keep their order
    schedule = [Scheduled(at, f["Event"], f, encode(f)) for at, _, _, f in items]
    return schedule, [name for name, _ in scenarios]


# -- what the daemon will push, and why -------------------------------------------------
def _key(view: dict[str, Any]) -> Key:
    return (view["state"], view["reason"], view["calls"], view["violations"], view["points"])


Expected = dict[str, list[tuple[Key, int | None, float]]]  # interface -> (figures, cause, due)


class _Recorder(Hub):
    """A hub that remembers every `agent` push, the AMI message behind it (None: a
    timer) and when it is due (seconds after the replay starts)."""

    def __init__(self, clock: ManualClock, base: float) -> None:
        super().__init__()
        self.clock, self.base = clock, base
        self.cause: int | None = None
        self.expected: Expected = defaultdict(list)

    def _publish(self, event: str, data: Any, wanted: Any) -> None:
        if event == "agent":
            self.expected[data["interface"]].append(
                (_key(data), self.cause, self.clock.now() - self.base))


def expected_pushes(schedule: list[Scheduled], config: Config, tail_s: float) -> Expected:
    base = time.time()
    clock = ManualClock(base)
    rules = ring_rules(config.get(RulesSettings), config.get(StorageSettings))
    tracker = Tracker(rules, clock)
    hub = _Recorder(clock, base)
    live = LiveFeed(hub, Wallboard(config.get(CenterSettings).tz, clock, rules.sample_interval_s),
                    tracker, thresholds={})

    def run_timers(upto: float) -> None:  # as callcenter.domain.replay does
        hub.cause = None
        deadline = tracker.next_deadline()
        while deadline is not None and deadline <= upto:
            clock.set(max(clock.now(), deadline))
            live.on_outcomes(tracker.tick())
            following = tracker.next_deadline()
            if following is not None and following <= deadline:
                break
            deadline = following

    for index, item in enumerate(schedule):
        at = base + item.at
        run_timers(at)
        clock.set(max(clock.now(), at))
        event = translate(item.fields)
        if event is not None:
            hub.cause = index
            live.on_outcomes(tracker.handle(event))
    run_timers(base + schedule[-1].at + tail_s)
    return hub.expected


@dataclass
class Matcher:
    expected: Expected
    position: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    measured: list[tuple[int, float]] = field(default_factory=list)  # (cause, received at)
    timed: list[tuple[float, float]] = field(default_factory=list)  # (due, received at)
    unexpected: int = 0

    @property
    def wanted(self) -> int:
        return sum(1 for pushes in self.expected.values() for _, cause, _ in pushes
                   if cause is not None)

    def feed(self, received: float, view: dict[str, Any]) -> None:
        interface, key = view["interface"], _key(view)
        pushes = self.expected.get(interface, [])
        start = self.position[interface]
        for j in range(start, min(start + LOOKAHEAD, len(pushes))):
            if pushes[j][0] == key:
                self.position[interface] = j + 1
                _, cause, due = pushes[j]
                if cause is None:
                    self.timed.append((due, received))
                else:
                    self.measured.append((cause, received))
                return
        self.unexpected += 1


# -- the browser ---------------------------------------------------------------------
@dataclass
class Browser:
    matcher: Matcher
    frames: Counter[str] = field(default_factory=Counter)
    snapshot: asyncio.Event = field(default_factory=asyncio.Event)
    first_at: float = 0.0
    last_at: float = 0.0

    async def listen(self, response: httpx.Response) -> None:
        event = data = None
        async for line in response.aiter_lines():
            if line:
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                continue
            if event is None:  # a keep-alive comment's end
                continue
            received = time.perf_counter()
            self.frames[event] += 1
            if event == "snapshot":
                self.snapshot.set()
            else:
                self.first_at = self.first_at or received
                self.last_at = received
                if event == "agent" and data is not None:
                    self.matcher.feed(received, json.loads(data))
            event = data = None


async def sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    page.raise_for_status()
    token = client.cookies.get("cc_login_csrf")
    if not token:
        raise RuntimeError("GET /login set no cc_login_csrf cookie")
    reply = await client.post("/api/login", json={"username": USER, "password": PASSWORD},
                              headers={"X-CSRF-Token": token})
    if reply.status_code != 200:
        raise RuntimeError(f"sign-in failed: {reply.status_code} {reply.text}")


# -- the run ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare_database(workdir: Path) -> str:
    url = f"sqlite:///{workdir}/bench.db"
    db.upgrade(url)
    add_user(db.engine_for(url), USER, PASSWORD, "supervisor", time.time())
    return url


def log_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []



async def stop_daemon(child: asyncio.subprocess.Process) -> None:
    """SIGTERM (the daemon drains its writes), SIGKILL after 30 s."""
    if child.returncode is None:
        child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(child.wait(), 30)
        except TimeoutError:
            child.kill()
            await child.wait()

async def start_daemon(url: str, ami_port: int, secret: str, web_port: int, log_level: str,
                       log_path: Path, module: str,
                       extra: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER")}
    env.update({"CALLCENTER__DATABASE__URL": url, "CALLCENTER__AMI__PORT": str(ami_port),
                "CALLCENTER__AMI__USERNAME": "cc", "CALLCENTER__AMI__SECRET": secret,
                "CALLCENTER__WEB__HOST": "127.0.0.1", "CALLCENTER__WEB__PORT": str(web_port),
                "CALLCENTER__LOG__LEVEL": log_level,
                "CALLCENTER__AMI__QUEUE_LOG": ""})  # a fake Asterisk keeps no queue_log
    env.update(extra or {})
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, "run", cwd=ROOT, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT)


async def wait_until_ready(client: httpx.AsyncClient, fake: FakeAmi,
                           child: asyncio.subprocess.Process, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.returncode is not None:
            tail = "\n".join(log_lines(log_path)[-20:])
            raise RuntimeError(f"the daemon exited with {child.returncode} at start:\n{tail}")
        resynced = any(a.get("Action") == "QueueStatus" for a in fake.actions)
        with contextlib.suppress(httpx.TransportError):
            if resynced and (await client.get("/login")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError("the daemon did not come up (AMI resync and web) within 60 s")


async def replay(writer: asyncio.StreamWriter, schedule: list[Scheduled], sent: list[float],
                 t0: float) -> None:
    for index, item in enumerate(schedule):
        delay = t0 + item.at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        writer.write(item.data)
        sent[index] = time.perf_counter()
        if writer.transport.get_write_buffer_size() > 65536:  # the daemon is not reading
            await writer.drain()


@dataclass
class LagMonitor:
    """How late this process's own loop runs: a stall here would be charged to the
    daemon, so it is reported beside the figures."""

    period_s: float = 0.005
    worst_s: float = 0.0
    worst_at: float = 0.0
    over_10ms: int = 0

    async def watch(self) -> None:
        while True:
            planned = time.perf_counter() + self.period_s
            await asyncio.sleep(self.period_s)
            late = time.perf_counter() - planned
            if late > 0.010:
                self.over_10ms += 1
            if late > self.worst_s:
                self.worst_s, self.worst_at = late, planned


@dataclass
class Result:
    calls: int
    scenarios: list[str]
    schedule: list[Scheduled]
    sent: list[float]
    t0: float
    replay_s: float
    matcher: Matcher
    browser: Browser
    log: list[str]
    lag: LagMonitor


async def run(seconds: float, rate: float, scale: float, log_level: str, module: str) -> Result:
    calls = max(1, round(seconds * rate))
    schedule, scenarios = build_schedule(calls, rate, scale)
    config = load(None, environ={})  # the daemon runs on the same defaults
    matcher = Matcher(expected_pushes(schedule, config, tail_s=30.0))
    browser = Browser(matcher)
    sent = [math.nan] * len(schedule)
    fake = FakeAmi()
    writers: list[asyncio.StreamWriter] = []
    fake.on_connected = writers.append
    lag = LagMonitor()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = await asyncio.to_thread(prepare_database, workdir)
        ami_port = await fake.start()
        web_port = free_port()
        log_path = workdir / "daemon.log"
        child = await start_daemon(url, ami_port, fake.secret, web_port, log_level, log_path,
                                   module)
        listener: asyncio.Task[None] | None = None
        watcher: asyncio.Task[None] | None = None
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web_port}",
                                         timeout=httpx.Timeout(10.0, read=None),
                                         trust_env=False) as client:
                await wait_until_ready(client, fake, child, log_path)
                await sign_in(client)
                async with client.stream("GET", "/api/stream") as response:
                    if response.status_code != 200:
                        raise RuntimeError(f"GET /api/stream: {response.status_code}")
                    listener = asyncio.create_task(browser.listen(response))
                    await asyncio.wait_for(browser.snapshot.wait(), 10)
                    t0 = time.perf_counter() + 0.2
                    watcher = asyncio.create_task(lag.watch())
                    await replay(writers[0], schedule, sent, t0)
                    replay_s = time.perf_counter() - t0
                    # Until every event-caused push is in (or clearly will not come).
                    settle = time.monotonic() + 15
                    while len(matcher.measured) < matcher.wanted and time.monotonic() < settle:
                        if listener.done():
                            break
                        await asyncio.sleep(0.05)
                    if listener.done():
                        listener.result()
                        raise RuntimeError("the event stream ended early "
                                           "(dropped as a slow browser, or the daemon stopped)")
                    for task in (listener, watcher):
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
        finally:
            for leftover in (listener, watcher):
                if leftover is not None and not leftover.done():
                    leftover.cancel()
            await stop_daemon(child)
            await fake.stop()
        log = log_lines(log_path)
    if child.returncode != 0:
        raise RuntimeError(f"the daemon exited with {child.returncode}:\n" + "\n".join(log[-20:]))
    return Result(calls, scenarios, schedule, sent, t0, replay_s, matcher, browser, log, lag)


# -- the report ------------------------------------------------------------------------
def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank."""
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def _json_or_none(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def report(r: Result, rate: float, scale: float) -> None:
    frames = sum(r.browser.frames.values()) - r.browser.frames["snapshot"]
    push_span = max(r.browser.last_at - r.browser.first_at, 1e-9)
    wanted, got = r.matcher.wanted, len(r.matcher.measured)
    missing = wanted - got
    latencies: list[float] = []
    by_event: dict[str, list[float]] = defaultdict(list)
    by_window: dict[int, list[float]] = defaultdict(list)
    for cause, received in r.matcher.measured:
        since_start = r.sent[cause] - r.t0
        if since_start < WARMUP_S:
            continue
        ms = (received - r.sent[cause]) * 1000
        latencies.append(ms)
        by_event[r.schedule[cause].name].append(ms)
        by_window[int(since_start // WINDOW_S)].append(ms)
    if not latencies:
        raise RuntimeError("no push could be measured")
    latencies.sort()
    p99 = percentile(latencies, 0.99)
    warnings = Counter(f"{e.get('level')} {e.get('event')}" for e in map(_json_or_none, r.log)
                       if e and e.get("level") in ("warning", "error", "critical"))
    print(f"calls replayed:             {r.calls}, {rate:g} new per second for "
          f"{r.calls / rate:.1f} s ({len(r.scenarios)} recorded scenarios in turn, call timing "
          f"x{scale:g}; last event sent at {r.replay_s:.1f} s)")
    print(f"AMI messages sent:          {len(r.schedule):,} ({len(r.schedule) / r.replay_s:,.0f}/s)")
    print(f"frames pushed to browser:   {frames:,} ({frames / push_span:,.0f}/s: "
          + ", ".join(f"{k} {v}" for k, v in sorted(r.browser.frames.items()) if k != "snapshot")
          + ")")
    print(f"agent pushes matched:       {got} of {wanted} caused by AMI events "
          f"({missing} missing), {len(r.matcher.timed)} by timers, "
          f"{r.matcher.unexpected} unexpected")
    print(f"AMI event -> browser, after {WARMUP_S:g} s warm-up ({len(latencies)} pushes): "
          f"p50 {percentile(latencies, 0.5):.1f} ms, p90 {percentile(latencies, 0.9):.1f} ms, "
          f"p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms (mean {statistics.fmean(latencies):.1f})")
    for name, values in sorted(by_event.items(), key=lambda kv: -len(kv[1])):
        values.sort()
        print(f"  {name:<20} {len(values):>5}  p50 {percentile(values, 0.5):6.1f} ms  "
              f"p99 {percentile(values, 0.99):6.1f} ms  max {values[-1]:6.1f} ms")
    lateness = sorted((received - r.t0 - due) * 1000 for due, received in r.matcher.timed)
    if lateness:
        print(f"  timer pushes (end of wrap-up, ring budget), after their due time: "
              f"p50 {percentile(lateness, 0.5):.1f} ms, p99 {percentile(lateness, 0.99):.1f} ms, "
              f"max {lateness[-1]:.1f} ms (not in the figures)")
    print(f"by send time ({WINDOW_S:g} s windows): " + "  ".join(
        f"{w * WINDOW_S:g}s: p50 {percentile(sorted(v), 0.5):.0f} p99 {percentile(sorted(v), 0.99):.0f}"
        for w, v in sorted(by_window.items())))
    print(f"this process's loop (fake AMI + browser): worst lag {r.lag.worst_s * 1000:.1f} ms "
          f"at {r.lag.worst_at - r.t0:.1f} s, {r.lag.over_10ms} lags over 10 ms; "
          f"machine load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if warnings:
        print("daemon warnings/errors:     "
              + ", ".join(f"{k} x{v}" for k, v in warnings.most_common(5)))
    print(f"target: p99 < {TARGET_MS:g} ms: {'met' if p99 < TARGET_MS else 'NOT met'}")
    if missing > MAX_MISSING * wanted:
        raise RuntimeError(f"{missing} of {wanted} expected pushes never arrived")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=25.0, help="how long new calls arrive")
    parser.add_argument("--rate", type=float, default=10.0, help="new calls per second")
    parser.add_argument("--time-scale", type=float, default=0.25,
                        help="multiplies the recorded spacing of each call's events")
    parser.add_argument("--log-level", default="INFO", help="the daemon's log level")
    parser.add_argument("--daemon-log", type=Path, help="keep the daemon's log in this file")
    parser.add_argument("--daemon-module", default="callcenter.cli.main",
                        help="run `python -m MODULE run` as the daemon (e.g. a profiling wrapper)")
    args = parser.parse_args()
    result = asyncio.run(run(args.seconds, args.rate, args.time_scale, args.log_level.upper(),
                             args.daemon_module))
    if args.daemon_log:
        args.daemon_log.write_text("\n".join(result.log) + "\n", encoding="utf-8")
    report(result, args.rate, args.time_scale)


if __name__ == "__main__":
    main()
