"""The reports page and its JSON API, for supervisors only (an agent gets 403, the page
included): the queue and agent tables with the CLI's columns, the interval chart, the
complaint table (and complaints per agent, flagged), the points ledger and the
quarter's bonus, every column's definition, and each table as CSV or .xlsx with the
same columns."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from callcenter.core.core import Core
from callcenter.domain.kpi import KpiRules
from callcenter.domain.kpi_periods import INTERVALS
from callcenter.errors import InvalidInput, ReportRangeError
from callcenter.reports import export, people, tables
from callcenter.web.auth import Supervisor
from callcenter.web.pages import supervisor_page

_TEXT_MAX = 100
Day = Annotated[str, Query(alias="from", min_length=10, max_length=25,
                           description="a local date (2026-11-01) or date and time")]
To = Annotated[str, Query(alias="to", min_length=10, max_length=25,
                          description="a local date (included) or date and time (excluded)")]
Interval = Annotated[str | None, Query(description=" | ".join(INTERVALS) + "; none: totals")]
Name = Annotated[str | None, Query(max_length=_TEXT_MAX)]


@dataclass(frozen=True, slots=True)
class RawQuery:
    start: str
    end: str
    interval: str | None
    queue: str | None
    agent: str | None


def _query(start: Day, end: To, interval: Interval = None, queue: Name = None,
           agent: Name = None) -> RawQuery:
    return RawQuery(start, end, interval, queue, agent)


Chosen = Annotated[RawQuery, Depends(_query)]


Table = Literal["queues", "agents", "complaints", "complaint_agents", "ledger", "bonus"]


def routes(core: Core, rules: KpiRules, more: people.PeopleRules) -> APIRouter:
    router = APIRouter(tags=["reports"])
    ring_budget_s = core.tracker.rules.ring_budget_s

    def request_of(q: RawQuery) -> tables.ReportRequest:
        try:
            return tables.ReportRequest.parse(q.start, q.end, q.interval or None, core.tz,
                                              queue=q.queue, agent=q.agent)
        except ReportRangeError as exc:
            raise InvalidInput(str(exc)) from None

    @router.get("/reports", include_in_schema=False)
    async def reports_page(request: Request) -> Response:
        # sign-in for nobody, the 403 page for an agent: as every supervisors' page
        return await supervisor_page("reports", request)

    def build(req: tables.ReportRequest) -> dict[str, Any]:
        with_interval = req.interval is not None
        return {
            "from": req.start, "to": req.end, "interval": req.interval,
            "timezone": str(core.tz),
            "columns": {t: tables.columns(t, with_interval) for t in tables.ALL_TABLES},
            "queues": tables.queue_table(core.engine, req, rules, core.tz),
            "agents": tables.agent_table(core.engine, req, core.tz),
            "chart": tables.chart(core.engine, req, rules, core.tz),
            "glossary": [{"column": t.column, "table": t.table, "zh": t.zh,
                          "zh_definition": t.zh_definition, "en": t.en,
                          "en_definition": t.en_definition}
                         for t in tables.terms(rules, ring_budget_s, more)],
            "filters": tables.filters(core.engine),
            # complaints {by_category, by_agent}, ledger {entries, bonus, ...}, and
            # flagged {interface: [months]}: agents at the month's complaint threshold.
            **people.page(core.engine, req.start, req.end, core.tz, more, agent=req.agent),
        }

    @router.get("/api/reports", summary="The reports page's data: both tables, the chart, "
                "the glossary and the filters' choices",
                responses={403: {"description": "not a supervisor"}})
    async def report(session: Supervisor, q: Chosen) -> dict[str, Any]:
        return await asyncio.to_thread(build, request_of(q))

    @router.get("/api/reports/{table}.{fmt}", summary="One table as CSV or .xlsx (the page's "
                "columns; the .xlsx has the glossary on a second sheet)",
                responses={403: {"description": "not a supervisor"}})
    async def download(session: Supervisor, table: Table, fmt: Literal["csv", "xlsx"],
                       q: Chosen) -> Response:
        req = request_of(q)

        def make() -> bytes:
            if table == "queues":
                rows = tables.queue_table(core.engine, req, rules, core.tz)
            elif table == "agents":
                rows = tables.agent_table(core.engine, req, core.tz)
            else:
                rows = people.rows(table, core.engine, req.start, req.end, core.tz,
                                   rules=more, agent=req.agent)
            columns = tables.columns(table, req.interval is not None)
            return export.export(fmt, table, columns, rows,
                                 tables.terms(rules, ring_budget_s, more, table=table))

        body = await asyncio.to_thread(make)
        first = datetime.fromtimestamp(req.start, core.tz).date()
        last = datetime.fromtimestamp(req.end - 1, core.tz).date()
        name = f"{table}-{first}-{last}.{fmt}"  # from parsed dates: nothing of the query
        return Response(body, media_type=export.FORMATS[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return router
