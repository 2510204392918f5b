"""The reports' scheduled work: agents' time in their current state added to the
intervals it has run through; the keys of old facts forgotten."""

from __future__ import annotations

import asyncio

import structlog

from callcenter.core.core import Core
from callcenter.domain.kpi_intervals import IntervalAggregator
from callcenter.reports import service

log = structlog.get_logger("callcenter.reports")


async def close_intervals(core: Core, aggregator: IntervalAggregator) -> None:
    core.outcomes.publish(aggregator.close(core.clock.now()))


async def prune_keys(core: Core, kept_s: float) -> None:
    gone = await asyncio.to_thread(service.prune, core.engine, core.clock.now() - kept_s)
    if gone:
        log.debug("reports.keys_pruned", keys=gone)
