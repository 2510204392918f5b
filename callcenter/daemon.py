"""The composition root: builds the core, wires every feature of the list, and runs
what they contribute.  It holds no feature rule; it owns every task it starts."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Mapping, Sequence

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from callcenter.config import Config
from callcenter.core.build import SystemClock, build_core, connect, store_writer
from callcenter.core.bus import Bus
from callcenter.core.feature import AmiHandler, Contribution, Feature, Job
from callcenter.core.health import Health
from callcenter.core.settings import DatabaseSettings
from callcenter.domain.clock import Clock
from callcenter.features import FEATURES
from callcenter.store.metrics import writer_collectors
from callcenter.store.writer import SetAsideNote

log = structlog.get_logger("callcenter.daemon")


__all__ = ["Daemon", "SystemClock"]


class Daemon:
    def __init__(self, config: Config, clock: Clock | None = None,
                 features: Sequence[Feature] = FEATURES) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_timeout_s = config.get(DatabaseSettings).drain_timeout_s
        clock = clock or SystemClock()
        health = Health(clock, Bus("health"))
        self.writer = store_writer(config, health, self._set_aside)
        self.core = build_core(config, clock, health, self.writer, self)
        self.core.outcomes.subscribe(self.writer.submit)  # stored first, then the rest
        for collector in writer_collectors(self.writer):
            self.core.metrics.register(collector)
        self.parts = [self._wire(f) for f in features]
        # Per server: its own handlers (one inbound stream each, in feature order) and the
        # shared ones, which hear every server's messages (their reconnect work is the
        # first server's: they act through core.ami).
        self.first = next(iter(self.core.servers))
        self.handlers: dict[str, list[AmiHandler]] = {
            name: [h for p in self.parts for h in (
                [*p.server_handlers.get(name, ()), *p.ami_handlers])]
            for name in self.core.servers}
        self._shared = {id(h) for p in self.parts for h in p.ami_handlers}
        self._stop = asyncio.Event()

    def _wire(self, feature: Feature) -> Contribution:
        wire = feature.wire()
        part = wire(self.core) if wire is not None else Contribution()
        connect(self.core, part)
        return part

    # -- each server's AMI stream, shared out (synchronous, never raises) --------------
    def server_wants(self, server: str, name: str, uniqueid: str) -> bool:
        return any(h.wants(name, uniqueid) for h in self.handlers[server])

    def server_message(self, server: str, raw: Mapping[str, str]) -> None:
        name, uniqueid = raw.get("Event", ""), raw.get("Uniqueid", "")
        for handler in self.handlers[server]:
            if handler.wants(name, uniqueid):
                handler.on_message(raw)

    async def server_connected(self, server: str) -> None:
        for handler in self.handlers[server]:
            if server == self.first or id(handler) not in self._shared:
                await handler.on_connected()

    def on_message(self, raw: Mapping[str, str]) -> None:
        """A message from the first server (tests feed the stream through here)."""
        self.server_message(self.first, raw)

    def _set_aside(self, notes: list[SetAsideNote]) -> None:
        """From the writer's thread to the loop, where the buses live."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.core.set_aside.publish, notes)

    # -- life cycle -------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    def _schedule(self, scheduler: AsyncIOScheduler, job: Job) -> None:
        leader = self.core.leader

        async def run() -> None:
            if not (job.everywhere or leader.is_leader()):
                return  # a standby: the leader runs it
            try:
                await job.run()
            except asyncio.CancelledError:  # cancelled by our own shutdown: end quietly
                if not self._stop.is_set():
                    raise

        scheduler.add_job(run, "interval", seconds=job.interval_s, id=job.name,
                          max_instances=1, coalesce=True)

    async def run(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self.core.health.attach(loop)
        # SIGHUP too: a closed terminal must not end the daemon before it has drained.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self.stop)
        self.writer.start()
        log.info("daemon.started", config=self.core.config.source,
                 ami=[f"{s.name}={s.settings.host}:{s.settings.port}"
                      for s in self.core.servers.values()],
                 ring_budget_s=self.core.tracker.rules.ring_budget_s)
        for part in self.parts:
            for start in part.on_start:
                start()
        scheduler = AsyncIOScheduler(timezone=self.core.tz)
        for job in (j for p in self.parts for j in p.jobs):
            self._schedule(scheduler, job)
        scheduler.start()
        # One link per server, each reconnecting on its own: none waits for another.
        links = [asyncio.create_task(s.ami.run(), name=f"ami:{s.name}")
                 for s in self.core.servers.values()]
        tasks = list(links)
        tasks += [asyncio.create_task(t(), name=getattr(t, "__qualname__", "task"))
                  for p in self.parts for t in p.tasks]
        stopping = asyncio.create_task(self._stop.wait(), name="stop")
        try:
            done, _ = await asyncio.wait({*tasks, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopping}:
                task.result()  # a crashed task is a crashed daemon: raise it
        finally:
            stopping_since = time.monotonic()
            scheduler.shutdown(wait=False)
            for part in reversed(self.parts):
                for stop in part.on_stop:
                    await stop()
            await self.core.tasks.drain()
            for server in self.core.servers.values():
                server.ami.stop()
            for task in [*tasks, stopping]:
                if task not in links:  # a link ends by itself once stopped
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            # Everything received is written before we go, within the drain deadline
            # counted from the stop (the unit's TimeoutStopSec is above it).
            spent = time.monotonic() - stopping_since
            await asyncio.to_thread(self.writer.close, max(1.0, self._drain_timeout_s - spent))
            log.info("daemon.stopped", drain_s=round(time.monotonic() - stopping_since, 3))
