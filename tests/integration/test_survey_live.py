"""The caller's side on the real Asterisk 22, through the shipped dialplan and the
daemon's FastAGI server: the post-call survey (callers who stay on the line after
the agent hangs up and press 1, 2 or 3, one who hangs up instead, one who never
reached an agent) and the after-hours promise (hours shifted so that now is
outside them, and a holiday)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess

pytestmark = pytest.mark.asterisk

TZ = ZoneInfo("Asia/Shanghai")  # the center's zone ([center] timezone default)
# Each answers after 1 s and hangs up 4 s later: the caller stays on for the survey.
AGENTS = [Agent(f"31{i:02d}", name, answer_after=1, talk_s=4)
          for i, name in enumerate(("zhao", "qian", "sun", "li"), start=1)]


# How a FastAGI session ends: one of these lines each.
SESSION_ENDS = {"agi.session_ended", "agi.caller_hung_up", "agi.timeout", "agi.protocol",
                "agi.script_failed"}


def _survey_sessions(daemon: DaemonProcess) -> list[dict[str, Any]]:
    return [line for line in daemon.log_lines()
            if line.get("script") == "survey" and line.get("event") in SESSION_ENDS]


def _recorded(bed: TestBed, ticket: dict[str, Any]) -> bool:
    """The ticket links a non-empty recording Asterisk wrote for its call."""
    path = bed.recordings_dir / f"{ticket['linkedid']}.wav"
    return ticket["recording"] == str(path) and path.stat().st_size > 44


async def test_callers_rate_the_call_after_the_agent_hangs_up(
        bed: TestBed, daemon: DaemonProcess) -> None:
    async with Controller(bed) as c:
        await c.clear_queues()
        for agent in AGENTS:
            await c.login("support", agent)
        await daemon.logged("agent.state", count=len(AGENTS))
        # One at a time into the ringall queue, so each gets an agent of their own.
        for number, key in (("13800000001", "1"), ("13800000002", "2"), ("13800000003", "3")):
            c.rate("support", number, key, after_s=7)
            await asyncio.sleep(0.7)
        c.call("support", "13800000004", patience_s=12)  # hangs up during the survey
        c.call("complaints", "13800000005", patience_s=4)  # nobody there: gives up waiting
        await daemon.logged("agi.survey_rated", count=3, timeout=40)
        await daemon.logged("call.abandoned", count=1, timeout=20)
        await daemon.logged("agi.caller_hung_up", count=1, timeout=20)
        await daemon.logged("recording.linked", count=4, timeout=20)  # every answered call

    tickets = {t["caller_number"]: t for t in daemon.read("tickets")}
    assert set(tickets) == {"13800000001", "13800000002", "13800000003", "13800000004"}
    assert [(tickets[n]["rating"], tickets[n]["rating_source"])
            for n in ("13800000001", "13800000002", "13800000003", "13800000004")] == [
        ("satisfied", "ivr"), ("ordinary", "ivr"), ("unsatisfied", "ivr"), (None, None)]
    unhappy = tickets["13800000003"]
    review = (datetime.fromisoformat(unhappy["review_due_at"])
              - datetime.fromisoformat(unhappy["rated_at"]))
    assert abs(review - timedelta(hours=2)) <= timedelta(seconds=1)
    assert all(tickets[n]["review_due_at"] is None
               for n in ("13800000001", "13800000002", "13800000004"))
    assert all(_recorded(bed, t) for t in tickets.values())

    # The points ledger: -3 for the agent the unsatisfied caller rated, nothing else
    # (every agent answered at once: no three-ring penalty).
    points = {a["agent"]: a["points"] for a in daemon.read("agents")}
    assert points[unhappy["agent"]] == -3
    assert sum(points.values()) == -3

    # Only calls an agent answered were surveyed: 3 rated, 1 hung up; the caller who
    # gave up in the queue never reached the survey.
    lines = _survey_sessions(daemon)
    assert sorted(line["event"] for line in lines) == [
        "agi.caller_hung_up", "agi.session_ended", "agi.session_ended", "agi.session_ended"]
    assert {line["linkedid"] for line in lines} == {t["linkedid"] for t in tickets.values()}
    assert all(line["uniqueid"] for line in lines)


def _hours_without(now: datetime) -> str:
    """A daily range that leaves out the present moment."""
    start = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    if start.date() != now.date() or start.hour > 21:  # late: a morning range instead
        return "01:00-02:00" if now.hour >= 3 else "05:00-06:00"
    return f"{start:%H:%M}-{start.hour + 1:02d}:00"


def _campaign_contacts(daemon: DaemonProcess) -> list[dict[str, Any]]:
    campaigns: list[dict[str, Any]] = json.loads(daemon.cli("campaigns", "list", "--json").stdout)
    return [c for c in campaigns if c["kind"] == "after_hours"]


async def _call_after_hours(bed: TestBed, daemon: DaemonProcess, number: str) -> list[str]:
    """Two calls from one number; the dialplan applications the first one ran."""
    async with Controller(bed) as c:
        await c.clear_queues()
        await c.login("support", AGENTS[0])
        await daemon.logged("agent.state", count=1)
        # The Local channel's first half runs the inbound dialplan: its id is ours to give.
        call_id = f"after-hours-{number}-{time.time_ns()}"
        c.call("support", number, patience_s=20, channel_id=call_id)
        await daemon.logged("agi.after_hours", count=1)
        # The dialplan hangs up (clear_queues may have ended an earlier test's caller).
        hangup = await c.wait_for_event("Hangup", timeout=20, uniqueid=call_id)
        ran = [f"{e.get('Application')}({e.get('AppData')})" for e in c.events
               if e.get("Event") == "Newexten" and e.get("Uniqueid") == hangup.get("Uniqueid")]
    async with Controller(bed) as c:  # the same number again: still one request
        c.call("support", number, patience_s=5)
        await daemon.logged("agi.after_hours", count=2)
    return ran


def _after_hours_daemon(bed: TestBed, tmp_path: Path, settings: str) -> DaemonProcess:
    daemon = DaemonProcess(bed, tmp_path, extra=settings)
    daemon.start()
    return daemon


async def test_a_call_outside_the_hours_gets_the_promise_and_no_queue(
        bed: TestBed, tmp_path: Path) -> None:
    now = datetime.now(TZ)
    daemon = _after_hours_daemon(bed, tmp_path, f'[hotline]\nhours = "{_hours_without(now)}"\n')
    try:
        ran = await _call_after_hours(bed, daemon, "13900000006")
    finally:
        assert daemon.stop() == 0
    # The shipped dialplan followed the script's answer: the promise, no queue.
    assert "Playback(vm-nobodyavail)" in ran and "Playback(auth-thankyou&goodbye)" in ran
    assert any(app.startswith("SayUnixTime(") and "Asia/Shanghai" in app for app in ran)
    assert not any(app.startswith("Queue(") for app in ran), ran
    lines = [line for line in daemon.log_lines() if line.get("event") == "agi.after_hours"]
    assert [line["callback"] for line in lines] == ["added", "already_open"]
    assert lines[0]["caller_number"] == "139****0006" and lines[0]["linkedid"]
    assert not [line for line in daemon.log_lines() if line.get("event") == "call.joined"]
    assert daemon.read("tickets") == []
    [campaign] = _campaign_contacts(daemon)
    assert (campaign["contacts"], campaign["pending"]) == (1, 1)
    # Due in the first hour the hotline is open again, and dialed from then on.
    due = datetime.fromisoformat(lines[0]["due_at"])
    opening = datetime.fromisoformat(lines[0]["call_back_from"])
    assert due - opening == timedelta(hours=1) and opening > now


async def test_a_holiday_counts_as_outside_the_hours(bed: TestBed, tmp_path: Path) -> None:
    today = datetime.now(TZ).date().isoformat()
    # Open all day on working days, but today is a holiday.
    daemon = _after_hours_daemon(bed, tmp_path, f"""[hotline]
hours = "00:00-23:59"

[callbacks]
holidays = ["{today}"]
""")
    try:
        ran = await _call_after_hours(bed, daemon, "13900000007")
    finally:
        assert daemon.stop() == 0
    assert not any(app.startswith("Queue(") for app in ran), ran
    lines = [line for line in daemon.log_lines() if line.get("event") == "agi.after_hours"]
    assert lines[0]["callback"] == "added"
    assert datetime.fromisoformat(lines[0]["call_back_from"]).date() > datetime.now(TZ).date()
    assert not [line for line in daemon.log_lines() if line.get("event") == "call.joined"]
    [campaign] = _campaign_contacts(daemon)
    assert campaign["contacts"] == 1
