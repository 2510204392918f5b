"""The inbound part of the AMI stream: queue and agent events through the one
translation boundary into the tracker, whose outcomes go on the outcome bus; on every
(re)connect the whole picture is re-read from QueueStatus.  The tracker's timers (ring
budgets, wrap-up ends, queue samples) run in `run_timers`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

import structlog

from callcenter.ami.client import flatten
from callcenter.ami.translate import KNOWN_EVENTS, MalformedEvent, snapshot, translate
from callcenter.core.core import Core
from callcenter.core.settings import CenterSettings

log = structlog.get_logger("callcenter.inbound")

_LIFECYCLE = frozenset({"fullybooted", "shutdown"})


class InboundStream:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.tracker = core.tracker
        self.phones = core.config.get(CenterSettings).phones
        self.events_handled = 0
        self._timers_changed = asyncio.Event()
        self._next_wake: float | None = None

    # -- the event path (synchronous, never raises) ----------------------------------
    def wants(self, name: str, uniqueid: str) -> bool:
        lowered = name.lower()
        return lowered in KNOWN_EVENTS or lowered in _LIFECYCLE or not name

    def on_message(self, raw: Mapping[str, str]) -> None:
        try:
            event = translate(raw, self.phones)
        except MalformedEvent as exc:
            log.warning("ami.malformed_event", error_id=exc.error_id, detail=str(exc))
            return
        if event is None:
            name = raw.get("Event", "")
            if name in ("FullyBooted", "Shutdown"):
                log.info("asterisk." + name.lower(), status=raw.get("Status", ""))
            return
        self.events_handled += 1
        self.core.outcomes.publish(self.tracker.handle(event))
        soonest = self.tracker.take_soonest_new_deadline()
        if soonest is not None and (self._next_wake is None or soonest < self._next_wake):
            self._timers_changed.set()  # a timer came forward: re-arm

    async def on_connected(self) -> None:
        """On every (re)connect: the whole picture from QueueStatus."""
        reply = await self.core.ami.action({"Action": "QueueStatus"}, as_list=True)
        snap = snapshot([flatten(m) for m in reply], self.phones)
        log.info("ami.resynced", queues=len(snap.queues), members=len(snap.members),
                 waiting=len(snap.waiting))
        self.core.outcomes.publish(self.tracker.handle(snap))
        self._timers_changed.set()

    # -- timers: ring budgets, wrap-up ends, queue samples ----------------------------
    async def run_timers(self) -> None:
        clock = self.core.clock
        while True:
            deadline = self._next_wake = self.tracker.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - clock.now())
            self._timers_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timers_changed.wait(), timeout)
            deadline = self.tracker.next_deadline()
            if deadline is not None and deadline <= clock.now():
                self.core.outcomes.publish(self.tracker.tick())
