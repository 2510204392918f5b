"""The supervisors' tools in real headless Chromium against the daemon on the real
Asterisk: a campaign created by uploading a GBK CSV through the page (its rejected rows
shown), followed live as the dialer's attempts end, paused, and its report downloaded;
a whisper started from the wallboard on an agent's live call, Asterisk running ChanSpy
on the agent's channel from the supervisor's own phone; an agent asking for it gets 403."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.async_api import expect

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.browser import chromium, screenshot, signed_in_page
from tests.integration.conftest import DaemonProcess, dial_all_day

pytestmark = pytest.mark.asterisk

ALICE = Agent("2201", "王芳 alice", answer_after=1)
CALLBACK_AGENT = Agent("2202", "回访 cb", answer_after=1, talk_s=3)  # customer-first needs one
BOSS_PHONE = "Local/3001@testbed-supervisors"  # answers at once (test bed)
CONTACTS = ("姓名,电话,备注\n"
            "张伟,19902000002,忙线客户\n"       # busy: pending again after its attempt
            "李娜,19905000005,空号\n"           # unallocated: not_exist, final
            "王芳,12345,号码错误\n"             # rejected: no phone number
            "赵磊,19902000002,重复\n")          # rejected: duplicate of row 2


def _settings() -> str:
    return f"""
[callbacks]
channel_template = "Local/{{number}}@testbed-customers/n"
ring_timeout_s = 6
{dial_all_day()}dialer_interval_s = 0.5
"""


async def _spying(c: Controller, timeout: float = 10.0) -> dict[str, Any]:
    """The ChanSpy channel Asterisk runs, once it does."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for ch in await c.channels():
            if ch.get("Application") == "ChanSpy":
                return dict(ch)
        await asyncio.sleep(0.2)
    raise AssertionError(f"no ChanSpy channel: {await c.channels()}")


async def test_campaign_upload_report_and_whisper_in_chromium(bed: TestBed,
                                                              tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path, extra=_settings())
    daemon.cli("db", "upgrade")
    passwords = {"boss": daemon.add_user("boss", "supervisor", name="张主管"),
                 "alice": daemon.add_user("alice", "agent", ALICE.interface, name="王芳")}
    daemon.cli("users", "phone", "boss", BOSS_PHONE)
    contacts = tmp_path / "回访名单.csv"
    contacts.write_bytes(CONTACTS.encode("gbk"))
    daemon.start()
    try:
        async with chromium() as browser, Controller(bed) as c:
            await c.clear_queues()
            await c.login("support", ALICE)
            await c.login("callback", CALLBACK_AGENT)
            boss = await signed_in_page(browser, daemon.url, "boss", passwords["boss"],
                                        width=1440, height=900)
            # -- a campaign from a GBK CSV, through the page ---------------------------
            await boss.goto("/campaigns")
            await boss.wait_for_selector("#live.on")
            await boss.fill("#new-campaign input[name=name]", "十一月满意度回访")
            await boss.click("#new-campaign button[type=submit]")
            await expect(boss.locator("#detail-name")).to_contain_text("十一月满意度回访")
            await boss.set_input_files("#upload-file", str(contacts))
            await boss.click("#upload-button")
            await expect(boss.locator("#upload-result")).to_have_text("已导入：2")
            await expect(boss.locator("#rejected-count")).to_have_text("2")
            await expect(boss.locator("#rejected tbody tr")).to_have_count(2)
            reason = "#rejected tr[data-row='{}'] td[data-code]"  # worded in the page's language
            await expect(boss.locator(reason.format(4))).to_have_text("号码无效：12345")
            await expect(boss.locator(reason.format(5))).to_have_text("与第2行号码重复")
            campaign = await boss.locator("#campaign-list tr.selected").get_attribute(
                "data-campaign")
            row = boss.locator(f"#campaign-list tr[data-campaign='{campaign}']")
            await expect(row.locator(".contacts")).to_have_text("2")
            # Followed live: the empty number's attempt ends as not_exist (final: done)
            # and the page shows it from the push channel, without a reload.
            await expect(row.locator(".done")).to_have_text("1", timeout=30_000)
            await expect(row.locator(".pending")).to_have_text("1")  # busy: tried again later
            await expect(boss.locator("#attempts tbody tr").first).to_be_visible()
            await row.locator("button.pause").click()
            await expect(row.locator(".status")).to_have_text("已暂停")
            async with boss.expect_download() as download_info:
                await boss.click("#report-xlsx")
            download = await download_info.value
            saved = tmp_path / "report.xlsx"
            await download.save_as(saved)
            summary = load_workbook(saved)["summary"]
            assert (summary["A2"].value, summary["B2"].value) == ("contacts", 2)
            await screenshot(boss, "supervisor-campaigns-1440")

            # -- whisper on alice's live call, from the wallboard ------------------------
            alice = await signed_in_page(browser, daemon.url, "alice", passwords["alice"])
            seen = len(c.events)
            c.call("support", "13800001111", patience_s=60)
            connect = await c.wait_for_event("AgentConnect", timeout=20, seen=seen)
            assert connect["Interface"] == ALICE.interface
            await boss.goto("/wallboard")
            agent_row = boss.locator(f"tr[data-interface='{ALICE.interface}']")
            whisper = agent_row.locator("button.spy-whisper")
            await expect(whisper).to_be_visible(timeout=5_000)
            await expect(whisper).to_have_text("耳语")
            # The agent asks for it: 403, nothing rung.
            status = await alice.evaluate("""async (agent) => {
                const me = await (await fetch('/api/me')).json();
                const r = await fetch('/api/spy', {method: 'POST', headers: {
                  'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token},
                  body: JSON.stringify({agent, mode: 'whisper'})});
                return r.status; }""", ALICE.interface)
            assert status == 403
            assert not [ch for ch in await c.channels() if ch.get("Application") == "ChanSpy"]
            await whisper.click()
            spy = await _spying(c)
            assert spy["Channel"].startswith(BOSS_PHONE + "-")
            legs = [ch["Channel"] for ch in await c.channels()
                    if ch.get("Linkedid") == connect["Linkedid"]
                    and ch["Channel"].startswith("Local/2201@testbed-agents-")
                    and ch["Channel"].endswith(";1")]
            assert legs and spy["ApplicationData"] == f"{legs[0]},qwE"
            await screenshot(boss, "supervisor-wallboard-whisper-1440")
            await daemon.logged("spy.started")
    finally:
        assert daemon.stop() == 0
