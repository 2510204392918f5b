"""The inbound part of one server's AMI stream: queue and agent events through the one
translation boundary into that server's tracker, whose outcomes (stamped with the
server's name) go on the outcome bus; on every (re)connect the whole picture is
re-read from QueueStatus.  The tracker's timers (ring budgets, wrap-up ends, queue
samples) run in `run_timers`.  Each server has its own stream: one server's resync or
fault never holds another's events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

import structlog

from callcenter.ami.client import flatten
from callcenter.ami.translate import KNOWN_EVENTS, MalformedEvent, snapshot, translate
from callcenter.core.core import Core
from callcenter.core.servers import Server
from callcenter.core.settings import CenterSettings
from callcenter.domain.outcomes import stamped
from callcenter.errors import AmiError

log = structlog.get_logger("callcenter.inbound")

_LIFECYCLE = frozenset({"fullybooted", "shutdown"})
class InboundStream:
    def __init__(self, core: Core, server: Server | None = None) -> None:
        self.core = core
        self.server = server or next(iter(core.servers.values()))
        self.name = self.server.name
        self.tracker = self.server.tracker
        self.several = len(core.servers) > 1
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
        self.core.outcomes.publish(stamped(self.tracker.handle(event), self.name))
        soonest = self.tracker.take_soonest_new_deadline()
        if soonest is not None and (self._next_wake is None or soonest < self._next_wake):
            self._timers_changed.set()  # a timer came forward: re-arm

    async def on_connected(self) -> None:
        """On every (re)connect: the whole picture from QueueStatus."""
        reply = await self.server.ami.action({"Action": "QueueStatus"}, as_list=True)
        snap = snapshot([flatten(m) for m in reply], self.phones)
        log.info("ami.resynced", server=self.name, queues=len(snap.queues),
                 members=len(snap.members), waiting=len(snap.waiting))
        self.core.outcomes.publish(stamped(self.tracker.handle(snap), self.name))
        self._timers_changed.set()
        if self.several:  # after the resync: nothing waits for it
            await self._check_systemname()

    async def _check_systemname(self) -> None:
        """With several servers a call is known by its Linkedid alone (one ticket per
        Linkedid): only Asterisk's `systemname` keeps two servers' ids apart."""
        try:
            reply = await self.server.ami.action({"Action": "CoreSettings"})
            systemname = str(reply.get("SystemName", "")).strip()
        except AmiError as exc:
            log.warning("ami.systemname_unknown", server=self.name, error=str(exc))
            return
        if not systemname:
            log.error("ami.systemname_missing", error_id="ami.systemname_missing",
                      server=self.name, detail="set a distinct systemname in this Asterisk's "
                      "asterisk.conf [options]: without it call ids can collide across servers")
        else:
            log.info("ami.systemname", server=self.name, systemname=systemname)

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
                self.core.outcomes.publish(stamped(self.tracker.tick(), self.name))

    def link_lost(self) -> None:
        self.core.outcomes.publish(stamped(self.tracker.link_lost(), self.name))
