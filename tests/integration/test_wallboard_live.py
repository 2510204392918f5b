"""The wallboard in real headless Chromium against the daemon following the real
Asterisk 22: labelled figures coloured by their thresholds, queues by display name,
agents by state then time in state with their queues and today's paused time; laid
out for a 1920x1080 TV, a 1440x900 desk and a 390x844 phone without overflowing.
Then Asterisk is stopped mid-test: within 5 s the wallboard says it is blind (banner,
greyed figures "as of" the moment it lost sight, no counting), every page's nav shows
the link down, the outage alert reaches the webhook after the configured delay and
flashes; when Asterisk is back, both clear and the figures resync."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.browser import chromium, screenshot, signed_in_page
from tests.integration.conftest import DaemonProcess
from tests.unit.test_webhooks import Receiver

pytestmark = pytest.mark.asterisk

ALICE = Agent("2401", "王芳 alice", answer_after=1)  # talks (an hour) with the first caller
BOB = Agent("2402", "李强 bob", answer_after=1)  # paused for 培训, in two queues
CAROL = Agent("2403", "赵敏 carol", answer_after=None)  # rings, never answers
ALERT_AFTER_S = 3.0

# Every visible element inside the viewport, unless an ancestor clips it (that
# ancestor is checked itself).  Returns the offenders.
OVERFLOWS = """() => {
  const W = window.innerWidth, H = window.innerHeight, tv = document.body.classList.contains('tv');
  const bad = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(e).visibility === 'hidden') continue;
    let clipped = false;
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') { clipped = true; break; }
    }
    if (clipped) continue;
    if (r.left < -0.5 || r.right > W + 0.5 || (tv && r.bottom > H + 0.5))
      bad.push(`${e.tagName}#${e.id}.${e.className} x ${Math.round(r.left)}..${Math.round(r.right)}`
               + ` y ..${Math.round(r.bottom)}`);
  }
  // A card that clips (TV mode) must not hide columns: the agents' table fits its card.
  const table = document.querySelector('#agents'), card = table && table.closest('.card');
  if (table && card && table.getBoundingClientRect().right > card.getBoundingClientRect().right + 0.5)
    bad.push(`#agents ${Math.round(table.getBoundingClientRect().right)} px past its card`);
  const doc = document.documentElement;
  if (doc.scrollWidth > W) bad.push(`document ${doc.scrollWidth} px wide`);
  if (tv && doc.scrollHeight > H) bad.push(`document ${doc.scrollHeight} px high`);
  return bad;
}"""


async def _layout(page: Page, width: int, height: int, name: str) -> None:
    await page.set_viewport_size({"width": width, "height": height})
    await page.wait_for_timeout(300)
    offenders = await page.evaluate(OVERFLOWS)
    assert not offenders, f"{name}: {offenders[:10]}"
    await screenshot(page, name)


async def _text(page: Page, selector: str) -> str:
    return (await page.locator(selector).inner_text()).strip()


async def test_wallboard_layouts_and_blind_state_in_chromium(bed: TestBed, tmp_path: Path) -> None:
    hooks = Receiver()
    daemon = DaemonProcess(bed, tmp_path, extra=f"""
[webhooks]
targets = [{{kind = "json", url = "{hooks.url('/hook')}"}}]
[outages]
ami_alert_after_s = {ALERT_AFTER_S}
[storage]
queue_sample_interval_s = 1
[wallboard]
waiting_amber = 1
waiting_red = 2
longest_wait_amber_s = 4
longest_wait_red_s = 8
chart_hours = 4
""")
    daemon.cli("db", "upgrade")
    password = daemon.add_user("boss", "supervisor", name="张主管")
    daemon.start()
    loop = asyncio.get_running_loop()
    try:
        async with chromium() as browser, Controller(bed) as c:
            await c.clear_queues()
            await c.login("support", ALICE)
            await c.login("support", BOB, paused=True, reason="培训")
            await c.login("complaints", BOB, paused=True, reason="培训")
            await c.login("complaints", CAROL)
            board = await signed_in_page(browser, daemon.url, "boss", password,
                                         width=1440, height=900)
            c.call("support", "13811112222", patience_s=300)  # alice takes it
            await expect(board.locator(f"tr[data-interface='{ALICE.interface}'] .state")
                         ).to_have_class("state on_call", timeout=15_000)
            for n in range(2):  # carol rings and rings: two callers wait
                c.call("complaints", f"1390000000{n}", patience_s=300)
            # (the second hears the keep-your-place offer first: ~11 s)
            await expect(board.locator("#queue-complaints .waiting")).to_have_text("2",
                                                                                  timeout=25_000)

            # Display names, every figure labelled with its unit, colours by threshold.
            await expect(board.locator("#queue-support h3")).to_have_text("客服热线")
            await expect(board.locator("#queue-complaints h3")).to_have_text("投诉专席")
            labels = await board.locator("#queue-complaints .label").all_inner_texts()
            assert len(labels) == 8 and all("（" in t and "）" in t for t in labels), labels
            complaints = board.locator("#queue-complaints")
            await expect(complaints.locator(".waiting-box")).to_have_attribute("data-band", "red")
            await expect(complaints.locator(".fig.longest")).to_have_attribute(
                "data-band", "red", timeout=10_000)  # waited past 8 s
            await expect(complaints).to_have_class("tile red")
            await expect(board.locator("#queue-support .waiting-box")).to_have_attribute(
                "data-band", "green")
            # Today's figures on the reports' definitions, each explained on hover; alice
            # answered within three rings: the three-ring figure is 100 % and green.
            support = board.locator("#queue-support")
            await expect(support.locator(".fig.three-ring .value")).to_have_text("100")
            await expect(support.locator(".fig.three-ring")).to_have_attribute("data-band",
                                                                              "green")
            await expect(support.locator(".fig.three-ring")).to_have_attribute(
                "title", re.compile("三声"))
            await expect(support.locator(".fig.sl")).to_have_attribute("title", re.compile("秒内"))
            await expect(support.locator(".fig.abandon")).to_have_attribute(
                "title", re.compile("短时放弃 0"))
            # Listen / whisper / barge on the agent on a call, nobody else.
            alice = board.locator(f"tr[data-interface='{ALICE.interface}']")
            await expect(alice.locator("td.spy button")).to_have_count(3)
            await expect(board.locator("#agents td.spy button")).to_have_count(3)
            # Agents by state (on a call, ringing, ..., paused), with queues and pauses.
            states = await board.locator("#agents tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.state)")
            order = ["ringing", "on_call", "wrap_up", "available", "paused"]
            assert states == sorted(states, key=order.index), states
            bob = board.locator(f"tr[data-interface='{BOB.interface}']")
            await expect(bob.locator(".agent-queues")).to_have_text("投诉专席、客服热线")
            await expect(bob.locator(".st")).to_contain_text("培训")
            await expect(bob.locator(".paused-today")).to_have_text(re.compile(r"^培训 00:\d\d$"))
            await expect(board.locator("#chart .y-tick")).not_to_have_count(0)
            await expect(board.locator("#chart-span")).to_contain_text("4")

            # The three layouts.  TV: the waiting number at least 3x the body text.
            await board.goto("/wallboard?tv")
            await board.wait_for_selector("#live.on", state="attached")
            await expect(board.locator("#queue-complaints .waiting")).to_have_text("2")
            await _layout(board, 1920, 1080, "wallboard-tv")
            big, body = await board.evaluate("""() => [
              parseFloat(getComputedStyle(document.querySelector('#queue-complaints .waiting')).fontSize),
              parseFloat(getComputedStyle(document.body).fontSize)]""")
            print(f"TV 1920x1080: waiting number {big:.0f} px, body text {body:.0f} px")
            assert big >= 3 * body, (big, body)
            await expect(alice.locator("td.spy")).to_be_hidden()  # no buttons on the TV
            await board.goto("/wallboard")
            await board.wait_for_selector("#live.on", state="attached")
            await _layout(board, 1440, 900, "wallboard-desk")
            await _layout(board, 390, 844, "wallboard-phone")
            await expect(alice.locator("button.spy-whisper")).to_be_visible()
            nav_h = await board.evaluate("document.getElementById('nav').offsetHeight")
            assert nav_h < 120, f"the nav is {nav_h} px high at phone width"
            await board.set_viewport_size({"width": 1440, "height": 900})

            # Another page, without live figures: it holds a health stream, its badge
            # says so, and it hears the link go down.
            tickets = await board.context.new_page()
            await tickets.goto("/tickets")
            await expect(tickets.locator("#live")).to_have_class("live on", timeout=5_000)
            await expect(tickets.locator("#health")).to_be_hidden()

            # Sound is allowed once someone clicked the page (a kiosk may allow it outright).
            await board.locator("#chart").click()
            in_state = board.locator(f"tr[data-interface='{BOB.interface}'] .since")

            # Asterisk stops.  The webhook's arrival is timed from here.
            stopped_at = loop.time()
            arrived: dict[str, float] = {}

            async def watch_hooks() -> None:
                while "raised" not in arrived:
                    if any(b["kind"] == "outage_ami" for b in hooks.bodies("/hook")):
                        arrived["raised"] = loop.time()
                    await asyncio.sleep(0.05)

            watcher = asyncio.create_task(watch_hooks())
            await asyncio.to_thread(bed.stop)
            await expect(board.locator("#blind-banner")).to_be_visible(timeout=5_000)
            blind_s = loop.time() - stopped_at
            await expect(board.locator("body")).to_have_class("blind")
            await expect(board.locator("#blind-banner")).to_contain_text("Asterisk")
            await expect(board.locator("#as-of")).to_contain_text("数据截至")
            await expect(tickets.locator("#health")).to_have_attribute("data-down", "ami",
                                                                       timeout=5_000)
            await expect(tickets.locator("#live")).to_have_class("live on")  # the stream itself is fine
            frozen = await in_state.inner_text()
            grey = await board.evaluate(
                "getComputedStyle(document.querySelector('#queues')).filter")
            assert "grayscale" in grey, grey
            await board.wait_for_timeout(2_100)
            assert await in_state.inner_text() == frozen, "a stale figure kept counting"
            as_of = float(await board.locator("body").get_attribute("data-as-of") or 0)

            # The outage alert: after the configured delay, at the webhook and on the board.
            await asyncio.wait_for(watcher, ALERT_AFTER_S + 10)
            hooked_s = arrived["raised"] - stopped_at
            raised = next(b for b in hooks.bodies("/hook") if b["kind"] == "outage_ami")
            assert raised["change"] == "raised", raised
            delay = raised["at"] - as_of  # from the moment the link was seen down
            assert ALERT_AFTER_S <= delay < ALERT_AFTER_S + 1.5, (delay, raised)
            alert = board.locator("#alerts li[data-kind='outage_ami']")
            await expect(alert).to_have_class("flash")
            await expect(board.locator("body")).to_have_attribute("data-beeps", "1")
            await screenshot(board, "wallboard-blind")
            print(f"Asterisk stopped: blind banner after {blind_s:.2f} s; alert raised "
                  f"{delay:.2f} s after the link was lost (setting {ALERT_AFTER_S} s), "
                  f"at the webhook {hooked_s:.2f} s after the stop began")

            # Asterisk is back: the banner and the alert clear, the figures resync (the
            # callers were lost with Asterisk: nobody waits any more).
            await asyncio.to_thread(bed.start, fresh=False)
            back_at = loop.time()
            await expect(board.locator("#blind-banner")).to_be_hidden(timeout=15_000)
            await expect(board.locator("body")).not_to_have_class("blind")
            await expect(board.locator("#queue-complaints .waiting")).to_have_text("0",
                                                                                  timeout=10_000)
            await expect(alert).to_have_count(0, timeout=10_000)
            await expect(tickets.locator("#health")).to_be_hidden()
            while not any(b["kind"] == "outage_ami" and b["change"] == "cleared"
                          for b in hooks.bodies("/hook")):
                assert loop.time() - back_at < 15, hooks.bodies("/hook")
                await asyncio.sleep(0.1)
            print(f"Asterisk back: banner cleared, figures resynced, "
                  f"alert cleared after {loop.time() - back_at:.2f} s")
            await screenshot(board, "wallboard-back")
            # The English page keeps to the phone's width too (its labels are longer).
            await board.goto("/wallboard?lang=en")
            await board.wait_for_selector("#live.on")
            await expect(board.locator("#queue-support h3")).to_have_text("客服热线")
            await expect(board.locator("#queue-support .waiting-box .label")).to_have_text(
                "Waiting (callers)")
            await _layout(board, 390, 844, "wallboard-phone-en")
    finally:
        hooks.close()
        assert daemon.stop() == 0
