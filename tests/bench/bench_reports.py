"""How long the month report takes for a 300-agent center: a month of interval data
(31 days x 96 intervals; 10 queues; 300 agents logged in 12 hours a day, about
450,000 agent intervals; over 1,000,000 calls offered), then `callcenter report
queues` and `agents` for the month, all queues and agents, through the reports'
own service code.  SQLite by default; PostgreSQL with --url.

    python -m tests.bench.bench_reports [--agents 300] [--url postgresql+psycopg://...]

Target: under 500 ms for the month (each report).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from callcenter import logs
from callcenter.domain.kpi import KpiRules
from callcenter.domain.kpi_periods import parse_moment, periods
from callcenter.reports import service
from callcenter.store import db
from callcenter.store import stat_models as sm

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 10, 1, tzinfo=TZ).timestamp()
DAYS, QUEUES, CHUNK = 31, 10, 20_000


def build(url: str, agents: int) -> int:
    """The month's interval rows; returns the calls offered."""
    db.upgrade(url)
    engine = db.engine_for(url)
    offered = 0
    queue_rows, agent_rows = [], []
    for i in range(DAYS * 96):
        start = START + i * 900
        hour = (i % 96) / 4
        busy = 8 <= hour < 20
        for q in range(QUEUES):
            calls = 70 if busy else 1
            offered += calls
            queue_rows.append({
                "start": start, "queue": f"queue-{q}", "offered": calls,
                "answered": calls - 3 if busy else 1, "answered_in_sl": calls - 8 if busy else 1,
                "answered_in_rings": calls - 5 if busy else 1, "abandoned": 2 if busy else 0,
                "abandoned_in_sl": 1 if busy else 0, "short_abandoned": 1 if busy else 0,
                "timeouts": 0, "exit_key": 0, "exit_empty": 0, "wait_answered_s": 300.0,
                "wait_s": 400.0, "longest_wait_s": 60.0 + q, "handled": calls,
                "talk_s": calls * 180.0, "wrapup_s": calls * 10.0})
        if busy:
            for a in range(agents):
                agent_rows.append({
                    "start": start, "interface": f"PJSIP/{1000 + a}", "name": f"agent-{a}",
                    "answered": 7, "missed_rings": a % 2, "violations": a % 3 == 0,
                    "talk_s": 720.0, "wrapup_s": 40.0, "paused_s": 60.0, "logged_in_s": 900.0,
                    "available_s": 80.0})
    with engine.begin() as conn:
        for rows, table in ((queue_rows, sm.StatQueueInterval), (agent_rows, sm.StatAgentInterval)):
            for n in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[n:n + CHUNK])
    print(f"built: {len(queue_rows):,} queue intervals, {len(agent_rows):,} agent intervals, "
          f"{offered:,} calls offered")
    engine.dispose()
    return offered


def timed(label: str, run: object) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        rows = run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    print(f"{label}: {len(rows)} rows, best of 3 {best * 1000:.0f} ms")
    return best


def main(agents: int, url: str | None) -> None:
    logs.configure("WARNING")
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        offered = build(url, agents)
        assert offered >= 1_000_000
        print(f"build took {time.perf_counter() - started:.1f} s")
        engine = db.engine_for(url)
        month = periods(parse_moment("2026-10-01", TZ, end=False),
                        parse_moment("2026-10-31", TZ, end=True), None, TZ)
        days = periods(month[0].start, month[0].end, "1d", TZ)
        q = timed("month, queues", lambda: service.queue_report(
            engine, month, KpiRules(), queue=None, iso=str, with_interval=False))
        a = timed("month, agents", lambda: service.agent_report(
            engine, month, agent=None, iso=str, with_interval=False))
        timed("month by day, queues", lambda: service.queue_report(
            engine, days, KpiRules(), queue=None, iso=str, with_interval=True))
        timed("month by day, agents", lambda: service.agent_report(
            engine, days, agent=None, iso=str, with_interval=True))
        print(f"target < 500 ms per month report: {'met' if max(q, a) < 0.5 else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--url", help="a database to fill (default: a new SQLite file)")
    args = parser.parse_args()
    main(args.agents, args.url)
