"""Debian's Chromium driven by Playwright (its own browser download is not used)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
# As root in a sandbox without a network: no sandboxing, no calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
CHROMIUM_PRESENT = Path(CHROMIUM).exists()  # checked once, at import
ARTIFACTS = Path(os.environ.get("CALLCENTER_ARTIFACTS", "artifacts"))


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM_PRESENT:
        raise AssertionError(f"{CHROMIUM} is missing: scripts/setup installs Debian's chromium")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def signed_in_page(browser: Browser, base_url: str, username: str, password: str,
                         *, lang: str = "zh-CN", width: int = 1400, height: int = 900) -> Page:
    context = await browser.new_context(base_url=base_url,
                                        viewport={"width": width, "height": height})
    page = await context.new_page()
    page.on("pageerror", lambda exc: print(f"[{username}] page error: {exc}"))
    await page.goto(f"/login?lang={lang}")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#sign-in")
    await page.wait_for_selector("#live.on", timeout=10_000)  # the push channel is up
    return page


async def screenshot(page: Page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"  # Playwright creates the folder
    await page.screenshot(path=str(path), full_page=True)
    return path
