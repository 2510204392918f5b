"""The reports page in a real browser (Debian's chromium, Playwright) against the daemon
following the real Asterisk, over a seeded month (tests/report_seed.py): the chart
(with its axes) and both tables render with the CLI's columns, each column's
definition is on its header, the `.xlsx` export opens with openpyxl and holds the same
figures as the page; the complaint table (投诉分类统计表), complaints per agent, the
ledger and the quarter's bonus render for the month, the flagged agent is marked on
the agents table, and each of their `.xlsx` exports holds the page's figures; on the
tickets page a supervisor records a complaint's department, promised reply and
verdict (refused without a reason); an agent gets 403; screenshots at 1440x900 in
Chinese and English."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.async_api import Page

from callcenter.callbacks.report import inert
from callcenter.core import labels
from callcenter.domain.kpi import AGENT_COLUMNS, QUEUE_COLUMNS
from callcenter.reports import people
from callcenter.store import db
from callcenter.testbed.asterisk import TestBed
from callcenter.web.settings import QUEUE_NAMES  # the daemon here runs on the defaults
from tests.integration.browser import ARTIFACTS, chromium, signed_in_page
from tests.integration.conftest import DaemonProcess
from tests.report_seed import AGENTS, COMPLAINTS, FLAGGED, QUEUES, TZ, seed_month, seed_people

pytestmark = pytest.mark.asterisk

MONTH = "from=2026-10-01&to=2026-10-31"


async def _table(page: Page, table: str) -> tuple[list[str], list[list[str]]]:
    columns = await page.locator(f"#{table} thead th").evaluate_all(
        "ths => ths.map(th => th.dataset.column)")
    rows = await page.locator(f"#{table} tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.cells].map(td => td.textContent))")
    return columns, rows


def _same(shown: str, stored: Any) -> bool:
    if stored is None:
        return shown == "–"
    if isinstance(stored, str) and shown in (labels.lookup("ledger_reason", stored, "zh-CN"),
                                             QUEUE_NAMES.get(stored)):
        return True  # a code (the export keeps it) shown by its word, a queue by its name
    if isinstance(stored, bool):
        return shown == ("是" if stored else "否")
    if isinstance(stored, int | float):
        return float(shown) == pytest.approx(float(stored), abs=1e-9)
    # Text is exported inert (a formula-like name gets a leading quote).
    return inert(shown) == stored or str(stored).replace("T", " ").startswith(shown)


async def _xlsx(page: Page, table: str, folder: Path) -> list[tuple[Any, ...]]:
    """The table's .xlsx as the page's export button downloads it: its rows."""
    async with page.expect_download() as info:
        await page.click(f"#{table}-xlsx")
    download = await info.value
    saved = folder / f"{table}.xlsx"
    await download.save_as(saved)
    book = load_workbook(saved)
    assert book["glossary"].max_row > 1
    return list(book[table].iter_rows(values_only=True))


async def _open(page: Page, query: str) -> None:
    await page.goto(f"/reports?{query}")  # a fresh document: marked once it has rendered
    await page.wait_for_selector("body[data-loaded]", state="attached", timeout=15_000)


async def test_reports_page_chart_tables_and_xlsx_match(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    daemon.cli("db", "upgrade")
    engine = db.engine_for(f"sqlite:///{tmp_path}/callcenter.db")
    seed_month(engine)
    seed_people(engine)
    engine.dispose()
    passwords = {"boss": daemon.add_user("boss", "supervisor", name="张主管"),
                 "alice": daemon.add_user("alice", "agent", interface="PJSIP/1001", name="王芳")}
    daemon.start()
    try:
        async with chromium() as browser:
            boss = await signed_in_page(browser, daemon.url, "boss", passwords["boss"],
                                        width=1440, height=900)
            await _open(boss, f"{MONTH}&interval=1d")
            # The chart: a bar per day and queue mix, the service-level line, both axes.
            assert await boss.locator("#chart rect").count() >= 31
            assert await boss.locator("#chart polyline.sl").count() == 1
            ticks = await boss.locator("#chart text").all_text_contents()
            assert "0" in ticks and "100%" in ticks and "来电数（通）" in ticks
            columns, rows = await _table(boss, "queues-table")
            assert columns == ["interval_start", *QUEUE_COLUMNS]
            assert len(rows) == 31 * len(QUEUES)
            columns, rows = await _table(boss, "agents-table")
            assert columns == ["interval_start", *AGENT_COLUMNS]
            title = await boss.locator("#queues-table th[data-column=service_level_pct]") \
                .get_attribute("title")
            assert title is not None and "20 秒内接通数" in title  # its definition, on hover
            assert await boss.locator("#glossary dt").count() >= len(QUEUE_COLUMNS)
            await boss.screenshot(path=str(ARTIFACTS / "reports.png"))  # 1440x900, as seen
            await boss.locator("#glossary").scroll_into_view_if_needed()
            await boss.screenshot(path=str(ARTIFACTS / "reports-glossary.png"))

            # The month's totals: the page's figures and the .xlsx export's are the same.
            await _open(boss, f"{MONTH}&interval=")  # no interval: the month's totals
            for table, names in (("queues", QUEUE_COLUMNS), ("agents", AGENT_COLUMNS)):
                columns, rows = await _table(boss, f"{table}-table")
                assert columns == list(names)
                async with boss.expect_download() as info:
                    await boss.click(f"#{table}-xlsx")
                download = await info.value
                saved = tmp_path / f"{table}.xlsx"
                await download.save_as(saved)
                book = load_workbook(saved)
                sheet = list(book[table].iter_rows(values_only=True))
                assert list(sheet[0]) == columns
                assert len(sheet) - 1 == len(rows) == (len(QUEUES) if table == "queues"
                                                       else len(AGENTS))
                for shown, stored in zip(rows, sheet[1:], strict=True):
                    assert all(_same(s, v) for s, v in zip(shown, stored, strict=True)), \
                        (shown, stored)
                assert book["glossary"].max_row > 10
            # A formula-like agent name is text in the export, never a formula.
            names = [r[0] for r in sheet[1:]]
            assert "'=cmd|' /C calc'!A0" in names
            # The agent with three confirmed complaints in October is marked (⚑).
            flagged = boss.locator(f"#agents-table tr[data-interface='{FLAGGED}']")
            assert await flagged.get_attribute("class") == "flagged"
            assert await flagged.locator("td[data-column=agent]").get_attribute(
                "data-flagged") == "2026-10"
            assert await boss.locator("#agents-table td[data-flagged]").count() == 1

            # The complaint table, complaints per agent, the ledger and the bonus: shown
            # for the month, each .xlsx holding the page's figures cell for cell.
            for table in ("complaints", "complaint_agents", "ledger", "bonus"):
                columns, rows = await _table(boss, f"{table}-table")
                assert columns == list(people.COLUMNS[table])
                sheet = await _xlsx(boss, table, tmp_path)
                assert list(sheet[0]) == columns and len(sheet) - 1 == len(rows) > 0, table
                for shown, stored in zip(rows, sheet[1:], strict=True):
                    assert all(_same(s, v) for s, v in zip(shown, stored, strict=True)), \
                        (table, shown, stored)
                if table == "complaints":
                    assert sum(int(r[columns.index("complaints")]) for r in rows) == len(COMPLAINTS)
            mark = boss.locator("#complaint_agents-table td.flag")
            assert await mark.count() == 1
            title = await boss.locator("#complaints-table th[data-column=complaints]") \
                .get_attribute("title")
            assert title is not None and "不论结论" in title  # the complaint table's own term
            await boss.locator("#complaints-section").scroll_into_view_if_needed()
            await boss.screenshot(path=str(ARTIFACTS / "reports-complaints.png"))
            await boss.locator("#ledger-section").scroll_into_view_if_needed()
            await boss.screenshot(path=str(ARTIFACTS / "reports-ledger.png"))

            # The tickets page: a supervisor records the complaint's department, the reply
            # promised to the caller and the verdict (unfounded needs a reason: 409).
            found = await boss.request.get("/api/tickets?category=投诉")
            pending = next(t for t in json.loads(await found.text())
                           if t["about_agent"] == "PJSIP/1004")
            await boss.goto(f"/tickets?id={pending['id']}")
            form = boss.locator("#detail-complaint")
            await form.wait_for(state="visible")
            await boss.fill("#c-department", "质检部")
            await boss.fill("#c-reply", "2026-11-20T17:00")
            await boss.select_option("#c-verdict", "unfounded")
            await boss.click("#c-save")
            await boss.wait_for_selector("#detail-error[data-status='409']")
            assert "reason" in await boss.locator("#detail-error").inner_text()
            await boss.fill("#c-verdict-reason", "录音证明坐席无过错")
            await boss.click("#c-save")
            await boss.wait_for_selector("#c-saved:not(:empty)")
            await boss.screenshot(path=str(ARTIFACTS / "ticket-complaint.png"))
            stored = json.loads(await (await boss.request.get(
                f"/api/tickets/{pending['id']}")).text())
            assert (stored["department"], stored["verdict"], stored["verdict_by"]) == (
                "质检部", "unfounded", "boss")
            assert stored["reply_promised_at"] == datetime(2026, 11, 20, 17, 0,
                                                           tzinfo=TZ).timestamp()
            assert await boss.locator("#c-verdict").is_disabled()  # unfounded is final

            en = await signed_in_page(browser, daemon.url, "boss", passwords["boss"],
                                      lang="en", width=1440, height=900)
            await _open(en, "from=2026-10-14&to=2026-10-14&interval=1h")
            assert "Calls" in await en.locator("#chart text").all_text_contents()
            await en.screenshot(path=str(ARTIFACTS / "reports-en.png"))

            # An agent: 403 for the page and its API, and the page says why.
            alice = await signed_in_page(browser, daemon.url, "alice", passwords["alice"],
                                         width=1440, height=900)
            response = await alice.goto(f"/reports?{MONTH}")
            assert response is not None and response.status == 403
            assert "403" in await alice.locator("section.forbidden h1").first.inner_text()
            api = await alice.request.get(f"/api/reports?{MONTH}")
            assert api.status == 403 and json.loads(await api.text())["error"] == "web.forbidden"
            export = await alice.request.get(f"/api/reports/agents.xlsx?{MONTH}")
            assert export.status == 403
    finally:
        assert daemon.stop() == 0
