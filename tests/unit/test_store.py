"""The store on SQLite and PostgreSQL: outcomes of the recorded streams written,
replayed twice, and read back through the CLI's queries."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.domain import outcomes as oc
from callcenter.inbound import service as queries
from callcenter.store import db
from callcenter.store import models as m
from callcenter.store.writer import StoreWriter
from callcenter.tickets import service as ticket_service
from tests.replay import T0, load, run

TZ = ZoneInfo("Asia/Shanghai")
ALL = ["answered_in_time", "answered_late", "ring_timeout", "ringall_answered_elsewhere",
       "caller_abandons_while_ringing", "transfer_to_second_agent"]


def _write(url: str, outcomes: list[oc.Outcome]) -> None:
    writer = StoreWriter(url, 7 * 86400.0, batch_max=7, flush_interval_s=0.01)
    writer.start()
    writer.submit(outcomes)
    assert writer.flush(20)
    writer.close()
    assert writer.failed == 0


def _count(url: str, model: type) -> int:
    with Session(db.engine_for(url)) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_everything_written_once_even_when_replayed_twice(db_url: str) -> None:
    outcomes = [o for name in ALL for o in run(load("inbound", name))[1]]
    _write(db_url, outcomes)
    _write(db_url, outcomes)  # a reconnect replaying the same facts
    assert _count(db_url, m.Ticket) == 4
    assert _count(db_url, m.Violation) == 4
    assert _count(db_url, m.PointsEntry) == 4
    assert _count(db_url, m.TicketParticipant) == 5  # 4 owners + bob after the transfer
    engine = db.engine_for(db_url)
    now = T0 + 60
    tickets = {t["caller_number"]: t for t in ticket_service.table(engine, TZ)}
    late = tickets["13900139000"]  # +86 prefix normalised
    assert late["late_answer"] is True and late["agent"] == "alice" and late["ring_s"] == 16
    assert late["talk_s"] == pytest.approx(6, abs=1) and late["hangup_by"] == "caller"
    transfer = tickets["13400134000"]
    assert transfer["agent"] == "alice" and transfer["participants"] == ["alice", "bob"]
    assert transfer["talk_s"] == pytest.approx(13, abs=1)
    assert tickets["13600136000"]["agent"] == "bob"  # 0086 prefix normalised
    kinds = sorted((v["agent"], v["kind"]) for v in queries.violations(engine, TZ))
    assert kinds == [("alice", "late_answer"), ("alice", "no_answer"),
                     ("alice", "no_answer"), ("bob", "late_answer")]
    points = {a["agent"]: a["points"] for a in queries.agents(engine, now, TZ)}
    assert points == {"alice": -15, "bob": -5}
    support = next(q for q in queries.queues(engine, now, TZ) if q["queue"] == "support")
    assert (support["answered"], support["abandoned"]) == (4, 2)
    assert support["three_ring_pct"] == 50.0


def test_repeat_caller_count_and_customer_lookup(db_url: str) -> None:
    _t, first = run(load("inbound", "answered_in_time"))
    _write(db_url, first)
    # The same number calls again two days later with new ids.
    later = []
    for o in first:
        if isinstance(o, oc.CallJoined | oc.TicketOpened | oc.CallAnswered):
            later.append(type(o)(**{**{k: getattr(o, k) for k in o.__slots__},
                                    "linkedid": "again", "at": o.at + 2 * 86400}))
    _write(db_url, later)
    engine = db.engine_for(db_url)
    rows = ticket_service.table(engine, TZ)
    assert [r["calls_last_7d"] for r in rows] == [2, 1]
    assert rows[0]["customer_id"] == rows[1]["customer_id"]
    assert _count(db_url, m.Customer) == 1


def test_database_refuses_a_second_ticket_for_a_call(db_url: str) -> None:
    _write(db_url, run(load("inbound", "answered_in_time"))[1])
    engine = db.engine_for(db_url)
    with Session(engine) as s:
        existing = s.scalars(select(m.Ticket)).one()
        row = {c.name: getattr(existing, c.key) for c in m.Ticket.__table__.columns if c.name != "id"}
        with pytest.raises(IntegrityError):
            s.execute(insert(m.Ticket).values(**{**row, "owner_interface": "x"}))
            s.commit()


def test_out_of_date_schema_is_refused(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    with pytest.raises(db.SchemaOutOfDate, match="callcenter db upgrade"):
        db.require_current(db.engine_for(url), url)
