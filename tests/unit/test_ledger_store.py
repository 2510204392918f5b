"""The points ledger on SQLite and PostgreSQL: a supervisor's manual entry audited
(who, when, why), reversal once (never an edit), the zero-complaint month award once
per month, the quarter's bonus with its top three; and the same through the CLI
(`callcenter points`, `callcenter report ledger|bonus|complaints`)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from callcenter.cli.main import main
from callcenter.domain import ledger as lg
from callcenter.errors import LedgerError
from callcenter.ledger import service as ledger
from callcenter.store import db
from callcenter.store import models as m
from callcenter.store import stat_models as sm
from tests.unit.test_complaint_store import BOB, complaint, ledger_rows
from tests.unit.test_ticket_service import ALICE, NOW, TZ, edit

CAROL, DAVE = "PJSIP/1003", "PJSIP/1004"
RULES = lg.LedgerRules()


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, TZ).isoformat(timespec="seconds")


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = db.engine_for(db_url)
    with engine.begin() as conn:
        for interface, name in ((ALICE.interface, ALICE.name), (BOB, "Bob"), (CAROL, "Carol"),
                                (DAVE, "Dave")):
            conn.execute(insert(m.Agent).values(interface=interface, name=name, state="idle",
                                                 since=NOW))
    return engine


def printed(capsys: pytest.CaptureFixture[str]) -> Any:
    """The command's JSON (log lines, one JSON object each, go to the same stream)."""
    out = capsys.readouterr().out
    return json.loads("\n".join(line for line in out.splitlines() if not line.startswith('{"')))


def worked(engine: Engine, interface: str, at: float) -> None:
    with engine.begin() as conn:
        conn.execute(insert(sm.StatAgentInterval).values(
            start=at - at % 900, interface=interface, name="", answered=0, missed_rings=0,
            violations=0, talk_s=0.0, wrapup_s=0.0, paused_s=0.0, logged_in_s=900.0,
            available_s=900.0))


def test_manual_entry_is_audited_and_only_reversed(engine: Engine) -> None:
    entry = ledger.add_manual(engine, BOB, -10, " 用语不规范\n(wrong wording) ", by="lead",
                              now=NOW, max_points=1000)
    [row] = ledger.entries(engine, NOW, NOW + 1, agent=None, iso=iso)
    assert row == {"id": entry, "at": iso(NOW), "agent": "Bob", "interface": BOB, "points": -10,
                   "reason": "manual", "ticket_id": None, "period": None, "entered_by": "lead",
                   "note": "用语不规范 (wrong wording)", "reverses_id": None,
                   "reversed_by_id": None}
    for bad in (dict(agent="PJSIP/9999", points=5, why="x", by="lead"),  # nobody
                dict(agent=BOB, points=0, why="x", by="lead"),
                dict(agent=BOB, points=5000, why="x", by="lead"),
                dict(agent=BOB, points=5, why=" \x07 ", by="lead"),  # no reason left
                dict(agent=BOB, points=5, why="x", by=""),
                dict(agent="PJSIP/1002,1", points=5, why="x", by="lead")):
        with pytest.raises(LedgerError):
            ledger.add_manual(engine, bad.pop("agent"), bad.pop("points"), bad.pop("why"),
                              by=bad.pop("by"), now=NOW, max_points=1000)

    reversal = ledger.reverse(engine, entry, "录音复核: 用语无误", "director", NOW + 60)
    rows = ledger.entries(engine, NOW, NOW + 120, agent=BOB, iso=iso)
    assert [(r["id"], r["points"], r["reason"], r["reverses_id"], r["reversed_by_id"],
             r["entered_by"]) for r in rows] == [
        (entry, -10, "manual", None, reversal, "lead"),  # the original, unchanged
        (reversal, 10, "reversal", entry, None, "director")]
    with pytest.raises(LedgerError, match="reversed already"):
        ledger.reverse(engine, entry, "again", "lead", NOW + 120)
    with pytest.raises(LedgerError, match="itself a reversal"):
        ledger.reverse(engine, reversal, "undo the undo", "lead", NOW + 120)
    with pytest.raises(LedgerError, match="no ledger entry"):
        ledger.reverse(engine, reversal + 100, "x", "lead", NOW + 120)
    assert ledger.totals(engine, NOW, NOW + 3600) == {BOB: 0}


def test_zero_complaint_month_award_once_per_month(engine: Engine) -> None:
    for agent in (ALICE.interface, BOB, CAROL):
        worked(engine, agent, NOW)
    complaint(engine, "L1", "13800001111", NOW)  # about Bob, pending: no award for him
    unfounded = complaint(engine, "L2", "13800001112", NOW)
    edit(engine, unfounded, {"about_agent": CAROL}, NOW)
    edit(engine, unfounded, {"verdict": "unfounded", "verdict_reason": "无理"}, NOW + 60)
    december = datetime(2026, 12, 1, 0, 5, tzinfo=TZ).timestamp()
    month = lg.previous_month(december, TZ)
    assert month == "2026-11"
    # Alice owned the tickets, Carol's only complaint was unfounded; Dave never worked.
    assert ledger.award_zero_complaint_month(engine, month, TZ, RULES, december) == [
        ALICE.interface, CAROL]
    for later in (60, 3600, 86400):
        assert ledger.award_zero_complaint_month(engine, month, TZ, RULES, december + later) == []
    awards = [r for r in ledger_rows(engine) if r[2] == lg.ZERO_COMPLAINT_MONTH]
    assert awards == [(ALICE.interface, 1, lg.ZERO_COMPLAINT_MONTH, None, None),
                      (CAROL, 1, lg.ZERO_COMPLAINT_MONTH, None, None)]
    assert ledger.award_zero_complaint_month(engine, "2026-10", TZ, RULES, december) == []


def test_quarter_bonus_and_top_three(engine: Engine) -> None:
    q4 = datetime(2026, 10, 1, tzinfo=TZ).timestamp()
    for agent, points, at in ((ALICE.interface, 30, q4 + 10), (BOB, 50, q4 + 20),
                              (CAROL, 30, q4 + 30), (DAVE, -5, q4 + 40),
                              (DAVE, 99, q4 - 1)):  # Q3: not in this quarter
        ledger.add_manual(engine, agent, points, "季度考核", by="lead", now=at, max_points=1000)
    rows = ledger.bonus(engine, "2026Q4", TZ, RULES)
    assert [(r["rank"], r["interface"], r["points"], r["bonus_yuan"], r["top_three"])
            for r in rows] == [(1, BOB, 50, 500.0, True), (2, ALICE.interface, 30, 300.0, True),
                               (2, CAROL, 30, 300.0, True), (4, DAVE, -5, 0.0, False)]
    assert rows[0] == {"quarter": "2026Q4", "rank": 1, "agent": "Bob", "interface": BOB,
                       "points": 50, "bonus_yuan": 500.0, "top_three": True}
    with pytest.raises(LedgerError):
        ledger.bonus(engine, "2026Q5", TZ, RULES)


def test_cli_points_and_reports(engine: Engine, db_url: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n[center]\ntimezone = "Asia/Shanghai"\n')
    base = ["--config", str(cfg)]
    capsys.readouterr()
    assert main([*base, "points", "add", "--agent", BOB, "--points", "-10", "--reason",
                 "挂客户电话", "--by", "张主管", "--json"]) == 0
    added = printed(capsys)
    assert main([*base, "points", "add", "--agent", CAROL, "--praise", "letter", "--reason",
                 "表扬信 2026-11-20", "--by", "张主管", "--json"]) == 0
    assert printed(capsys)["points"] == 50
    assert main([*base, "points", "reverse", str(added["entry"]), "--reason", "误录",
                 "--by", "张主管", "--json"]) == 0
    assert main([*base, "points", "reverse", str(added["entry"]), "--reason", "again",
                 "--by", "张主管"]) == 1
    assert "ledger.invalid" in capsys.readouterr().err
    assert main([*base, "points", "add", "--agent", BOB, "--points", "5", "--reason", "x",
                 "--by", "张主管"]) == 0
    capsys.readouterr()
    with engine.begin() as conn:  # the CLI wrote "now": the last entry moves to January
        table = m.PointsEntry.__table__
        conn.execute(table.update().where(m.PointsEntry.points != 5).values(at=NOW))
        conn.execute(table.update().where(m.PointsEntry.points == 5).values(at=NOW + 60 * 86400))
    assert main([*base, "report", "ledger", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--json"]) == 0
    rows = printed(capsys)
    assert [(r["interface"], r["points"], r["reason"]) for r in rows] == [
        (BOB, -10, "manual"), (CAROL, 50, "praise_letter"), (BOB, 10, "reversal")]
    assert rows[0]["entered_by"].startswith("张主管 (cli:") and rows[0]["note"] == "挂客户电话"
    assert main([*base, "report", "bonus", "--quarter", "2026Q4", "--json"]) == 0
    bonus = printed(capsys)
    assert (bonus[0]["interface"], bonus[0]["bonus_yuan"], bonus[0]["top_three"]) == (CAROL, 500.0,
                                                                                     True)
    complaint(engine, "L1", "13800001111", NOW)
    assert main([*base, "report", "complaints", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--json"]) == 0
    assert printed(capsys) == [
        {"month": "2026-11", "category": "服务态度", "department": "客服部", "complaints": 1,
         "confirmed": 0, "unfounded": 0, "pending": 1, "closed": 0}]
    assert main([*base, "report", "complaints", "--from", "2026-11-30", "--to",
                 "2026-11-01"]) == 1
    with engine.connect() as conn:
        assert conn.execute(select(m.PointsEntry.id)).all()  # nothing was deleted
