"""Alerts: every transition on the alert bus is logged; supervisors list and
acknowledge them over HTTP and the CLI."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from callcenter.alerts import http
from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.domain.alerts import AlertTransition

log = structlog.get_logger("callcenter.alerts")


def _log(transitions: Sequence[AlertTransition]) -> None:
    for t in transitions:
        log.info("alert." + t.change.value, alert_id=t.alert_id, kind=t.kind, level=t.level,
                 ref=t.ref)


def wire(core: Core) -> Contribution:
    return Contribution(alert_listeners=[_log], routers=[http.routes(core)])
