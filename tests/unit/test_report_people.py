"""The reports' complaint table, complaints per agent (flagged), the ledger and the
quarter's bonus, on SQLite and PostgreSQL over a seeded month: the rows the page
shows, its exports (CSV and .xlsx with the same columns and a glossary for each), the
CLI's `--format`, and `/api/reports` with the flagged agents; every column defined in
中文 and English, a column that means something else in one table defined apart."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from callcenter.callbacks.report import inert
from callcenter.cli.main import main
from callcenter.complaints import service as complaints
from callcenter.domain.kpi import KpiRules
from callcenter.domain.kpi_glossary import for_table
from callcenter.ledger import service as ledger
from callcenter.reports import export, people, tables
from callcenter.store import db
from tests.report_seed import AGENTS, COMPLAINTS, FLAGGED, TZ, seed_month, seed_people
from tests.unit.test_web_api import Web, web

__all__ = ["web"]  # the fixture, used by name

RULES = people.PeopleRules()
OCTOBER = tables.ReportRequest.parse("2026-10-01", "2026-10-31", None, TZ)
NAMES = ("agent", "interface")  # named, not defined


def cell(value: Any) -> Any:
    """A value as the .xlsx holds it: text inert, an empty text an empty cell."""
    return None if value == "" else inert(value)


def _seeded(db_url: str) -> Any:
    engine = db.engine_for(db_url)
    seed_month(engine)
    seed_people(engine)
    return engine


def _rows(engine: Any, table: str, **kw: Any) -> list[dict[str, Any]]:
    return people.rows(table, engine, OCTOBER.start, OCTOBER.end, TZ, rules=RULES, **kw)


def test_complaints_ledger_and_bonus_for_the_range(db_url: str) -> None:
    engine = _seeded(db_url)
    by_kind = _rows(engine, "complaints")
    assert sum(r["complaints"] for r in by_kind) == len(COMPLAINTS)
    assert sum(r["confirmed"] for r in by_kind) == 4 and sum(r["unfounded"] for r in by_kind) == 1
    assert sum(r["pending"] for r in by_kind) == 2 and sum(r["closed"] for r in by_kind) == 3
    assert {(r["month"], r["category"], r["department"]) for r in by_kind} == {
        ("2026-10", "服务态度", "客服部"), ("2026-10", "业务差错", "营业部"), ("2026-10", "其他", "")}
    by_agent = _rows(engine, "complaint_agents")
    assert [(r["interface"], r["confirmed"], r["flagged"]) for r in by_agent] == [
        ("PJSIP/1002", 3, True), ("PJSIP/1003", 1, False), ("PJSIP/1004", 0, False)]
    assert by_agent[0]["agent"] == "李雷"
    # The flag is the calendar month's: a range of two days in October still shows it.
    assert people.flagged(engine, OCTOBER.start, OCTOBER.start + 2 * 86400, TZ, 3) == {
        FLAGGED: ["2026-10"]}
    assert people.flagged(engine, OCTOBER.start, OCTOBER.end, TZ, 4) == {}

    entries = _rows(engine, "ledger")
    assert [r["at"] for r in entries] == sorted(r["at"] for r in entries)
    reversal = next(r for r in entries if r["reason"] == "reversal")
    manual = next(r for r in entries if r["id"] == reversal["reverses_id"])
    assert (manual["points"], manual["reversed_by_id"], manual["entered_by"]) == (
        -20, reversal["id"], "boss")
    assert sum(r["points"] for r in entries if r["reason"] == "complaint") == -40
    only = _rows(engine, "ledger", agent="PJSIP/1001")
    assert {r["interface"] for r in only} == {"PJSIP/1001"}

    bonus = _rows(engine, "bonus")
    assert {r["quarter"] for r in bonus} == {"2026Q4"}
    assert [r["points"] for r in bonus] == sorted((r["points"] for r in bonus), reverse=True)
    praised = next(r for r in bonus if r["interface"] == "PJSIP/1001")
    assert praised["rank"] == 1 and praised["top_three"] is (praised["points"] > 0)
    assert praised["bonus_yuan"] == max(praised["points"], 0) * 10.0
    assert people.quarters(OCTOBER.start, OCTOBER.end + 70 * 86400, TZ) == ["2026Q4", "2027Q1"]

    page = people.page(engine, OCTOBER.start, OCTOBER.end, TZ, RULES, agent=None)
    assert page["complaints"]["by_category"] == by_kind
    assert page["ledger"]["entries_total"] == len(entries)
    assert page["ledger"]["points"] == sum(r["points"] for r in entries)
    assert page["flagged"] == {FLAGGED: ["2026-10"]}


def test_each_table_exports_its_columns_and_glossary(db_url: str) -> None:
    engine = _seeded(db_url)
    terms = tables.terms(KpiRules(), 15.0, RULES)
    for table, columns in people.COLUMNS.items():
        rows = _rows(engine, table)
        assert rows and all(tuple(r) == columns for r in rows)  # the fixed keys, in order
        own = for_table(terms, table)
        defined = {t.column for t in own}
        assert set(columns) - set(NAMES) <= defined, table
        assert all(t.zh and t.zh_definition and t.en and t.en_definition for t in own)
        book = load_workbook(io.BytesIO(export.to_xlsx(table, columns, rows, own)))
        sheet = list(book[table].iter_rows(values_only=True))
        assert sheet[0] == columns
        assert [list(r) for r in sheet[1:]] == [[cell(row[c]) for c in columns] for row in rows]
        glossary = {w[0]: w for w in book["glossary"].iter_rows(values_only=True)}
        text = export.to_csv(columns, rows).decode("utf-8")
        assert tuple(next(csv.reader(io.StringIO(text[1:])))) == columns
    # "complaints" is every complaint in the 投诉分类统计表, the confirmed ones elsewhere.
    in_table = {t.column: t for t in for_table(terms, "complaints")}["complaints"]
    in_agents = {t.column: t for t in for_table(terms, "agents")}["complaints"]
    assert "不论结论" in in_table.zh_definition and "确认" in in_agents.zh_definition
    assert "10 yuan per point" in glossary["bonus_yuan"][4]


def test_the_cli_writes_complaints_ledger_and_bonus(db_url: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _seeded(db_url)
    cfg = tmp_path / "callcenter.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n[center]\ntimezone = "Asia/Shanghai"\n')
    month = ["--from", "2026-10-01", "--to", "2026-10-31"]
    for args, table in ((["complaints", *month], "complaints"),
                        (["complaints", *month, "--by", "agent"], "complaint_agents"),
                        (["ledger", *month], "ledger"),
                        (["bonus", "--quarter", "2026Q4"], "bonus")):
        base = ["--config", str(cfg), "report", *args]
        assert main([*base, "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        out = tmp_path / f"{table}.xlsx"
        assert main([*base, "--format", "xlsx", "--output", str(out)]) == 0
        assert json.loads(capsys.readouterr().out)["rows"] == len(rows) > 0
        sheet = list(load_workbook(out)[table].iter_rows(values_only=True))
        assert sheet[0] == people.COLUMNS[table]
        assert [dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]] == [
            {k: cell(v) for k, v in r.items()} for r in rows]
        assert main([*base, "--format", "csv", "--output", str(tmp_path / f"{table}.csv")]) == 0
        capsys.readouterr()
        lines = list(csv.reader(io.StringIO((tmp_path / f"{table}.csv").read_text("utf-8-sig"))))
        assert tuple(lines[0]) == people.COLUMNS[table] and len(lines) == len(rows) + 1
    assert main(["--config", str(cfg), "report", "ledger", *month, "--format", "csv"]) == 1


async def test_the_api_serves_them_with_the_flagged_agents(web: Web) -> None:
    seed_month(web.engine)
    seed_people(web.engine)
    lead = await web.signed_in("lead")
    r = await lead.get("/api/reports?from=2026-10-01&to=2026-10-31&interval=")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["flagged"] == {FLAGGED: ["2026-10"]}
    assert body["columns"]["complaints"] == list(complaints.TABLE_COLUMNS)
    assert body["columns"]["ledger"] == list(ledger.ENTRY_COLUMNS)
    assert sum(row["complaints"] for row in body["complaints"]["by_category"]) == len(COMPLAINTS)
    assert body["ledger"]["quarters"] == ["2026Q4"] and body["ledger"]["bonus"]
    assert [a["interface"] for a in body["agents"]] == [i for i, _ in AGENTS]  # columns unchanged
    assert "flagged" not in body["agents"][0]
    terms = {(t["table"], t["column"]) for t in body["glossary"]}
    assert {("complaints", "complaints"), ("", "complaints"), ("bonus", "bonus_yuan")} <= terms
    for table in people.COLUMNS:
        r = await lead.get(f"/api/reports/{table}.xlsx?from=2026-10-01&to=2026-10-31")
        assert r.status_code == 200, r.text
        sheet = list(load_workbook(io.BytesIO(r.content))[table].iter_rows(values_only=True))
        assert sheet[0] == people.COLUMNS[table]
    alice = await web.signed_in("alice")
    assert (await alice.get("/api/reports/ledger.csv?from=2026-10-01&to=2026-10-31")
            ).status_code == 403
