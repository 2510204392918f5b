"""The reports' exports and the daily close on SQLite and PostgreSQL, over a seeded
month: CSV and .xlsx hold the page's (and the CLI's) columns and figures, text inert;
the close is due at its time, says the day's figures with a link to its page, and is
sent once, also after a restart (an injected clock)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from callcenter.callbacks.report import inert
from callcenter.cli.main import main
from callcenter.domain import report_close
from callcenter.domain.clock import ManualClock
from callcenter.domain.kpi import AGENT_COLUMNS, QUEUE_COLUMNS, KpiRules
from callcenter.domain.kpi_glossary import glossary
from callcenter.domain.notice import Notice
from callcenter.reports import export, tables
from callcenter.reports.jobs import send_closes
from callcenter.reports.settings import ReportSettings
from callcenter.store import db
from callcenter.store import stat_models as sm
from callcenter.webhooks.payloads import notice_bodies
from tests.report_seed import AGENTS, QUEUES, TZ, seed_month

RULES = KpiRules()
TERMS = glossary(RULES, 15.0)
FORMULA_NAME = AGENTS[-1][1]


def _month(db_url: str) -> Any:
    engine = db.engine_for(db_url)
    seed_month(engine)
    return engine


def test_csv_and_xlsx_hold_the_tables_columns_and_figures(db_url: str) -> None:
    engine = _month(db_url)
    req = tables.ReportRequest.parse("2026-10-01", "2026-10-31", None, TZ)
    for name, rows in (("queues", tables.queue_table(engine, req, RULES, TZ)),
                       ("agents", tables.agent_table(engine, req, TZ))):
        columns = tables.columns(name, with_interval=False)
        assert columns == (QUEUE_COLUMNS if name == "queues" else AGENT_COLUMNS)
        assert len(rows) == len(QUEUES if name == "queues" else AGENTS)
        book = load_workbook(io.BytesIO(export.to_xlsx(name, columns, rows, TERMS)))
        sheet = list(book[name].iter_rows(values_only=True))
        assert sheet[0] == columns
        assert [list(r) for r in sheet[1:]] == [[inert(row[c]) for c in columns] for row in rows]
        words = list(book["glossary"].iter_rows(values_only=True))
        assert {w[0] for w in words[1:]} == {c for c in columns if c not in ("queue", "agent",
                                                                          "interface")}
        text = export.to_csv(columns, rows).decode("utf-8")
        assert text.startswith("\ufeff")  # Excel reads it as UTF-8
        lines = list(csv.reader(io.StringIO(text[1:])))
        assert tuple(lines[0]) == columns
        assert lines[1:] == [["" if row[c] is None else str(inert(row[c])) for c in columns]
                             for row in rows]
    # A formula-like agent name stays text: a quote first, in both formats.
    agents = tables.agent_table(engine, req, TZ)
    assert "'" + FORMULA_NAME in export.to_csv(AGENT_COLUMNS, agents).decode("utf-8")
    cell = load_workbook(io.BytesIO(export.to_xlsx("agents", AGENT_COLUMNS, agents, TERMS)))[
        "agents"]["A7"]
    assert cell.value == "'" + FORMULA_NAME and cell.data_type == "s"


def test_the_cli_writes_the_same_files(db_url: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    _month(db_url)
    cfg = tmp_path / "callcenter.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n[center]\ntimezone = "Asia/Shanghai"\n')
    base = ["--config", str(cfg), "report", "queues", "--from", "2026-10-01", "--to",
            "2026-10-07", "--interval", "1d"]
    assert main([*base, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 7 * len(QUEUES)
    out = tmp_path / "queues.xlsx"
    assert main([*base, "--format", "xlsx", "--output", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == len(rows)
    sheet = list(load_workbook(out)["queues"].iter_rows(values_only=True))
    assert sheet[0] == ("interval_start", *QUEUE_COLUMNS)
    assert [dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]] == rows
    assert main([*base, "--format", "csv", "--output", str(tmp_path / "q.csv")]) == 0
    lines = list(csv.reader(io.StringIO((tmp_path / "q.csv").read_text("utf-8-sig"))))
    assert lines[0] == list(sheet[0]) and len(lines) == len(rows) + 1
    assert main([*base, "--format", "csv"]) == 1  # --output missing


def _local(*args: int) -> float:
    return datetime(*args, tzinfo=TZ).timestamp()  # type: ignore[misc]


def test_closes_are_due_from_their_time_and_the_month_on_the_first() -> None:
    at = time(8, 30)
    assert report_close.due(_local(2026, 11, 2, 8, 29, 59), TZ, at, monthly=True) == []
    (daily,) = report_close.due(_local(2026, 11, 2, 8, 30), TZ, at, monthly=True)
    assert (daily.kind, daily.first.isoformat(), daily.key) == ("daily", "2026-11-01",
                                                                 "daily:2026-11-01")
    keys = [c.key for c in report_close.due(_local(2026, 11, 1, 23, 0), TZ, at, monthly=True)]
    assert keys == ["daily:2026-10-31", "monthly:2026-10-01"]
    assert [c.key for c in report_close.due(_local(2026, 11, 1, 9, 0), TZ, at,
                                            monthly=False)] == ["daily:2026-10-31"]


async def test_the_daily_close_says_the_days_figures_and_is_sent_once(db_url: str) -> None:
    engine = _month(db_url)
    settings = ReportSettings(page_base_url="https://cc.example.com/")
    clock = ManualClock(_local(2026, 11, 1, 8, 29))
    sent: list[Notice] = []
    assert await send_closes(engine, clock, TZ, settings, sent.append) == []
    clock.advance(60)  # 08:30 on the 1st: yesterday's close and October's report
    assert await send_closes(engine, clock, TZ, settings, sent.append) == [
        "daily:2026-10-31", "monthly:2026-10-01"]
    clock.advance(3600)
    assert await send_closes(engine, clock, TZ, settings, sent.append) == []
    # A restart: a new run over the same database sends nothing again.
    assert await send_closes(db.engine_for(db_url), ManualClock(clock.now() + 60), TZ,
                             settings, sent.append) == []
    daily, monthly = sent
    with engine.connect() as conn:
        t = sm.StatQueueInterval
        offered = conn.execute(select(func.sum(t.offered)).where(
            t.start >= _local(2026, 10, 31), t.start < _local(2026, 11, 1))).scalar_one()
        month = conn.execute(select(func.sum(t.offered)).where(
            t.start >= _local(2026, 10, 1), t.start < _local(2026, 11, 1))).scalar_one()
    assert daily.title == "日结 2026-10-31"
    assert daily.lines[0].startswith(f"呼入 offered {offered} ·")
    assert daily.figures["totals"]["offered"] == offered
    assert daily.link == "https://cc.example.com/reports?from=2026-10-31&to=2026-10-31&interval=1h"
    assert monthly.title.startswith("月报 2026-10") and monthly.figures["totals"]["offered"] == month
    assert monthly.link.endswith("from=2026-10-01&to=2026-10-31&interval=1d")
    assert any(line.startswith("坐席 agents 6 ·") for line in daily.lines)
    wecom, dingtalk, plain = notice_bodies(daily)
    assert daily.link in wecom["markdown"]["content"] and "日结" in dingtalk["markdown"]["title"]
    assert plain["key"] == "daily:2026-10-31" and plain["figures"]["totals"]["offered"] == offered
    clock.set(_local(2026, 11, 2, 8, 31))  # the next morning: only its daily close
    assert await send_closes(engine, clock, TZ, settings, sent.append) == ["daily:2026-11-01"]
