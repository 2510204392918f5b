"""The reports page in a real browser (Debian's chromium, Playwright) against the daemon
following the real Asterisk, over a seeded month (tests/report_seed.py): the chart
(with its axes) and both tables render with the CLI's columns, each column's
definition is on its header, the `.xlsx` export opens with openpyxl and holds the same
figures as the page, an agent gets 403; screenshots at 1440x900 in Chinese and English."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.async_api import Page

from callcenter.callbacks.report import inert
from callcenter.domain.kpi import AGENT_COLUMNS, QUEUE_COLUMNS
from callcenter.store import db
from callcenter.testbed.asterisk import TestBed
from tests.integration.browser import ARTIFACTS, chromium, signed_in_page
from tests.integration.conftest import DaemonProcess
from tests.report_seed import AGENTS, QUEUES, seed_month

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
    if isinstance(stored, int | float):
        return float(shown) == pytest.approx(float(stored), abs=1e-9)
    # Text is exported inert (a formula-like name gets a leading quote).
    return inert(shown) == stored or str(stored).replace("T", " ").startswith(shown)


async def _open(page: Page, query: str) -> None:
    await page.goto(f"/reports?{query}")  # a fresh document: marked once it has rendered
    await page.wait_for_selector("body[data-loaded]", state="attached", timeout=15_000)


async def test_reports_page_chart_tables_and_xlsx_match(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    daemon.cli("db", "upgrade")
    engine = db.engine_for(f"sqlite:///{tmp_path}/callcenter.db")
    seed_month(engine)
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
