"""The web pages in real headless Chromium, against the daemon following the real
Asterisk: the ticket pops up on the answering agent's desk only, within a second
of AgentConnect; the wallboard's waiting count follows real callers; a surge
alert appears and is acknowledged; a late answer shows the apology banner; an
agent opening another agent's ticket by URL gets 403; a rating on the desk moves today's
rating split on the wallboard."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.browser import chromium, screenshot, signed_in_page
from tests.integration.conftest import DaemonProcess
from tests.unit.test_webhooks import Receiver

pytestmark = pytest.mark.asterisk

ALICE = Agent("2101", "王芳 alice", answer_after=16)  # late: past the three-ring budget
BOB = Agent("2102", "李强 bob", answer_after=2)


async def _waiting(page: Page, queue: str) -> str:
    return (await page.locator(f"#queue-{queue} .waiting").inner_text()).strip()


async def _visible_after(page: Page, selector: str, loop: asyncio.AbstractEventLoop) -> float:
    await page.wait_for_selector(selector, state="visible", timeout=30_000)
    return loop.time()


async def test_wallboard_desk_and_alerts_in_chromium(bed: TestBed, tmp_path: Path) -> None:
    hooks = Receiver()
    daemon = DaemonProcess(bed, tmp_path, extra=f"""
[webhooks]
targets = [{{kind = "json", url = "{hooks.url('/hook')}"}}]
[storage]
queue_sample_interval_s = 1

[surge]
level1_threshold = 2
level2_threshold = 6
early_warning_s = 2
sustain_s = 4
cooldown_s = 3
check_interval_s = 0.5
""")
    daemon.cli("db", "upgrade")
    passwords = {"boss": daemon.add_user("boss", "supervisor", name="张主管"),
                 "alice": daemon.add_user("alice", "agent", ALICE.interface, name="王芳"),
                 "bob": daemon.add_user("bob", "agent", BOB.interface, name="李强")}
    daemon.start()
    loop = asyncio.get_running_loop()
    try:
        async with chromium() as browser, Controller(bed) as c:
            await c.clear_queues()
            await c.login("support", ALICE)
            await c.login("complaints", BOB)
            board = await signed_in_page(browser, daemon.url, "boss", passwords["boss"])
            await expect(board).to_have_url(f"{daemon.url}/wallboard")
            alice = await signed_in_page(browser, daemon.url, "alice", passwords["alice"])
            bob = await signed_in_page(browser, daemon.url, "bob", passwords["bob"])
            await expect(alice).to_have_url(f"{daemon.url}/desk")
            await expect(board.locator("#queue-support .waiting")).to_have_text("0")

            # Bob's caller first: answered at 2 s; then alice's, answered late at 16 s.
            seen = len(c.events)
            c.call("complaints", "13900001111", patience_s=30)
            connect = await c.wait_for_event("AgentConnect", timeout=15, seen=seen)
            connected_at = loop.time()
            assert connect["Interface"] == BOB.interface
            shown_at = await _visible_after(bob, "#ticket-panel", loop)
            assert shown_at - connected_at < 1.0, f"bob's ticket took {shown_at - connected_at:.2f} s"
            await expect(bob.locator("#caller-number")).to_have_text("13900001111")
            await expect(bob.locator("#apology-banner")).to_be_hidden()  # answered in time
            await expect(bob.locator("#ticket-id")).to_have_text("#1")
            await expect(alice.locator("#ticket-panel")).to_be_hidden()  # not on alice's desk

            seen = len(c.events)
            c.call("support", "13811112222", patience_s=40)
            await expect(board.locator("#queue-support .waiting")).to_have_text("1", timeout=3_000)
            connect = await c.wait_for_event("AgentConnect", timeout=25, seen=seen)
            connected_at = loop.time()
            assert connect["Interface"] == ALICE.interface
            shown_at = await _visible_after(alice, "#ticket-panel", loop)
            assert shown_at - connected_at < 1.0, f"alice's ticket took {shown_at - connected_at:.2f} s"
            await expect(alice.locator("#apology-banner")).to_be_visible()  # rang past 15 s
            await expect(board.locator("#queue-support .waiting")).to_have_text("0", timeout=1_000)
            await expect(bob.locator("#caller-number")).to_have_text("13900001111")  # unchanged

            # Alice records her ticket while talking; it lands in "my tickets".
            await expect(alice.locator("#ticket-id")).to_have_text("#2")
            await alice.select_option("#ticket-form select[name=category]", "投诉")
            await alice.fill("#ticket-form textarea[name=content]", "热水器维修后仍漏水")
            await alice.fill("#ticket-form input[name=address]", "朝阳区建国路 88 号")
            await alice.select_option("#ticket-form select[name=mood]", "angry")
            await alice.click("#save-ticket")
            await expect(alice.locator("#save-state")).to_contain_text("已保存")
            await expect(alice.locator("#my-tickets tr[data-ticket='2']")).to_be_visible()
            async with httpx.AsyncClient() as anonymous_client:
                anonymous = await anonymous_client.get(f"{daemon.url}/api/tickets/2")
            assert anonymous.status_code == 401  # no session: 401, never the data
            assert anonymous.json()["error"] == "web.unauthenticated"
            # The wallboard shows alice late and penalised.
            alice_row = board.locator(f"tr[data-interface='{ALICE.interface}']")
            await expect(alice_row.locator(".violations")).to_have_text("1")
            await expect(alice_row.locator(".points")).to_have_text("-5")
            await screenshot(alice, "desk")
            # The lead rates alice's call on the desk: today's split on the wallboard moves.
            ratings = board.locator("#queue-support .ratings")
            await expect(ratings).to_have_attribute("data-rated", "0")
            await board.evaluate("CC.api('PATCH', '/api/tickets/2', {rating: 'unsatisfied'})")
            await expect(ratings).to_have_attribute("data-rated", "1", timeout=2_000)
            await expect(ratings.locator(".share.unsatisfied")).to_have_text("不满意 100%")
            await expect(ratings.locator(".seg")).to_have_count(1)  # the bar: all red
            await expect(ratings.locator(".rating-source")).to_have_text("来电按键 0 · 坐席录入 1")

            # Alice opens bob's ticket by URL: 403, in the page and from the API.
            await alice.goto("/tickets?id=1")
            await expect(alice.locator("#detail-error")).to_have_attribute("data-status", "403")
            status = await alice.evaluate("fetch('/api/tickets/1').then(r => r.status)")
            assert status == 403

            # A surge: three callers wait in a queue nobody serves (more than 2 for 4 s).
            for n in range(3):
                c.call("callback", f"1370000{n:04d}", patience_s=14)
            await expect(board.locator("#queue-callback .waiting")).to_have_text("3", timeout=3_000)
            await expect(board.locator("#surge-banner")).to_have_attribute(
                "data-level", "level_1", timeout=15_000)
            alert = board.locator("#alerts li[data-kind='surge_level_1']")
            await expect(alert).to_be_visible()
            await expect(board.locator("#chart polyline")).to_be_visible()
            await expect(board.locator("#chart line[data-threshold='2']")).to_have_count(1)
            await screenshot(board, "wallboard")
            await alert.locator("button.ack").click()
            await expect(alert.locator(".acked")).to_be_visible()
            alerts = json.loads(daemon.cli("alerts", "--json").stdout)
            level1 = [a for a in alerts if a["kind"] == "surge_level_1"]
            assert level1 and level1[0]["acknowledged"] == "boss", alerts
            # The callers give up; after the cool-down the banner returns to normal.
            await expect(board.locator("#queue-callback .waiting")).to_have_text("0", timeout=15_000)
            await expect(board.locator("#surge-banner")).to_have_attribute(
                "data-level", "normal", timeout=20_000)
            await expect(board.locator("#alerts li[data-kind='surge_level_1']")).to_have_count(0)
            # The same transitions went to the webhook, once each (acknowledging is not sent).
            for _ in range(50):
                if sum(b["kind"].startswith("surge") for b in hooks.bodies("/hook")) >= 4:
                    break
                await asyncio.sleep(0.1)
            surge_hooks = [(b["kind"], b["change"]) for b in hooks.bodies("/hook")
                           if b["kind"].startswith("surge")]
            assert surge_hooks[:2] == [("surge_early_warning", "raised"),
                                       ("surge_level_1", "escalated")], hooks.bodies("/hook")
            assert sorted(surge_hooks[2:]) == [("surge_early_warning", "cleared"),
                                               ("surge_level_1", "cleared")], hooks.bodies("/hook")

            # English pages exist and are complete.
            en = await signed_in_page(browser, daemon.url, "boss", passwords["boss"], lang="en")
            await expect(en.locator("#nav a.active")).to_have_text("Wallboard")
            await screenshot(en, "wallboard-en")
    finally:
        hooks.close()
        assert daemon.stop() == 0
