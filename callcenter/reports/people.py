"""The complaint table (投诉分类统计表), complaints per agent (flagged at the month's
threshold), the points ledger and the quarter's bonus, for a report's range: what the
reports page, its exports and `callcenter report complaints|ledger|bonus` show, with
the same rows and columns everywhere.  No SQL here: the complaints' and the ledger's
services read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from callcenter.complaints import service as complaints
from callcenter.domain.ledger import LedgerRules, month_bounds, month_label, quarter_of
from callcenter.domain.people_glossary import BONUS, BY_AGENT, COMPLAINTS, LEDGER
from callcenter.ledger import service as ledger

COLUMNS = {COMPLAINTS: complaints.TABLE_COLUMNS, BY_AGENT: complaints.BY_AGENT_COLUMNS,
           LEDGER: ledger.ENTRY_COLUMNS, BONUS: ledger.BONUS_COLUMNS}
# The page shows the newest entries up to this many (a month of a large center has
# thousands); the exports and the CLI have them all.
PAGE_ENTRIES_MAX = 500
_QUARTERS_MAX = 8  # a range over two years shows the bonus of its last eight quarters


@dataclass(frozen=True, slots=True)
class PeopleRules:
    flag_threshold: int = 3
    ledger: LedgerRules = field(default_factory=LedgerRules)


def iso_seconds(tz: ZoneInfo) -> Any:
    def iso(at: float) -> str:
        return datetime.fromtimestamp(at, tz).isoformat(timespec="seconds")
    return iso


def quarters(start: float, end: float, tz: ZoneInfo) -> list[str]:
    """The quarters [start, end) overlaps, oldest first (the last eight at most)."""
    first, last = quarter_of(start, tz), quarter_of(end - 1, tz)
    year, q = int(first[:4]), int(first[-1])
    out = [first]
    while out[-1] != last:
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
        out.append(f"{year}Q{q}")
    return out[-_QUARTERS_MAX:]


def rows(table: str, engine: Engine, start: float, end: float, tz: ZoneInfo, *,
         rules: PeopleRules, agent: str | None = None) -> list[dict[str, Any]]:
    """One table's rows for [start, end); `agent` narrows the per-agent tables."""
    if table == COMPLAINTS:
        return complaints.complaint_table(engine, start, end, tz)
    if table == BY_AGENT:
        found = complaints.complaints_by_agent(engine, start, end, tz, rules.flag_threshold)
        return [r for r in found if not agent or r["interface"] == agent]
    if table == LEDGER:
        return ledger.entries(engine, start, end, agent=agent, iso=iso_seconds(tz))
    if table == BONUS:
        found = [row for label in quarters(start, end, tz)
                 for row in ledger.bonus(engine, label, tz, rules.ledger)]
        return [r for r in found if not agent or r["interface"] == agent]
    raise KeyError(table)


def flagged(engine: Engine, start: float, end: float, tz: ZoneInfo,
            threshold: int) -> dict[str, list[str]]:
    """Agents flagged in a calendar month the range touches (the flag is the whole
    month's: 3 confirmed complaints, wherever in the month): interface -> months."""
    lo = month_bounds(month_label(start, tz), tz)[0]
    hi = month_bounds(month_label(end - 1, tz), tz)[1]
    out: dict[str, list[str]] = {}
    for r in complaints.complaints_by_agent(engine, lo, hi, tz, threshold):
        if r["flagged"]:
            out.setdefault(r["interface"], []).append(r["month"])
    return out


def page(engine: Engine, start: float, end: float, tz: ZoneInfo, rules: PeopleRules, *,
         agent: str | None) -> dict[str, Any]:
    """The reports page's complaint and ledger sections."""
    entries = rows(LEDGER, engine, start, end, tz, rules=rules, agent=agent)
    return {
        "complaints": {"by_category": rows(COMPLAINTS, engine, start, end, tz, rules=rules),
                       "by_agent": rows(BY_AGENT, engine, start, end, tz, rules=rules, agent=agent)},
        "ledger": {"entries": entries[-PAGE_ENTRIES_MAX:], "entries_total": len(entries),
                   "points": sum(int(e["points"]) for e in entries),
                   "quarters": quarters(start, end, tz),
                   "bonus": rows(BONUS, engine, start, end, tz, rules=rules, agent=agent)},
        "flagged": flagged(engine, start, end, tz, rules.flag_threshold),
    }
