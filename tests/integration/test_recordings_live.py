"""Recordings on the real Asterisk 22, through the shipped dialplan: a caller connected
to an agent is recorded by MixMonitor into the daemon's [recordings] directory (told by
/after_hours, Asterisk writing inside its chroot), the ticket links the file, and the
supervisor plays it in Chromium (the <audio> element learns its duration; a Range
request is answered 206 with the file's bytes) while another agent gets 403."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import pytest
from playwright.async_api import expect

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.browser import chromium, screenshot, signed_in_page
from tests.integration.conftest import DaemonProcess, api_client

pytestmark = pytest.mark.asterisk

# Answers after 1 s, says "weasels have eaten our phone system" (about 3 s), talks 2 s
# more and hangs up; the caller stays on for the survey (not recorded).
ZHAO = Agent("3301", "赵敏 zhao", answer_after=1, talk_s=2, says="tt-weasels")
QIAN = Agent("3302", "钱军 qian", answer_after=None)  # never answers: never on the call


async def test_a_queue_call_is_recorded_linked_and_played(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    daemon.cli("db", "upgrade")
    passwords = {"boss": daemon.add_user("boss", "supervisor", name="张主管"),
                 "zhao": daemon.add_user("zhao", "agent", ZHAO.interface, name="赵敏"),
                 "qian": daemon.add_user("qian", "agent", QIAN.interface, name="钱军")}
    before = set(bed.recordings_dir.iterdir())
    daemon.start()
    try:
        async with Controller(bed) as c:
            await c.clear_queues()
            await c.login("support", ZHAO)
            await daemon.logged("agent.state", count=1)
            # Unsatisfied (3), once the agent hung up: the team lead must hear the call.
            c.rate("support", "13800000021", "3", after_s=9)
            c.call("complaints", "13800000022", patience_s=3)  # nobody there: no recording
            await daemon.logged("agi.survey_rated", count=1, timeout=40)
            await daemon.logged("call.abandoned", count=1, timeout=20)
            await daemon.logged("recording.linked", count=1, timeout=20)

        [ticket] = daemon.read("tickets")
        assert (ticket["rating"], ticket["rating_source"]) == ("unsatisfied", "ivr")
        recording = bed.recordings_dir / f"{ticket['linkedid']}.wav"
        assert ticket["recording"] == str(recording)
        assert ticket["recording_deleted_at"] is None
        # One file, the answered call's: the abandoned caller was never bridged.
        assert set(bed.recordings_dir.iterdir()) - before == {recording}
        with wave.open(str(recording)) as w:  # a complete WAV (StopMixMonitor closed it)
            seconds = w.getnframes() / w.getframerate()
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        # Only while bridged: the agent's ~3 s sound (the silent talk after it sends no
        # audio frames), no hold, no survey.
        assert 2.5 <= seconds <= 8.0, seconds
        data = recording.read_bytes()
        assert len(data) > 44 + 8000 * 2 * 2  # header plus seconds of audio
        url = f"/api/tickets/{ticket['id']}/recording"

        boss = await api_client(daemon.url, "boss", passwords["boss"])
        qian = await api_client(daemon.url, "qian", passwords["qian"])
        zhao = await api_client(daemon.url, "zhao", passwords["zhao"])
        try:
            r = await boss.get(url, headers={"Range": "bytes=100-1123"})
            assert r.status_code == 206
            assert r.headers["content-range"] == f"bytes 100-1123/{len(data)}"
            assert r.headers["accept-ranges"] == "bytes"
            assert r.headers["content-type"] == "audio/wav"
            assert r.content == data[100:1124]
            whole = await boss.get(url)
            assert whole.status_code == 200 and whole.content == data
            assert (await zhao.get(url)).status_code == 200  # the agent who took the call
            denied = await qian.get(url)
            assert denied.status_code == 403 and denied.json()["error"] == "web.forbidden"
            assert (await boss.get("/api/tickets/999/recording")).status_code == 404
        finally:
            for client in (boss, qian, zhao):
                await client.aclose()

        async with chromium() as browser:
            page = await signed_in_page(browser, daemon.url, "boss", passwords["boss"])
            # The review list (unsatisfied, not yet reviewed) with the ticket opened.
            await page.goto(f"/tickets?id={ticket['id']}&review")
            audio = page.locator("#recording-audio")
            await expect(audio).to_be_visible(timeout=10_000)
            # Polled from here: Playwright's in-page polling evaluates a string, which the
            # page's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
            for _ in range(100):
                if await audio.evaluate("a => a.readyState") >= 1:  # metadata loaded
                    break
                await asyncio.sleep(0.1)
            duration = await audio.evaluate("a => a.duration")
            assert abs(duration - seconds) < 0.5, (duration, seconds)
            row = page.locator(f"#ticket-list tr[data-ticket='{ticket['id']}']")
            await expect(row).to_be_visible()
            await expect(page.locator("#ticket-list tbody tr")).to_have_count(1)
            await screenshot(page, "ticket-recording")
            other = await signed_in_page(browser, daemon.url, "qian", passwords["qian"])
            status = await other.evaluate(f"fetch('{url}').then(r => r.status)")
            assert status == 403
    finally:
        assert daemon.stop() == 0
