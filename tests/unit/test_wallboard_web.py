"""The wallboard's today figures through the whole daemon (wired, not run; SQLite and
PostgreSQL): they start from today's stat intervals in the store (as a report of today
sums them) and move with the figures the reports' aggregator publishes for each
caller who leaves a queue — pushed to the supervisor's stream as the AMI event is
handled, with the reports' definitions (service level within T of joining over
answered + abandoned after the short-abandon threshold; three-ring compliance apart)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import insert

from callcenter.domain import events as ev
from callcenter.domain.kpi import QUEUE_FIGURES
from callcenter.domain.kpi_glossary import glossary
from callcenter.reports.settings import ReportSettings
from callcenter.store import db
from callcenter.store import stat_models as sm
from tests.unit.test_web_api import NOW, StreamingASGITransport, Web, build, read_frame

EARLIER = NOW - NOW % 900 - 3600  # 09:00 today
# Today's figures already in the store: 8 answered (6 within T, 7 in three rings),
# 1 abandoned after the short-abandon threshold, 1 short abandon.
STORED = {"offered": 10, "answered": 8, "answered_in_sl": 6, "answered_in_rings": 7,
          "abandoned": 1, "short_abandoned": 1, "wait_s": 100.0, "wait_answered_s": 80.0,
          "longest_wait_s": 40.0}


def _store(db_url: str) -> None:
    engine = db.engine_for(db_url)
    rows = [{"start": at, "queue": "support", **dict.fromkeys(QUEUE_FIGURES, 0), **STORED}
            for at in (EARLIER, EARLIER - 86400)]  # today's, and yesterday's (not counted)
    with engine.begin() as conn:
        conn.execute(insert(sm.StatQueueInterval), rows)
    engine.dispose()


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Web]:
    _store(db_url)  # before the daemon is wired: what a restart mid-day finds
    w = build(db_url)
    yield w
    w.ctx.hub.close()
    for c in w.clients:
        await c.aclose()
    w.engine.dispose()


async def next_queue(next_line: Callable[[], Awaitable[str]], queue: str,
                     offered: int) -> dict[str, Any]:
    """The next push of the queue's tile with this many callers offered today (the
    pushes of callers waiting, on joining, come first)."""
    while True:
        event, data = await read_frame(next_line)
        pushed: dict[str, Any] = json.loads(data)
        if event == "queue" and pushed["queue"] == queue and pushed["offered"] == offered:
            return pushed


async def test_today_is_the_reports_figures_seeded_and_pushed(web: Web) -> None:
    transport = StreamingASGITransport(web.app)
    lead = await web.signed_in("lead", transport)
    async with lead.http.stream("GET", "/api/stream") as resp:
        lines = resp.aiter_lines()
        event, data = await asyncio.wait_for(read_frame(lines.__anext__), 2.0)
        snapshot = json.loads(data)
        assert event == "snapshot"
        # (the fixture's calls were in "sales": this is another queue)
        [sales] = [q for q in snapshot["queues"] if q["queue"] == "support"]
        assert (sales["offered"], sales["answered"], sales["abandoned"],
                sales["short_abandoned"]) == (10, 8, 1, 1)
        assert sales["service_level_pct"] == round(100 * 6 / 9, 1)  # 6 ÷ (8 + 1)
        assert sales["three_ring_pct"] == 87.5  # 7 ÷ 8, its own figure
        assert sales["abandon_rate_pct"] == round(100 / 9, 1)  # 1 ÷ (10 − 1 short)
        # Each tile figure's definition, the reports' glossary's.
        terms = {t.column: t for t in glossary(
            web.core.config.get(ReportSettings).rules, 15.0)}
        assert snapshot["definitions"]["service_level_pct"]["zh"] == \
            terms["service_level_pct"].zh_definition
        assert "20 s" in snapshot["definitions"]["service_level_pct"]["en"]

        # A caller answered after 25 s (beyond T) by an agent who picked up at once.
        web.feed(ev.CallerJoined("support", "9001.1", "9001.1", "13800009001", 1))
        web.clock.advance(25)
        web.feed(ev.AgentConnected("support", "9001.1", "9001.1", "13800009001", "9001.2",
                                   "PJSIP/1009", "Carol", 25.0, 2.0))
        pushed = await asyncio.wait_for(next_queue(lines.__anext__, "support", 11), 1.0)
        assert pushed["answered"] == 9
        assert pushed["service_level_pct"] == 60.0  # 6 ÷ (9 + 1): late for T
        assert pushed["three_ring_pct"] == round(100 * 8 / 9, 1)  # but within three rings
        # A caller who hangs up after 2 s: a short abandon, out of both rates.
        web.feed(ev.CallerJoined("support", "9002.1", "9002.1", "13800009002", 1))
        web.clock.advance(2)
        web.feed(ev.CallerAbandoned("support", "9002.1", "9002.1", 2.0))
        pushed = await asyncio.wait_for(next_queue(lines.__anext__, "support", 12), 1.0)
        assert (pushed["short_abandoned"], pushed["abandoned"]) == (2, 1)
        assert pushed["service_level_pct"] == 60.0
        assert pushed["abandon_rate_pct"] == 10.0  # 1 ÷ (12 − 2)
