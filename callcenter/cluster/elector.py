"""The elector: the thin async shell around `domain.leadership.Leadership`.  Every
heartbeat it either tries the lock (standby) or checks the lock's connection and
the epoch (candidate, leader), each call in a worker thread under a deadline; it
hands the machine's decisions to the core's gate, the log and the health."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import structlog

from callcenter.cluster.service import LockSession
from callcenter.cluster.settings import ClusterSettings
from callcenter.core.health import Health
from callcenter.core.leader import LeaderGate
from callcenter.domain.clock import Clock
from callcenter.domain.leadership import LeaderChange, Leadership, Role

log = structlog.get_logger("callcenter.cluster")

PART = "leader"


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


class Elector:
    def __init__(self, settings: ClusterSettings, gate: LeaderGate, health: Health, *,
                 new_session: Callable[[], LockSession], wall: Clock,
                 clock: Clock | None = None) -> None:
        self.settings = settings
        self.gate = gate
        self.health = health
        self.new_session = new_session
        self.wall = wall  # for the epoch row's `since`
        self.machine = Leadership(settings.timing, clock or MonotonicClock())
        self.session = new_session()
        self._busy: asyncio.Future[Any] | None = None  # a call still running in its thread
        self._reported: tuple[bool, str] | None = None
        self.log = log.bind(node=settings.node)

    async def run(self) -> None:
        self._report(True, Role.STANDBY.value)
        try:
            while True:
                await self.step()
                await asyncio.sleep(self.settings.timing.heartbeat_s)
        finally:
            await self._drop(self.session)

    async def step(self) -> None:
        if self._busy is not None and not self._busy.done():
            self._apply(self.machine.tick())  # a hung call: the lease decides
            return
        if self.machine.holds_lock:
            epoch = self.machine.epoch
            ok, result = await self._call(self.session.heartbeat, epoch)
            if ok and result:
                self._apply(self.machine.renewed())
            else:
                why = "the epoch moved on" if ok else f"lock connection failed: {result}"
                await self._lose(why)
            return
        ok, result = await self._call(self.session.try_acquire, self.wall.now())
        if not ok:
            self._report(False, f"database unreachable: {result}")
            await self._renew_session()
            return
        if result is None:
            self._report(True, Role.STANDBY.value)
            return
        self.machine.acquired(int(result))
        self.log.info("cluster.lock_taken", epoch=result,
                      grace_s=self.settings.timing.grace_s)
        self._report(True, Role.CANDIDATE.value)

    async def _call(self, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        """(True, result) or (False, why); a call past the deadline is left to finish
        in its thread and counts as failed."""
        future = self._busy = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        done, _ = await asyncio.wait({future}, timeout=2 * self.settings.timing.heartbeat_s)
        if not done:
            return False, "no answer in time"
        exc = future.exception()
        if exc is not None:
            return False, type(exc).__name__
        return True, future.result()

    async def _lose(self, why: str) -> None:
        change = self.machine.lost(why)
        self._apply(change)
        if change is None:
            self.log.info("cluster.lock_lost", reason=why)
            self._report(True, Role.STANDBY.value)
        await self._renew_session()

    async def stop(self) -> None:
        """At shutdown: stop leading first, then let the lock go with the session."""
        self._apply(self.machine.lost("stopping"))
        await self._drop(self.session)

    async def _renew_session(self) -> None:
        old, self.session = self.session, self.new_session()
        await self._drop(old)

    async def _drop(self, session: LockSession) -> None:
        busy = self._busy
        if busy is not None and not busy.done():  # closed once its hung call returns
            busy.add_done_callback(lambda _: asyncio.ensure_future(asyncio.to_thread(
                session.close)))
            return
        await asyncio.to_thread(session.close)

    def _apply(self, change: LeaderChange | None) -> None:
        if change is None:
            return
        if change.leader:
            self.log.info("cluster.leading", epoch=change.epoch, reason=change.reason)
            self._report(True, f"{Role.LEADER.value} (epoch {change.epoch})")
        else:
            self.log.info("cluster.standing_by", epoch=change.epoch, reason=change.reason)
            self._report(True, Role.STANDBY.value)
        self.gate.change(change)

    def _report(self, ok: bool, detail: str) -> None:
        if self._reported != (ok, detail):
            self._reported = (ok, detail)
            self.health.report(PART, ok, f"{self.settings.node}: {detail}")
