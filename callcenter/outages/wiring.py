"""Outages: a part down longer than its setting raises a critical alert (pages and
webhooks hear it), cleared when the part is back; the status file is rewritten every
few seconds for `callcenter status`.  When the database itself is down, the alert
cannot be stored: it is still published (id 0), so pages and webhooks are told."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

import structlog
from sqlalchemy.exc import SQLAlchemyError

from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job
from callcenter.core.health import Condition
from callcenter.core.settings import DatabaseSettings
from callcenter.domain.alerts import AlertChange, AlertTransition
from callcenter.outages import service
from callcenter.outages.settings import OutageSettings, status_path

log = structlog.get_logger("callcenter.outages")


class OutageWatch:
    def __init__(self, core: Core, settings: OutageSettings) -> None:
        self.core = core
        self.settings = settings
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._alerted: dict[str, tuple[Condition, AlertTransition]] = {}

    def on_health(self, conditions: Sequence[Condition]) -> None:
        for c in conditions:
            if c.ok:
                timer = self._timers.pop(c.part, None)
                if timer is not None:
                    timer.cancel()
                if c.part in self._alerted:
                    self.core.tasks.spawn(self._clear(c.part), name=f"outage-clear-{c.part}")
            elif c.part not in self._timers and c.part not in self._alerted:
                wait = max(0.0, c.since + self.settings.alert_after_s(c.part)
                           - self.core.clock.now())
                self._timers[c.part] = asyncio.get_running_loop().call_later(
                    wait, self._due, c.part)

    def _due(self, part: str) -> None:
        self._timers.pop(part, None)
        self.core.tasks.spawn(self._raise(part), name=f"outage-{part}")

    async def _raise(self, part: str) -> None:
        down = self.core.health.snapshot().get(part)
        if down is None or down.ok or part in self._alerted:
            return
        now = self.core.clock.now()
        try:
            t = await asyncio.to_thread(service.raise_outage, self.core.engine, down,
                                        self.core.tz, now)
        except SQLAlchemyError:
            t = self._unstored(down, AlertChange.RAISED, now)
        if t is None:  # raised before (a restart during the same outage)
            t = self._unstored(down, AlertChange.RAISED, now)
        self._alerted[part] = (down, t)
        log.warning("outage.alerted", error_id="outage." + part, part=part, detail=down.detail)
        self.core.alerts.publish([t])

    async def _clear(self, part: str) -> None:
        down, raised = self._alerted.pop(part)
        now = self.core.clock.now()
        t: AlertTransition | None = None
        if raised.alert_id:
            try:
                t = await asyncio.to_thread(service.clear_outage, self.core.engine, down, now)
            except SQLAlchemyError:
                t = None
        log.info("outage.over", part=part, down_s=round(now - down.since, 1))
        self.core.alerts.publish([t or self._unstored(down, AlertChange.CLEARED, now)])

    def _unstored(self, c: Condition, change: AlertChange, at: float) -> AlertTransition:
        words = service.message(c, self.core.tz)
        return AlertTransition(0, service.kind_of(c.part), "critical", change, words.zh, at,
                               service.ref_of(c), words.en)


def wire(core: Core) -> Contribution:
    settings = core.config.get(OutageSettings)
    watch = OutageWatch(core, settings)
    path = status_path(settings, core.config.get(DatabaseSettings).url)

    async def write_status() -> None:
        parts = {name: {"ok": c.ok, "detail": c.detail, "since": c.since,
                        "figures": dict(c.figures)}
                 for name, c in core.health.snapshot().items()}
        status = {"written_at": core.clock.now(), "pid": os.getpid(),
                  "interval_s": settings.status_interval_s, "parts": parts}
        await asyncio.to_thread(service.write_status, path, status)

    return Contribution(health_listeners=[watch.on_health],
                        jobs=[Job("status-file", settings.status_interval_s, write_status,
                                  everywhere=True)])
