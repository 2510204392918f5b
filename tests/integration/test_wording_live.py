"""Every page, in Chinese and in English, in real Chromium against the daemon on the real
Asterisk with data present (tickets in every status, a campaign with attempts of many
outcomes, the ledger's reasons, alerts, agents in their states): no raw code shows.

The codes are the domain's own sets (callcenter/core/labels.py gathers them from the
code that owns them), never a hand list.  A Chinese page may show none of them as a
word; an English page none with an underscore as a word, and no element whose whole
text is a code (a label is "Pending", the code "pending").  The Chinese pages' own
words (headings, labels, buttons, options) use full-width punctuation after Chinese.
The reports' column ids (`small.colname`, the exports' and the CLI's column names) are
references, not data, and are left out, as is text marked as the other language (the
403 page shows both)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import insert, select, update

from callcenter.callbacks.service import overdue_wording
from callcenter.core import labels
from callcenter.core.health import Condition
from callcenter.domain import ticket_rules as tr
from callcenter.domain.surge import SurgeLevel, SurgeSettings, SurgeTransition
from callcenter.outages.service import message as outage_message
from callcenter.store import db
from callcenter.store import models as m
from callcenter.surge.jobs import message as surge_message
from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.browser import chromium, screenshot
from tests.integration.conftest import DaemonProcess
from tests.report_seed import MONTH_START, seed_month, seed_people

pytestmark = pytest.mark.asterisk

ALICE = Agent("2201", "王芳 alice", answer_after=1)
OUTCOMES = ("success", "busy", "not_exist", "no_answer", "powered_off", "refused")
CODES = sorted({code for codes in labels.CODE_SETS.values() for code in codes
                if re.fullmatch(r"[a-z0-9_]+", code)})
SNAKE = [c for c in CODES if "_" in c]
HALF_WIDTH_AFTER_CJK = re.compile(r"[\u4e00-\u9fff][,:;?!()]")
HALF_WIDTH_NEAR_CJK = re.compile(r"[\u4e00-\u9fff] ?[,:;?!(]|[,:;?!)] ?[\u4e00-\u9fff]")

# The visible text of the page (without the reports' column ids), and the page's own
# words: headings, labels, buttons, options, table heads, definitions.
VISIBLE = """() => {
  const other = `[lang]:not([lang="${document.documentElement.lang}"])`;  // the 403 page's other half
  const shown = (n) => (n.offsetParent !== null || n.tagName === 'OPTION') && !n.closest(other);
  const text = (n) => { const c = n.cloneNode(true);
                        c.querySelectorAll('small.colname').forEach((s) => s.remove());
                        return c.textContent.trim(); };
  const all = (sel) => [...document.querySelectorAll(sel)].filter(shown).map(text);
  const body = document.body.cloneNode(true);
  body.querySelectorAll(`small.colname, script, style, .hidden, ${other}`).forEach((n) => n.remove());
  document.body.appendChild(body);
  const visible = body.innerText; body.remove();
  return { text: visible,
           leaves: all('td, th, option, span, b, dd, dt, li, button, label, h1, h2, h3, a'),
           own: all('[data-i18n], th, label, button, h1, h2, h3, legend, option, dt, nav a') };
}"""


def _seed(url: str) -> int:
    """Tickets in every status, a (paused) campaign with attempts, alerts; returns a
    complaint ticket's id."""
    engine = db.engine_for(url)
    seed_month(engine)
    seed_people(engine)
    with engine.begin() as conn:
        ids = conn.execute(select(m.Ticket.id).order_by(m.Ticket.id)).scalars().all()
        for n, ticket in enumerate(ids):
            conn.execute(update(m.Ticket).where(m.Ticket.id == ticket).values(
                status=tr.STATUSES[n % len(tr.STATUSES)], opened_at=MONTH_START + 86400 * 40 + n,
                rating=tr.RATINGS[n % 3], rating_source=("ivr", "staff")[n % 2],
                rated_at=MONTH_START + 86400 * 40 + n))
        campaign = conn.execute(insert(m.Campaign).values(
            name="十月回访", kind="imported", status="paused", mode="customer_first",
            created_at=MONTH_START).returning(m.Campaign.id)).scalar_one()
        for n, outcome in enumerate(OUTCOMES):
            phone = f"1990000{n:04d}"
            contact = conn.execute(insert(m.Contact).values(
                campaign_id=campaign, name=f"客户{n}", phone=phone, deadline=MONTH_START + 9e7,
                status=("done", "pending", "failed")[n % 3], attempts=1, next_due_at=MONTH_START + 9e7,
                last_outcome=outcome, created_at=MONTH_START).returning(m.Contact.id)).scalar_one()
            conn.execute(insert(m.Attempt).values(
                contact_id=contact, campaign_id=campaign, phone=phone, action_id=f"seed-a{n}",
                channel_id=f"seed-c{n}", status="ended", started_at=MONTH_START + 86400 * 40 + n,
                ended_at=MONTH_START + 86400 * 40 + n + 30, outcome=outcome))
        # Worded as the daemon words them (tests/unit/test_alert_wording.py has them all).
        seen_at = MONTH_START + 86400 * 40
        for n, (kind, words) in enumerate((
                ("callbacks_overdue", overdue_wording(3)),
                ("surge_level_1", surge_message(SurgeTransition(
                    SurgeLevel.EARLY_WARNING, SurgeLevel.LEVEL_1, seen_at, 9, ()),
                    SurgeSettings(), ["张三"])),
                ("outage_ami", outage_message(Condition("ami", False, "connection refused",
                                                        seen_at), ZoneInfo("Asia/Shanghai"))))):
            conn.execute(insert(m.Alert).values(
                kind=kind, level=("warning", "critical", "info")[n], message=words.zh,
                message_en=words.en, raised_at=seen_at + n, ref=f"seed-{n}"))
        complaint = conn.execute(select(m.Ticket.id).where(m.Ticket.category == "投诉")).scalar()
    engine.dispose()
    assert complaint is not None
    return int(complaint)


async def _sign_in(browser: Browser, url: str, user: str, password: str, lang: str) -> Page:
    """As browser.signed_in_page, with room for a loaded machine (2 cores, other tests)."""
    context = await browser.new_context(base_url=url, viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda exc: print(f"[{user}] page error: {exc}"))
    await page.goto(f"/login?lang={lang}")
    await page.fill("#username", user)
    await page.fill("#password", password)
    await page.click("#sign-in")
    try:
        await page.wait_for_selector("#live.on", timeout=30_000)
    except PlaywrightTimeout:
        # Say where it stopped (the sign-in refused, or a page whose stream never came up).
        seen = await page.evaluate("""() => ({url: location.href, title: document.title,
            live: document.querySelector('#live')?.textContent ?? null,
            error: document.querySelector('#error, .error')?.textContent ?? null})""")
        await screenshot(page, f"wording-sign-in-{user}-{lang}")
        raise AssertionError(f"{user} ({lang}) not signed in with a live stream: {seen}") from None
    return page


async def _check(page: Page, lang: str, where: str, problems: list[str]) -> None:
    await asyncio.sleep(1.5)  # the page's API calls and the push channel's snapshot
    seen = await page.evaluate(VISIBLE)
    text, leaves, own = seen["text"], seen["leaves"], seen["own"]
    for code in CODES if lang == "zh-CN" else SNAKE:
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])", text):
            at = re.search(rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])", text)
            near = text[max(0, at.start() - 40):at.end() + 40].replace("\n", " ") if at else ""
            problems.append(f"{lang} {where}: code {code!r} shown: …{near}…")
    for leaf in leaves:
        if leaf in CODES:
            problems.append(f"{lang} {where}: an element shows only the code {leaf!r}")
    if lang == "zh-CN":
        for word in own:
            if HALF_WIDTH_AFTER_CJK.search(word):
                problems.append(f"{lang} {where}: half-width punctuation in {word!r}")
        # What the pages compose (a label, then its value or unit) as well as their words.
        for line in text.splitlines():
            if HALF_WIDTH_NEAR_CJK.search(line):
                problems.append(f"{lang} {where}: half-width punctuation in {line.strip()!r}")
    # The server's own sentences (alerts) in the page's language too.
    for message in await page.locator(".alerts .msg").all_inner_texts():
        if lang == "en" and re.search(r"[\u4e00-\u9fff]", message.replace("张三", "")):
            problems.append(f"{lang} {where}: a Chinese alert on the English page: {message!r}")
        if lang == "zh-CN" and HALF_WIDTH_AFTER_CJK.search(message):
            problems.append(f"{lang} {where}: half-width punctuation in the alert {message!r}")


async def test_every_page_in_both_languages_shows_no_raw_code(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    daemon.cli("db", "upgrade")
    complaint = _seed(f"sqlite:///{tmp_path}/callcenter.db")
    passwords = {"boss": daemon.add_user("boss", "supervisor", name="张主管"),
                 "alice": daemon.add_user("alice", "agent", ALICE.interface, name="王芳")}
    daemon.start()
    problems: list[str] = []
    walked = 0
    try:
        async with chromium() as browser, Controller(bed) as c:
            await c.clear_queues()
            await c.login("support", ALICE)
            for lang in ("zh-CN", "en"):
                boss = await _sign_in(browser, daemon.url, "boss", passwords["boss"], lang)
                for path in ("/wallboard", "/tickets", f"/tickets?id={complaint}", "/campaigns",
                             "/reports?from=2026-10-01&to=2026-10-31&interval=", "/manage"):
                    await boss.goto(path)
                    if path == "/campaigns":
                        await boss.locator("#campaign-list button.open").first.click()
                        await boss.wait_for_selector("#attempts tbody tr")
                    if path == "/wallboard":
                        await boss.click("#show-history")
                    await _check(boss, lang, path, problems)
                    walked += 1
                await screenshot(boss, f"wording-manage-{lang}")
                alice = await _sign_in(browser, daemon.url, "alice", passwords["alice"], lang)
                for path in ("/desk", "/tickets", "/wallboard"):  # the last: her 403 page
                    await alice.goto(path)
                    await _check(alice, lang, path, problems)
                    walked += 1
                await boss.context.close()
                await alice.context.close()
    finally:
        daemon.stop()
    assert walked == 18
    print("\n".join(problems))
    assert problems == [], "\n".join(problems)
