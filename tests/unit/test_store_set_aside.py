"""A write that fails is never only a log line: the outcome is retried alone, then
kept aside with its error, reported back (the daemon raises a critical alert), and
a supervisor resolves it, which clears the alert.  The failure is real: the table
the outcome needs is gone."""

from __future__ import annotations

import json
import threading

from sqlalchemy import text

from callcenter.alerts import service as alerts
from callcenter.domain import outcomes as oc
from callcenter.store import db
from callcenter.store.writer import SetAsideNote, StoreWriter
from tests.replay import load, run


def test_a_failing_outcome_is_set_aside_reported_and_alerted(db_url: str) -> None:
    engine = db.engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE ring_legs"))  # every RingLegEnded write now fails
    outcomes = run(load("inbound", "answered_late"))[1]
    legs = [o for o in outcomes if isinstance(o, oc.RingLegEnded)]
    assert legs
    reported: list[SetAsideNote] = []
    told = threading.Event()

    def on_set_aside(notes: list[SetAsideNote]) -> None:
        reported.extend(notes)
        told.set()

    writer = StoreWriter(db_url, 7 * 86400.0, batch_max=500, flush_interval_s=0.01,
                         on_set_aside=on_set_aside)
    writer.start()
    writer.submit(outcomes)
    assert writer.flush(30)
    writer.close()
    assert told.wait(5)
    assert writer.failed == len(legs)
    assert [(n.kind, n.linkedid) for n in reported] == [("RingLegEnded", legs[0].linkedid)]
    assert reported[0].set_aside_id is not None and "ring_legs" in reported[0].error
    rows = alerts.set_aside_rows(engine, open_only=True)
    assert [(r["kind"], r["linkedid"]) for r in rows] == [("RingLegEnded", legs[0].linkedid)]
    assert json.loads(rows[0]["payload"])["leg_uniqueid"] == legs[0].leg_uniqueid
    with engine.connect() as conn:  # the rest of the batch was written all the same
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar_one() == 1

    raised = alerts.raise_set_aside(engine, reported, at=100.0)
    assert [(t.kind, t.level, t.ref) for t in raised] == [
        ("store_set_aside", "critical", f"set_aside:{reported[0].set_aside_id}")]
    assert alerts.raise_set_aside(engine, reported, at=101.0) == []  # once per outcome
    cleared = alerts.resolve_set_aside(engine, rows[0]["id"], at=200.0)
    assert cleared is not None and cleared.alert_id == raised[0].alert_id
    assert alerts.set_aside_rows(engine, open_only=True) == []
    engine.dispose()
