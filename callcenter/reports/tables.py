"""What a report shows, whoever asks for it (the CLI, the reports page, its exports, the
daily close): the queue and agent tables with the columns the issue fixes, the
interval chart, and every column's definition.  No SQL here: service.py reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from callcenter.domain import kpi
from callcenter.domain.kpi_glossary import Term, for_table, glossary
from callcenter.domain.kpi_periods import INTERVALS, Period, parse_moment, periods
from callcenter.errors import ReportRangeError
from callcenter.reports import people, service

# The longest range one request may cover at 15-minute intervals (a month is 2,976 rows
# per queue): beyond it, a coarser interval.
MAX_15M_DAYS = 31
# The columns of each table, as the CLI prints them (scripts rely on the names).
TABLES = {"queues": kpi.QUEUE_COLUMNS, "agents": kpi.AGENT_COLUMNS}
# ... and the complaint table, complaints per agent, the ledger and the bonus.
ALL_TABLES = {**TABLES, **people.COLUMNS}
# The chart: per period, over the queues chosen.
CHART_SERIES = ("offered", "answered", "abandoned", "service_level_pct")


@dataclass(frozen=True, slots=True)
class ReportRequest:
    start: float
    end: float
    interval: str | None  # None: one row per queue/agent for the whole range
    queue: str | None = None
    agent: str | None = None

    @classmethod
    def parse(cls, start: str, end: str, interval: str | None, tz: ZoneInfo, *,
              queue: str | None = None, agent: str | None = None) -> ReportRequest:
        """From the CLI's or the page's text; a wrong value is a ReportRangeError."""
        try:
            lo = parse_moment(start, tz, end=False)
            hi = parse_moment(end, tz, end=True)
        except ValueError as exc:
            raise ReportRangeError(f"from/to: {exc}") from None
        if hi <= lo:
            raise ReportRangeError("'to' must come after 'from'")
        if interval is not None and interval not in INTERVALS:
            raise ReportRangeError(f"interval must be one of {', '.join(INTERVALS)}")
        if interval == "15m" and hi - lo > MAX_15M_DAYS * 86400:
            raise ReportRangeError(f"15-minute rows cover at most {MAX_15M_DAYS} days")
        return cls(lo, hi, interval, queue or None, agent or None)

    def periods(self, tz: ZoneInfo) -> list[Period]:
        return periods(self.start, self.end, self.interval, tz)


def _iso(tz: ZoneInfo) -> Any:
    def iso(at: float) -> str:
        return datetime.fromtimestamp(at, tz).isoformat(timespec="minutes")
    return iso


def queue_table(engine: Engine, req: ReportRequest, rules: kpi.KpiRules,
                tz: ZoneInfo) -> list[dict[str, Any]]:
    return service.queue_report(engine, req.periods(tz), rules, queue=req.queue, iso=_iso(tz),
                                with_interval=req.interval is not None)


def agent_table(engine: Engine, req: ReportRequest, tz: ZoneInfo) -> list[dict[str, Any]]:
    return service.agent_report(engine, req.periods(tz), agent=req.agent, iso=_iso(tz),
                                with_interval=req.interval is not None)


def columns(table: str, with_interval: bool) -> tuple[str, ...]:
    """A table's columns; the KPI tables have `interval_start` first with an interval."""
    return (("interval_start",) if with_interval and table in TABLES else ()) + ALL_TABLES[table]


def chart(engine: Engine, req: ReportRequest, rules: kpi.KpiRules,
          tz: ZoneInfo) -> list[dict[str, Any]]:
    """Per period (the request's interval, else hours of a day or days of a longer
    range): offered, answered, abandoned and service level over the queues chosen;
    periods without calls are there with zeros (and no service level)."""
    interval = req.interval or ("1h" if req.end - req.start <= 86400 * 2 else "1d")
    chosen = periods(req.start, req.end, interval, tz)
    summed: dict[Period, dict[str, float]] = {p: {} for p in chosen}
    for s in service.queue_sums(engine, chosen, req.queue):
        kpi.add(summed.setdefault(s.period, {}), s.figures)
    iso = _iso(tz)
    return [{"interval_start": iso(p.start), "offered": int(f.get("offered", 0)),
             "answered": int(f.get("answered", 0)), "abandoned": int(f.get("abandoned", 0)),
             "service_level_pct": kpi.service_level_pct(f, rules)}
            for p, f in sorted(summed.items(), key=lambda item: item[0].start)]


def terms(rules: kpi.KpiRules, ring_budget_s: float,
          more: people.PeopleRules | None = None, *, table: str | None = None) -> list[Term]:
    """Every term (or one table's: its own where a column means something else there)."""
    more = more or people.PeopleRules()
    found = glossary(rules, ring_budget_s, flag_threshold=more.flag_threshold,
                     yuan_per_point=more.ledger.yuan_per_point)
    return found if table is None else for_table(found, table)


def filters(engine: Engine) -> dict[str, list[dict[str, str]]]:
    """The queues and agents any figures were kept for: the page's choices."""
    queues, agents = service.names(engine)
    return {"queues": [{"name": q} for q in queues],
            "agents": [{"interface": i, "name": n} for i, n in agents]}


def totals(engine: Engine, req: ReportRequest, rules: kpi.KpiRules,
           tz: ZoneInfo) -> dict[str, Any]:
    """The queue row over every queue chosen (ratios of the sums, not of the rows)."""
    summed = kpi.total(s.figures for s in service.queue_sums(engine, req.periods(tz), req.queue))
    row = kpi.queue_row(req.queue or "*", summed, rules)
    return {k: getattr(row, k) for k in kpi.QUEUE_COLUMNS}
