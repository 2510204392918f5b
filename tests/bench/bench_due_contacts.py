"""How long the dialer takes to choose its next batch of due contacts from a
campaign of 1,000,000 (SQLite, the default), through the dialer's own planning
code: the due-contact query, the do-not-call check, per-number 24 h caps and the
quiet-hours decision.

    python -m tests.bench.bench_due_contacts [--contacts 1000000] [--batches 200]

Target: under 10 ms per batch.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import update

from callcenter import logs
from callcenter.ami.client import AmiClient
from callcenter.ami.settings import AmiSettings
from callcenter.callbacks import dial_store
from callcenter.callbacks.dialer import Dialer
from callcenter.callbacks.settings import CallbacksSection, callback_settings
from callcenter.config import load
from callcenter.daemon import SystemClock
from callcenter.domain.outcomes import DEFAULT_SERVER
from callcenter.store import db
from callcenter.store import models as m

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ).timestamp()  # a Tuesday, inside the window


def build(path: Path, contacts: int) -> str:
    url = f"sqlite:///{path}"
    db.upgrade(url)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO campaigns (id, name, kind, status, mode, deadline_rule, "
                 "max_in_flight, created_at) VALUES (1, 'bench', 'imported', 'active', "
                 "'customer_first', '3d', 4, ?)", (NOW,))
    rows = ((1, "", f"13{n:09d}", 0, NOW, "", NOW + 86400 * 3, "pending", 0,
             NOW - 86400 + (n % 86400), NOW) for n in range(contacts))
    conn.executemany("INSERT INTO contacts (campaign_id, name, phone, member, service_at, note, "
                     "deadline, status, attempts, next_due_at, created_at) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("INSERT INTO do_not_call (phone, reason, added_at) VALUES ('13000000005', '', 0)")
    conn.commit()
    conn.close()
    return url


def main(contacts: int, batches: int) -> None:
    logs.configure("WARNING")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        url = build(Path(tmp) / "bench.db", contacts)
        built = time.perf_counter() - started
        config = load(None, environ={"CALLCENTER__DATABASE__URL": url})
        settings = callback_settings(config.get(CallbacksSection), TZ)
        engine = db.engine_for(url)
        dialer = Dialer(engine, AmiClient(AmiSettings(), on_message=lambda _m: None),
                        settings=settings, clock=SystemClock(), center_tz=TZ,
                        free_agents=lambda _q: 4, paused_by_surge=lambda: False)
        timings = []
        chosen = 0
        for _ in range(batches):
            t0 = time.perf_counter()
            # 4 free agents, the one server up, as tick() would read them
            plan, _under_way, _waiting = dial_store.plan(
                engine, dialer.settings, NOW, 4, [DEFAULT_SERVER], center_tz=dialer.tz,
                server_of=dialer.router.server_of)
            timings.append((time.perf_counter() - t0) * 1000)
            chosen += len(plan)
            with engine.begin() as conn:  # as if they were dialed (not timed)
                conn.execute(update(m.Contact).where(m.Contact.id.in_([c.id for c, _ in plan]))
                             .values(status="done"))
    timings.sort()
    print(f"contacts in the campaign:   {contacts:,} (built in {built:.1f} s)")
    print(f"batches chosen:             {batches} ({chosen} contacts, as pacing allows)")
    print(f"per batch: median {statistics.median(timings):.2f} ms, "
          f"p99 {timings[int(len(timings) * 0.99) - 1]:.2f} ms, max {timings[-1]:.2f} ms")
    print(f"target < 10 ms per batch: {'met' if timings[int(len(timings) * 0.99) - 1] < 10 else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=200)
    args = parser.parse_args()
    main(args.contacts, args.batches)
