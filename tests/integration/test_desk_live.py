"""The agent desk in real headless Chromium, against the daemon following the real
Asterisk 22: an agent logs in to a queue from the desk (QueueAdd through the daemon's
least-privilege account), types into the ticket of a call without saving, a second
call connects to them and opens in its own tab: the typed text is still there, kept in
the browser and on the server; they finish the first ticket after the call.  They
pause with 午休 and the supervisor's wallboard, open at the same time, shows it within
1 s of the click, from Asterisk's own QueueMemberPause event.  An agent opening the
wallboard gets the 403 page."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.browser import chromium, screenshot, signed_in_page
from tests.integration.conftest import DaemonProcess

pytestmark = pytest.mark.asterisk

# Answers at 2 s and hangs up after 9 s of talk: the second caller waits for her.
ALICE = Agent("2301", "王芳 alice", answer_after=2, talk_s=9)
TYPED = "第一通来电：热水器维修后仍漏水\n客户要求今天回电"


async def _no_overflow(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = await page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px window"


async def test_desk_drafts_tabs_pause_and_403_in_chromium(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    daemon.cli("db", "upgrade")
    passwords = {"boss": daemon.add_user("boss", "supervisor", name="张主管"),
                 "alice": daemon.add_user("alice", "agent", ALICE.interface, name="王芳")}
    daemon.start()
    loop = asyncio.get_running_loop()
    errors: list[str] = []
    try:
        async with chromium() as browser, Controller(bed) as c:
            await c.clear_queues()
            await c.set_agent(ALICE)  # how the simulated phone answers; not logged in yet
            board = await signed_in_page(browser, daemon.url, "boss", passwords["boss"],
                                         width=1440, height=900)
            alice = await signed_in_page(browser, daemon.url, "alice", passwords["alice"],
                                         width=1440, height=900)
            alice.on("pageerror", lambda exc: errors.append(str(exc)))
            await expect(alice).to_have_url(f"{daemon.url}/desk")

            # The standard phrases, from the settings, with her name.
            await expect(alice.locator("#scripts li")).to_have_count(4)
            await expect(alice.locator("#scripts li[data-title='开始语'] .phrase")).to_contain_text(
                "王芳为您服务")

            # She logs in to "support" from the desk: QueueAdd by the daemon's account;
            # the toggle turns when Asterisk's QueueMemberAdded comes back.
            seen = len(c.events)
            await alice.click("#queue-toggles button[data-queue='support']")
            added = await c.wait_for_event("QueueMemberAdded", timeout=5, seen=seen)
            assert added["Interface"] == ALICE.interface and added["Queue"] == "support"
            await expect(alice.locator("#queue-toggles button[data-queue='support']")
                         ).to_have_attribute("data-in", "1", timeout=2_000)
            row = board.locator(f"tr[data-interface='{ALICE.interface}']")
            await expect(row.locator(".state")).to_have_class("state available", timeout=2_000)

            # First call: she types while talking and does not save.
            c.call("support", "13811110001", patience_s=40)
            await expect(alice.locator("#ticket-id")).to_have_text("#1", timeout=15_000)
            await alice.fill("#ticket-form textarea[name=content]", TYPED)
            await alice.select_option("#ticket-form select[name=category]", "投诉")
            await expect(alice.locator("#draft-state")).to_contain_text("草稿已保存", timeout=3_000)
            # The second caller waits until she is free (talk 9 s, wrap-up), then connects.
            c.call("support", "13811110002", patience_s=60)
            await expect(alice.locator("#call-ended")).to_be_visible(timeout=20_000)
            await expect(alice.locator("#ticket-id")).to_have_text("#2", timeout=25_000)
            await expect(alice.locator("#caller-number")).to_have_text("13811110002")
            # The first ticket keeps its own tab, marked unsaved; its text is all there.
            first_tab = alice.locator("#ticket-tabs .tab[data-ticket='1']")
            await expect(first_tab).to_have_class("tab dirty")
            await expect(alice.locator("#ticket-tabs .tab.active")).to_have_attribute(
                "data-ticket", "2")
            await expect(alice.locator("#ticket-form textarea[name=content]")).to_have_value("")
            await screenshot(alice, "desk-tabs")
            server = await alice.evaluate("CC.api('GET', '/api/desk/drafts/1')")
            assert server["draft"]["fields"]["content"] == TYPED, server
            assert server["draft"]["fields"]["category"] == "投诉"
            local = await alice.evaluate("localStorage.getItem('cc.draft.alice.1')")
            assert json.loads(local)["fields"]["content"] == TYPED
            await first_tab.locator(".tab-open").click()
            await expect(alice.locator("#ticket-form textarea[name=content]")).to_have_value(TYPED)
            await expect(alice.locator("#ticket-form select[name=category]")).to_have_value("投诉")

            # A reload loses nothing: the draft's tab comes back with the text.
            await alice.reload()
            await alice.wait_for_selector("#live.on", timeout=10_000)
            await alice.locator("#ticket-tabs .tab[data-ticket='1'] .tab-open").click()
            await expect(alice.locator("#ticket-form textarea[name=content]")).to_have_value(TYPED)
            await expect(alice.locator("#draft-restored")).to_be_visible()

            # After the call she finishes her ticket: saved, resolved, out of "my open
            # tickets", the draft dropped.
            await alice.click("#finish-ticket")
            await expect(alice.locator("#save-state")).to_contain_text("已办结")
            await expect(alice.locator("#my-tickets tr[data-ticket='1']")).to_have_count(0)
            ticket = await alice.evaluate("CC.api('GET', '/api/tickets/1')")
            assert ticket["status"] == "resolved" and ticket["content"] == TYPED
            assert (await alice.evaluate("CC.api('GET', '/api/desk/drafts/1')")) == {"draft": None}
            # "My open tickets" opens a ticket in its own tab.
            await alice.locator("#my-tickets tr[data-ticket='2'] button.open-ticket").click()
            await expect(alice.locator("#ticket-tabs .tab.active")).to_have_attribute(
                "data-ticket", "2")

            # The second call ends; she pauses for lunch from the desk.  The wallboard,
            # open at the same time, shows it from Asterisk's own QueueMemberPause.
            await expect(alice.locator("#my-state")).not_to_have_class("state on_call",
                                                                       timeout=20_000)
            await alice.select_option("#pause-reason", "午休")
            seen = len(c.events)
            clicked = loop.time()
            await alice.click("#pause")
            await expect(row.locator(".state.paused")).to_be_visible(timeout=1_000)
            shown = loop.time() - clicked
            await expect(row).to_contain_text("午休")
            pause = await c.wait_for_event("QueueMemberPause", timeout=1, seen=seen)
            assert pause["Interface"] == ALICE.interface and pause["PausedReason"] == "午休"
            print(f"desk pause click -> wallboard shows 午休: {shown * 1000:.0f} ms")
            assert shown < 1.0
            await expect(alice.locator("#my-state")).to_have_class("state paused")
            await expect(alice.locator("#my-reason")).to_have_text("午休")
            await screenshot(alice, "desk-paused")
            await alice.set_viewport_size({"width": 390, "height": 844})
            await _no_overflow(alice)
            await screenshot(alice, "desk-phone")
            await alice.set_viewport_size({"width": 1440, "height": 900})

            # Back from lunch, then out of the queue: both from Asterisk's events.
            await alice.click("#unpause")
            # Unpaused within the wrap-up after her last call (queues.conf wrapuptime 5 s),
            # she is shown in wrap-up first, then available.
            await expect(row.locator(".state")).to_have_class("state available", timeout=8_000)
            await alice.click("#queue-toggles button[data-queue='support']")
            await expect(alice.locator("#queue-toggles button[data-queue='support']")
                         ).to_have_attribute("data-in", "0", timeout=2_000)
            await expect(row.locator(".state")).to_have_class("state logged_out", timeout=2_000)

            # The wallboard is not hers: a plain 403 page, no script error.
            response = await alice.goto("/wallboard")
            assert response is not None and response.status == 403
            await expect(alice.locator("h1").first).to_have_text("403 · 无权访问此页面")
            await expect(alice.locator("a.button").first).to_have_attribute("href", "/")
            await screenshot(alice, "forbidden")
            await alice.set_viewport_size({"width": 390, "height": 844})
            await _no_overflow(alice)
            icon = await alice.evaluate("fetch('/favicon.ico').then(r => r.headers.get('content-type'))")
            assert icon.startswith("image/svg+xml")
            assert errors == [], errors
    finally:
        assert daemon.stop() == 0
