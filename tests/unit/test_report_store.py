"""Interval figures through the store, on SQLite and PostgreSQL: the AMI stream
recorded beside the test bed's queue_log replayed through the tracker, the
aggregator and the store, then `callcenter report` (service) read back: the figures
agree with queue_log's own lines, and a replayed batch adds nothing."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from callcenter.domain import outcomes as oc
from callcenter.domain.gap_recovery import Stored, recover
from callcenter.domain.kpi import KpiRules
from callcenter.domain.kpi_intervals import IntervalAggregator
from callcenter.domain.kpi_periods import Period, periods
from callcenter.domain.queue_log import Completed, Connected, Entered, Left, RingEnded
from callcenter.reports import service
from callcenter.store import db
from callcenter.store.apply import Applier
from tests.unit.test_gap_recovery import AMI, ENTRIES, RULES, live

UTC = ZoneInfo("UTC")
WHOLE = Period(1795650000.0, 1795660800.0)


def _figures() -> list[oc.Outcome]:
    seen = live(math.inf)
    agg = IntervalAggregator(KpiRules(), ring_budget_s=15.0)
    figures = agg.feed(seen)
    exits = [o for o in recover(ENTRIES, Stored(), RULES, math.inf)
             if isinstance(o, oc.QueueExited)]
    figures += agg.feed(exits)
    figures += agg.close(AMI[-1]["at"] + 900)
    return [*seen, *figures]


def _write(url: str, outcomes: list[oc.Outcome], replay: bool = False) -> None:
    with db.engine_for(url).begin() as conn:
        Applier(7 * 86400.0).apply_batch(conn, outcomes, replay=replay)


def _iso(at: float) -> str:
    return str(at)


def test_interval_figures_agree_with_queue_log_and_replays_add_nothing(db_url: str) -> None:
    outcomes = _figures()
    _write(db_url, outcomes)
    _write(db_url, outcomes, replay=True)  # the writer re-sent the batch: nothing twice
    engine = db.engine_for(db_url)
    queues = {r["queue"]: r for r in service.queue_report(
        engine, [WHOLE], KpiRules(), queue=None, iso=_iso, with_interval=False)}
    entered = [e for e in ENTRIES if isinstance(e, Entered)]
    left = [e for e in ENTRIES if isinstance(e, Left)]
    connected = [e for e in ENTRIES if isinstance(e, Connected)]
    support = queues["support"]
    assert support["offered"] == sum(e.queue == "support" for e in entered) == 8
    assert support["answered"] == sum(e.queue == "support" for e in connected)
    assert support["timeouts"] == sum(e.reason.value == "timeout" for e in left) == 1
    assert support["abandoned"] == sum(e.reason.value == "abandon" and e.wait_s >= 5
                                       for e in left) == 2
    assert support["short_abandoned"] == 0
    waits = [e.hold_s for e in connected if e.queue == "support"]
    assert support["asa_s"] == round(sum(waits) / len(waits), 1)
    assert support["longest_wait_s"] == max(waits + [e.wait_s for e in left])
    assert queues["complaints"]["offered"] == 1
    agents = {r["agent"]: r for r in service.agent_report(
        engine, [WHOLE], agent=None, iso=_iso, with_interval=False)}
    talk = {name: sum(e.talk_s for e in ENTRIES if isinstance(e, Completed) and e.agent == name)
            for name in ("alice", "bob")}
    assert {n: agents[n]["talk_s"] for n in talk} == talk
    rna = sum(isinstance(e, RingEnded) and not e.cancelled for e in ENTRIES)
    assert agents["alice"]["missed_rings"] == rna == 2
    assert agents["alice"]["violations"] == 3 and agents["alice"]["points"] == -15
    assert agents["alice"]["logged_in_s"] > 0 and agents["alice"]["complaints"] == 0
    # Per 15 minutes, with the interval's start: the same totals.
    rows = service.queue_report(engine, periods(WHOLE.start, WHOLE.end, "15m", UTC),
                                KpiRules(), queue="support", iso=_iso, with_interval=True)
    assert sum(r["offered"] for r in rows) == 8 and all("interval_start" in r for r in rows)
