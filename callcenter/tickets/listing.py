"""The tickets page's list: filters (date range, queue, agent, category, status),
paging with the total, and the same list as CSV or .xlsx for supervisors (an agent's
list is their own tickets; the export is 403 for them).  Text cells are made inert as
in the campaign report: a caller's words never run as a spreadsheet formula."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from callcenter.callbacks.report import inert
from callcenter.core.core import Core
from callcenter.domain import ticket_rules as tr
from callcenter.errors import InvalidInput
from callcenter.tickets import service as tickets
from callcenter.users.service import Session
from callcenter.web.auth import SignedIn, Supervisor, current_number, shown_number

PAGE_MAX = 200
EXPORT_MAX = 50_000  # rows in one export; past it, narrow the range
_TEXT = Annotated[str | None, Query(max_length=128)]
COLUMNS = (("id", "工单 ticket"), ("opened", "时间 opened"), ("queue", "队列 queue"),
           ("owner_name", "坐席 agent"), ("caller_phone", "电话 phone"),
           ("customer_name", "客户 customer"), ("category", "类别 category"),
           ("status", "状态 status"), ("priority", "优先级 priority"),
           ("late_answer", "超时接听 late answer"), ("talk_s", "通话秒 talk s"),
           ("rating", "评价 rating"), ("content", "内容 content"),
           ("resolution", "处理结果 resolution"))
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True, slots=True)
class Filters:
    start: str | None
    end: str | None
    queue: str | None
    agent: str | None
    category: str | None
    status: str | None
    phone: str | None
    q: str | None


def _filters(*, start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
             end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
             queue: _TEXT = None, agent: _TEXT = None, category: _TEXT = None,
             status: _TEXT = None, phone: _TEXT = None, q: _TEXT = None) -> Filters:
    return Filters(start, end, queue, agent, category, status, phone, q)


Chosen = Annotated[Filters, Depends(_filters)]


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: a date like 2026-11-18") from None


def query_of(f: Filters, core: Core, session: Session, offset: int, limit: int
             ) -> tickets.TicketQuery:
    """The filters checked: dates are local days (`to` included), category and status
    the center's own values; an agent's query is their own tickets whatever it says."""
    if f.category and f.category not in tr.CATEGORIES:
        raise InvalidInput(f"category: one of {', '.join(tr.CATEGORIES)}")
    if f.status and f.status not in tr.STATUSES:
        raise InvalidInput(f"status: one of {', '.join(tr.STATUSES)}")
    since = (datetime.combine(_day(f.start, "from"), time(0), tzinfo=core.tz).timestamp()
             if f.start else None)
    until = (datetime.combine(_day(f.end, "to") + timedelta(days=1), time(0),
                              tzinfo=core.tz).timestamp() if f.end else None)
    if since is not None and until is not None and until <= since:
        raise InvalidInput("the range ends before it starts")
    supervisor = session.user.is_supervisor
    return tickets.TicketQuery(
        owner_interface=None if supervisor else (session.user.member_interface or "-"),
        status=f.status or None, category=f.category or None, phone=f.phone or None,
        text=f.q or None, since=since, until=until, queue=f.queue or None,
        agent=(f.agent or None) if supervisor else None, offset=offset, limit=limit)


def _cell(key: str, ticket: dict[str, Any], core: Core) -> Any:
    if key == "opened":
        return datetime.fromtimestamp(ticket["opened_at"], core.tz).isoformat(timespec="seconds")
    value = ticket[key]
    return "" if value is None else value


def table(rows: list[dict[str, Any]], core: Core) -> list[list[Any]]:
    return [[label for _, label in COLUMNS]] + [
        [inert(_cell(key, t, core)) for key, _ in COLUMNS] for t in rows]


def to_bytes(fmt: str, rows: list[list[Any]]) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8
    from openpyxl import Workbook  # noqa: PLC0415 - only exports need it

    book = Workbook()
    sheet = book.active
    sheet.title = "tickets"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def routes(core: Core) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["tickets"])

    @router.get("/tickets-page", summary="Tickets with filters, a page at a time, and the total")
    async def page(session: SignedIn, f: Chosen, offset: Annotated[int, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50) -> dict[str, Any]:
        query = query_of(f, core, session, offset, limit)
        rows, total = await asyncio.gather(
            asyncio.to_thread(tickets.search, core.engine, query),
            asyncio.to_thread(tickets.count, core.engine, query))
        shown_to = current_number(core.live, session)
        return {"total": total, "offset": offset, "limit": limit,
                "rows": [{**t, "caller_phone": shown_number(t["caller_phone"], session, shown_to)}
                         for t in rows]}

    @router.get("/tickets-export.{fmt}", summary="The filtered tickets as CSV or .xlsx",
                tags=["supervisors"], responses={403: {"description": "not a supervisor"}})
    async def export(session: Supervisor, f: Chosen, fmt: Literal["csv", "xlsx"]) -> Response:
        query = query_of(f, core, session, 0, EXPORT_MAX)

        def make() -> bytes:
            return to_bytes(fmt, table(tickets.search(core.engine, query), core))

        body = await asyncio.to_thread(make)
        return Response(body, media_type=FORMATS[fmt], headers={
            "Content-Disposition": f'attachment; filename="tickets.{fmt}"'})

    return router
