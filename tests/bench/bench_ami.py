"""Throughput: bare panoramisk with a no-op handler vs. the whole daemon
(translation, tracker, timers, every feature's outcome sinks — the reports' interval
aggregation and the wallboard's today figures included — batched persistence to
SQLite), fed the same recorded AMI stream at full speed by a fake AMI server, in one
run.  It prints how many interval figures the reports kept, to show they were made.

    python -m tests.bench.bench_ami [--repeat 150]

Target: the daemon keeps at least half of bare panoramisk's rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from panoramisk import Manager
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from callcenter import logs
from callcenter.ami.client import RawMessage
from callcenter.config import load
from callcenter.daemon import Daemon
from callcenter.store import db
from callcenter.store import stat_models as sm
from callcenter.testbed.asterisk import free_port
from tests.fakeami import FakeAmi, encode

FIXTURES = Path(__file__).parents[1] / "fixtures" / "inbound"
ID_FIELDS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid")
END = encode({"Event": "UserEvent", "UserEvent": "bench-end"})


def recorded_stream(repeat: int) -> tuple[bytes, int]:
    """Every fixture, `repeat` times, with ids made unique per repetition so the
    daemon does real work (new calls, tickets, violations) every time."""
    records = [r["event"] for path in sorted(FIXTURES.glob("*.json"))
               for r in json.loads(path.read_text(encoding="utf-8"))["events"]]
    chunks = []
    for n in range(repeat):
        for event in records:
            fields = {k: (f"{v}.{n}" if k in ID_FIELDS else v) for k, v in event.items()}
            chunks.append(encode(fields))
    return b"".join(chunks) + END, len(chunks) + 1


async def bare_panoramisk(blob: bytes, count: int) -> float:
    fake = FakeAmi()
    done = asyncio.Event()
    seen = 0
    started = 0.0

    def push(writer: asyncio.StreamWriter) -> None:
        nonlocal started
        started = time.perf_counter()
        writer.write(blob)

    def noop(_manager: object, message: RawMessage) -> None:
        nonlocal seen
        seen += 1
        if message.get("UserEvent") == "bench-end":
            done.set()

    fake.on_connected = push
    port = await fake.start()
    manager = Manager(host="127.0.0.1", port=port, username="cc", secret=fake.secret,
                      loop=asyncio.get_running_loop(), ping_delay=3600)
    manager.register_event("*", noop)
    await manager.connect()
    await asyncio.wait_for(done.wait(), 300)
    elapsed = time.perf_counter() - started
    manager.close()
    await fake.stop()
    if seen < count:
        raise RuntimeError(f"panoramisk saw {seen} of {count} messages")
    return count / elapsed


class _BenchDaemon(Daemon):
    done: asyncio.Event

    # Each server's AMI link hands its messages to these (one server here).
    def server_wants(self, server: str, name: str, uniqueid: str) -> bool:
        return name == "UserEvent" or super().server_wants(server, name, uniqueid)  # the end

    def server_message(self, server: str, raw: Mapping[str, str]) -> None:
        super().server_message(server, raw)
        if raw.get("UserEvent") == "bench-end":
            self.done.set()


async def whole_daemon(blob: bytes, count: int,
                       workdir: Path) -> tuple[float, float, int, int]:
    fake = FakeAmi()
    started = 0.0

    def push(writer: asyncio.StreamWriter) -> None:
        nonlocal started
        started = time.perf_counter()
        writer.write(blob)

    fake.on_connected = push
    port = await fake.start()
    url = f"sqlite:///{workdir}/bench.db"
    db.upgrade(url)
    config = load(None, environ={"CALLCENTER__DATABASE__URL": url,
                                 "CALLCENTER__LOG__LEVEL": "WARNING",
                                 "CALLCENTER__AMI__PORT": str(port),
                                 "CALLCENTER__AMI__USERNAME": "cc",
                                 "CALLCENTER__AMI__SECRET": fake.secret,
                                 "CALLCENTER__AMI__QUEUE_LOG": "",  # no Asterisk here
                                 # ports of its own: other daemons may run beside it
                                 "CALLCENTER__WEB__PORT": str(free_port()),
                                 "CALLCENTER__AGI__PORT": str(free_port())})
    daemon = _BenchDaemon(config)
    daemon.done = asyncio.Event()
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.done.wait(), 300)
    handled = time.perf_counter() - started
    # What /metrics says (the same registry, scraped in the loop): every message of
    # the replay, plus the FullyBooted of the login.
    received = _scraped(daemon, "callcenter_ami_messages_received_total")
    if received != count + 1:
        raise RuntimeError(f"/metrics counted {received} AMI messages, the replay sent {count + 1}")
    flushed_ok = await asyncio.to_thread(daemon.writer.flush, 300)
    persisted = time.perf_counter() - started
    daemon.stop()
    await task
    await fake.stop()
    if not flushed_ok:
        raise RuntimeError("the store writer did not catch up")
    tracked = sum(getattr(h, "events_handled", 0) for h in daemon.handlers[daemon.first])
    engine = db.engine_for(url)
    with engine.connect() as conn:  # the reports' aggregation ran in the measured path
        offered = conn.execute(select(func.sum(sm.StatQueueInterval.offered))).scalar() or 0
    engine.dispose()
    return count / handled, count / persisted, tracked, int(offered)


def _scraped(daemon: Daemon, name: str) -> float:
    text = generate_latest(daemon.core.metrics).decode()
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == name)


async def main(repeat: int, rounds: int) -> None:
    logs.configure("WARNING")
    blob, count = recorded_stream(repeat)
    pairs: list[tuple[float, float, float]] = []
    domain_events = offered = 0
    for _ in range(rounds):
        # Each round measures both sides back to back: the machine is shared and its
        # speed drifts, so a ratio is only fair within a pair.
        bare = await bare_panoramisk(blob, count)
        with tempfile.TemporaryDirectory() as tmp:
            handled, persisted, domain_events, offered = await whole_daemon(blob, count,
                                                                            Path(tmp))
        pairs.append((bare, handled, persisted))
    ratios = sorted(h / b for b, h, _ in pairs)
    disk_ratios = sorted(p / b for b, _, p in pairs)
    median, disk_median = statistics.median(ratios), statistics.median(disk_ratios)
    print(f"AMI messages replayed:             {count} ({domain_events} reached the tracker), "
          f"{rounds} paired rounds; the reports' intervals counted {offered} callers offered")
    for n, (b, h, p) in enumerate(pairs, 1):
        print(f"  round {n}: bare panoramisk {b:>8,.0f}/s   daemon {h:>8,.0f}/s "
              f"(ratio {h / b:.2f})   until on disk {p:>8,.0f}/s (ratio {p / b:.2f})")
    print(f"daemon / bare panoramisk, processing + persistence: median ratio {median:.2f} "
          f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}; the event loop's rate, writes queued)")
    print(f"daemon / bare panoramisk, until writes are on disk: median ratio {disk_median:.2f} "
          f"(the writer process's rate)")
    print(f"target: daemon >= 0.50 x bare panoramisk: {'met' if median >= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.repeat, args.rounds))
