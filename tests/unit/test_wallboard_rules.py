"""The wallboard page's pure rules (static/wallboard-rules.js), run where they run: in
Chromium, on an empty page, no daemon.  A figure against its thresholds gives its
colour; agents sort by state, then the longest in it first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Page

from callcenter.web.pages import STATIC_DIR
from tests.integration.browser import chromium

SL = {"amber": 80, "red": 70, "higher_is_better": True}
ABANDON = {"amber": 5, "red": 10, "higher_is_better": False}
WAITING = {"amber": 8, "red": 16, "higher_is_better": False}


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with chromium() as browser:
        page = await browser.new_page()
        await page.add_script_tag(content=(STATIC_DIR / "wallboard-rules.js").read_text("utf-8"))
        yield page


async def js(page: Page, expression: str, *args: Any) -> Any:
    return await page.evaluate(f"(args) => {expression}", list(args))


async def test_thresholds_to_colour(page: Page) -> None:
    cases = [(95, SL, "green"), (80, SL, "green"), (79.9, SL, "amber"), (70, SL, "amber"),
             (69.9, SL, "red"), (0, SL, "red"),
             (0, ABANDON, "green"), (4.9, ABANDON, "green"), (5, ABANDON, "amber"),
             (10, ABANDON, "red"), (100, ABANDON, "red"),
             (7, WAITING, "green"), (8, WAITING, "amber"), (16, WAITING, "red"),
             (None, SL, ""), (3, None, "")]
    got = await js(page, "args.map(([v, b]) => Rules.band(v, b))",
                   *[[value, band] for value, band, _ in cases])
    assert got == [colour for _, _, colour in cases]
    # A threshold of 0 is off (waiting_red = 0 with no surge level behind it).
    assert await js(page, "Rules.band(50, {amber: 0, red: 0, higher_is_better: false})") == "green"
    assert await js(page, "Rules.worst(['green', 'amber', ''])") == "amber"
    assert await js(page, "Rules.worst(['green', 'red', 'amber'])") == "red"
    assert await js(page, "Rules.worst(['', ''])") == ""


async def test_agents_by_state_then_longest_in_it(page: Page) -> None:
    agents = [
        {"name": "甲", "state": "paused", "since": 100},
        {"name": "乙", "state": "available", "since": 300},
        {"name": "丙", "state": "on_call", "since": 500},
        {"name": "丁", "state": "available", "since": 200},
        {"name": "戊", "state": "logged_out", "since": None},
        {"name": "己", "state": "ringing", "since": 900},
        {"name": "庚", "state": "on_call", "since": 400},
        {"name": "辛", "state": "wrap_up", "since": 50},
        {"name": "壬", "state": "available", "since": 200},
        {"name": "癸", "state": "unavailable", "since": 10},
    ]
    order = await js(page, "args.sort(Rules.compareAgents).map((a) => a.name)", *agents)
    assert order == ["己", "庚", "丙", "辛", "丁", "壬", "乙", "甲", "癸", "戊"]


async def test_queue_names_order_paused_time_and_the_y_axis(page: Page) -> None:
    names = {"support": "客服热线", "complaints": "投诉专席"}
    assert await js(page, "Rules.queueName('support', args[0])", names) == "客服热线"
    assert await js(page, "Rules.queueName('vip', args[0])", names) == "vip"
    ordered = await js(page, "['vip', 'complaints', 'aaa', 'support'].sort("
                       "(a, b) => Rules.compareQueues(a, b, args[0]))", names)
    assert ordered == ["support", "complaints", "aaa", "vip"]
    agent = {"state": "paused", "reason": "午休", "since": 1000,
             "paused_today": {"午休": 60, "培训": 30}}
    assert await js(page, "Rules.pausedToday(args[0], 1100, 0)", agent) == {
        "午休": 160, "培训": 30}
    # A pause begun before midnight counts from midnight.
    assert (await js(page, "Rules.pausedToday(args[0], 1100, 1050)", agent))["午休"] == 110
    assert await js(page, "Rules.scale(3)") == {"top": 4, "ticks": [0, 1, 2, 3, 4]}
    assert await js(page, "Rules.scale(18)") == {"top": 20, "ticks": [0, 5, 10, 15, 20]}
    assert (await js(page, "Rules.scale(130)"))["top"] == 150


async def test_blind_when_every_asterisk_link_is_down_or_the_stream_is_lost(page: Page) -> None:
    def part(name: str, ok: bool, since: float = 0) -> dict[str, Any]:
        return {"part": name, "ok": ok, "since": since}

    async def sight(parts: list[dict[str, Any]], up: bool = True,
                    lost: float | None = None) -> tuple[Any, list[str]]:
        got = await js(page, "Rules.sight(args[0], args[1], args[2])", parts, up, lost)
        return got["blind"], [h["part"] for h in got["down"]]

    writer_down = part("writer", False, 5)
    assert await sight([part("ami", True), writer_down]) == (None, [])  # not Asterisk
    assert await sight([part("ami", False, 100), writer_down]) == (100, ["ami"])
    # Several servers: one unseen is not blind (its share is named), all unseen is, from
    # the moment the last went.
    two = [part("ami:pbx1", True), part("ami:pbx2", False, 100)]
    assert await sight(two) == (None, ["ami:pbx2"])
    two[0] = part("ami:pbx1", False, 130)
    assert await sight(two) == (130, ["ami:pbx1", "ami:pbx2"])
    # The page's own stream lost: blind from then, whatever it last heard.
    assert await sight([part("ami", True)], up=False, lost=200) == (200, [])
    assert await sight([], up=True) == (None, [])
