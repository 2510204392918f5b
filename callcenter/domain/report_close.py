"""The daily close (日结) and the monthly report: which are due, and their short summary
for the webhooks.  Pure; the clock is the caller's.

At `close_at` (local, e.g. 08:30 before the morning meeting) the close of the previous
local day is due, and on the 1st the previous month's too; they stay due for the rest of
the day (a daemon started at 10:00 still sends them) and the shell sends each once (its
key is claimed in the database first).  A day the daemon never ran after `close_at` is
not sent later: a close is for the morning meeting, not for the archive (the page is)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from callcenter.domain.notice import Notice


@dataclass(frozen=True, slots=True)
class Close:
    kind: str  # daily | monthly
    first: date
    last: date  # included

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.first.isoformat()}"


def due(now: float, tz: ZoneInfo, close_at: time, *, monthly: bool) -> list[Close]:
    local = datetime.fromtimestamp(now, tz)
    if local.time() < close_at:
        return []
    yesterday = local.date() - timedelta(days=1)
    closes = [Close("daily", yesterday, yesterday)]
    if monthly and local.day == 1:
        closes.append(Close("monthly", yesterday.replace(day=1), yesterday))
    return closes


def link(base_url: str, close: Close) -> str:
    query = urlencode({"from": close.first.isoformat(), "to": close.last.isoformat(),
                       "interval": "1h" if close.kind == "daily" else "1d"})
    return f"{base_url.rstrip('/')}/reports?{query}"


def _n(value: Any, unit: str = "") -> str:
    return "–" if value is None else f"{value:g}{unit}"


def summary(close: Close, totals: Mapping[str, Any], queues: Sequence[Mapping[str, Any]],
            agents: Sequence[Mapping[str, Any]], *, base_url: str, now: float) -> Notice:
    """`totals`: the queue row over all queues; `queues`/`agents`: the report's rows."""
    what = "日结" if close.kind == "daily" else "月报"
    span = (close.first.isoformat() if close.kind == "daily"
            else f"{close.first:%Y-%m} ({close.first.isoformat()} – {close.last.isoformat()})")
    title = f"{what} {span}"
    lines = [
        f"呼入 offered {totals.get('offered', 0)} · 接通 answered {totals.get('answered', 0)}"
        f" · 放弃 abandoned {totals.get('abandoned', 0)}"
        f" · 短时放弃 short {totals.get('short_abandoned', 0)}",
        f"服务水平 SL {_n(totals.get('service_level_pct'), '%')}"
        f" · 三声接听 3-ring {_n(totals.get('three_ring_pct'), '%')}"
        f" · ASA {_n(totals.get('asa_s'), ' s')} · AHT {_n(totals.get('aht_s'), ' s')}",
    ]
    for q in sorted(queues, key=lambda r: -int(r.get("offered") or 0))[:5]:
        lines.append(f"{q['queue']}: {q.get('offered', 0)} / SL {_n(q.get('service_level_pct'), '%')}")
    violations = sum(int(a.get("violations") or 0) for a in agents)
    missed = sum(int(a.get("missed_rings") or 0) for a in agents)
    lines.append(f"坐席 agents {len(agents)} · 三声违规 violations {violations}"
                 f" · 未接振铃 missed rings {missed}")
    return Notice(kind=f"report.{close.kind}_close", key=close.key, title=title,
                  lines=tuple(lines), link=link(base_url, close), at=now,
                  figures={"from": close.first.isoformat(), "to": close.last.isoformat(),
                           "totals": dict(totals), "queues": [dict(q) for q in queues]})
