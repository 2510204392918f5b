"""Alerts: every transition on the alert bus is logged; an outcome the store had to
set aside raises a critical alert; supervisors list and acknowledge them over HTTP
and the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog

from callcenter.alerts import http, service
from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.domain.alerts import AlertTransition
from callcenter.store.writer import SetAsideNote

log = structlog.get_logger("callcenter.alerts")


def _log(transitions: Sequence[AlertTransition]) -> None:
    for t in transitions:
        log.info("alert." + t.change.value, alert_id=t.alert_id, kind=t.kind, level=t.level,
                 ref=t.ref)


def wire(core: Core) -> Contribution:
    async def raise_set_aside(notes: Sequence[SetAsideNote]) -> None:
        core.alerts.publish(await asyncio.to_thread(service.raise_set_aside, core.engine, notes,
                                                    core.clock.now()))

    def set_aside(notes: Sequence[SetAsideNote]) -> None:
        core.tasks.spawn(raise_set_aside(list(notes)), name="set-aside-alert")

    return Contribution(alert_listeners=[_log], set_aside_listeners=[set_aside],
                        routers=[http.routes(core)])
