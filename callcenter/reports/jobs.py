"""The reports' scheduled work: agents' time in their current state added to the
intervals it has run through; the keys of old facts forgotten; the daily close and
the monthly report sent to the webhooks, each once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine

from callcenter.core.core import Core
from callcenter.domain import report_close
from callcenter.domain.clock import Clock
from callcenter.domain.kpi import KpiRules
from callcenter.domain.kpi_intervals import IntervalAggregator
from callcenter.domain.kpi_periods import local_bounds
from callcenter.domain.notice import Notice
from callcenter.reports import service, tables
from callcenter.reports.settings import ReportSettings

log = structlog.get_logger("callcenter.reports")


async def close_intervals(core: Core, aggregator: IntervalAggregator) -> None:
    core.outcomes.publish(aggregator.close(core.clock.now()))


async def prune_keys(core: Core, kept_s: float) -> None:
    gone = await asyncio.to_thread(service.prune, core.engine, core.clock.now() - kept_s)
    if gone:
        log.debug("reports.keys_pruned", keys=gone)


def close_notice(engine: Engine, tz: ZoneInfo, close: report_close.Close, *, rules: KpiRules,
                 base_url: str, now: float) -> Notice:
    """The close's summary from the same tables the page shows (worker thread)."""
    start, end = local_bounds(close.first, close.last, tz)
    req = tables.ReportRequest(start, end, None)
    return report_close.summary(
        close, tables.totals(engine, req, rules, tz), tables.queue_table(engine, req, rules, tz),
        tables.agent_table(engine, req, tz), base_url=base_url, now=now)


async def send_closes(engine: Engine, clock: Clock, tz: ZoneInfo, settings: ReportSettings,
                      send: Callable[[Notice], None]) -> list[str]:
    """Every close due now and not yet claimed: claimed, then sent.  Returns their keys."""
    sent = []
    now = clock.now()
    for close in report_close.due(now, tz, settings.close_time, monthly=settings.monthly_close):
        if not await asyncio.to_thread(service.claim_close, engine, close.key, now):
            continue  # sent before (by this run, or before a restart)
        notice = await asyncio.to_thread(close_notice, engine, tz, close, rules=settings.rules,
                                         base_url=settings.page_base_url, now=now)
        send(notice)
        sent.append(close.key)
        log.info("report.close_sent", close=close.key, link=notice.link)
    return sent
