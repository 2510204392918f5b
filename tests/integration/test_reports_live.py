"""The reports against Asterisk's own record (issue 12): a scripted mix on the real
Asterisk 22 test bed (answered fast and late, abandoned before and after the
short-abandon threshold, a queue timeout, ring-no-answers, pauses with reasons),
then the daemon's 15-minute figures (`callcenter report ... --interval 15m --json`)
against the test bed's queue_log, read by a small parser of this test's own: counts
equal, times within 1 s.  Wrap-up, which queue_log does not log, is what Asterisk
applied: the shipped queues.conf's `wrapuptime` after each COMPLETE line, cut short
by the member's removal."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from callcenter.testbed.asterisk import DIALPLAN_DIR, TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess

pytestmark = pytest.mark.asterisk

SETTINGS = """
[recovery]
read_interval_s = 1

[reports]
close_interval_s = 1
"""
QUEUE = "support"
FAST = Agent("4401", "rep-fast", answer_after=2, talk_s=3600)
SLOW = Agent("4402", "rep-slow", answer_after=16, talk_s=3600)
DEAF = Agent("4403", "rep-deaf", answer_after=None)
BREAK = Agent("4404", "rep-break", answer_after=2)


def wrapuptime() -> float:
    """The wrap-up Asterisk applies: the shipped queues.conf the test bed loaded."""
    found = re.search(r"^wrapuptime\s*=\s*(\d+)",
                      (DIALPLAN_DIR / "queues_callcenter.conf").read_text(), re.MULTILINE)
    assert found is not None
    return float(found.group(1))


def queue_log_since(path: Path, offset: int) -> list[list[str]]:
    """This test's own reading of queue_log: `time|callid|queue|agent|event|data...`."""
    with path.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8")
    return [line.split("|") for line in text.splitlines() if line.count("|") >= 4]


def expected(lines: list[list[str]]) -> dict[str, Any]:
    mine = [x for x in lines if x[2] == QUEUE]
    events = Counter(x[4] for x in mine)
    connects = [float(x[5]) for x in mine if x[4] == "CONNECT"]
    abandons = [float(x[7]) for x in mine if x[4] == "ABANDON"]
    exits = [float(x[7]) for x in mine if x[4] in ("EXITWITHTIMEOUT", "EXITEMPTY")]
    talk: Counter[str] = Counter()
    wrapup: Counter[str] = Counter()
    for i, x in enumerate(mine):
        if x[4] in ("COMPLETECALLER", "COMPLETEAGENT"):
            talk[x[3]] += int(x[6])
            ended = float(x[0])
            removed = [float(y[0]) for y in mine[i:] if y[4] == "REMOVEMEMBER" and y[3] == x[3]]
            wrapup[x[3]] += min([wrapuptime(), *(r - ended for r in removed[:1])])
    return {
        "offered": events["ENTERQUEUE"], "answered": events["CONNECT"],
        "abandoned": sum(w >= 5 for w in abandons),
        "short_abandoned": sum(w < 5 for w in abandons),
        "timeouts": events["EXITWITHTIMEOUT"],
        "asa_s": sum(connects) / len(connects),
        "longest_wait_s": max(connects + abandons + exits),
        "talk_s": dict(talk), "wrapup_s": dict(wrapup),
        "aht_s": (sum(talk.values()) + sum(wrapup.values())) / events["CONNECT"],
        "missed_rings": dict(Counter(x[3] for x in mine if x[4] == "RINGNOANSWER")),
    }


def report(daemon: DaemonProcess, what: str, interval: str | None = "15m") -> list[dict[str, Any]]:
    today = date.today()
    rows: list[dict[str, Any]] = json.loads(daemon.cli(
        "report", what, "--from", str(today - timedelta(days=1)), "--to",
        str(today + timedelta(days=1)), *(("--interval", interval) if interval else ()),
        "--json").stdout)
    return rows


def summed(rows: list[dict[str, Any]], key: str, name: str) -> dict[str, float]:
    out: Counter[str] = Counter()
    for row in rows:
        if row[key] == name:
            for column, value in row.items():
                if isinstance(value, int | float) and column not in ("longest_wait_s",):
                    out[column] += value
            out["longest_wait_s"] = max(out["longest_wait_s"], row.get("longest_wait_s") or 0)
    return dict(out)


async def _mix(c: Controller) -> None:
    """About 85 s of calls, one at a time so each ends as scripted."""
    await c.login(QUEUE, FAST)
    c.call(QUEUE, "13800000001", patience_s=8)  # answered after 2 s
    await asyncio.sleep(15)  # the whole wrap-up (5 s) before the agent leaves
    await c.logout(QUEUE, FAST)
    await c.login(QUEUE, SLOW)
    c.call(QUEUE, "13800000002", patience_s=20)  # answered after 16 s: late, within T
    await asyncio.sleep(27)
    await c.logout(QUEUE, SLOW)
    await c.login(QUEUE, DEAF)
    c.call(QUEUE, "13800000003", patience_s=3)  # gives up after 3 s: a short abandon
    await asyncio.sleep(5)
    c.call(QUEUE, "13800000004", patience_s=8)  # gives up after 8 s: abandoned
    await asyncio.sleep(10)
    c.call(QUEUE, "13800000005", patience_s=20, queue_timeout_s=6)  # the queue's timeout
    await asyncio.sleep(9)
    c.call(QUEUE, "13800000006", patience_s=23)  # rings out at 20 s, gives up at 23 s
    await asyncio.sleep(25)
    await c.logout(QUEUE, DEAF)


async def _breaks(c: Controller) -> None:
    """An agent of another queue on two breaks with their reasons."""
    await c.login("complaints", BREAK)
    await asyncio.sleep(2)
    await c.pause("complaints", BREAK, True, "lunch")
    await asyncio.sleep(6)
    await c.pause("complaints", BREAK, False)
    await asyncio.sleep(2)
    await c.pause("complaints", BREAK, True, "training")
    await asyncio.sleep(4)
    await c.pause("complaints", BREAK, False)
    await asyncio.sleep(2)
    await c.logout("complaints", BREAK)


async def test_interval_figures_equal_queue_logs(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path, SETTINGS)
    offset = bed.queue_log.stat().st_size
    daemon.start()
    try:
        await daemon.logged("queue_log.started")
        async with Controller(bed) as c:
            await c.clear_queues()
            await asyncio.gather(_mix(c), _breaks(c))
        await asyncio.sleep(5)  # queue_log lines are read once past the link's ping deadline
        want = expected(queue_log_since(bed.queue_log, offset))
        assert want["offered"] == 6 and want["timeouts"] == 1 and want["short_abandoned"] == 1
        deadline = time.monotonic() + 30
        while True:  # the timeout's exit reaches the figures with queue_log's next read
            queues = summed(report(daemon, "queues"), "queue", QUEUE)
            if queues.get("timeouts") == want["timeouts"] or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        print("queue_log:", want, "\ndaemon:", queues)  # shown with -s
        for column in ("offered", "answered", "abandoned", "short_abandoned", "timeouts"):
            assert queues[column] == want[column], column
        rows = [r for r in report(daemon, "queues") if r["queue"] == QUEUE]
        assert all(r["interval_start"][14:16] in ("00", "15", "30", "45") for r in rows)
        if len(rows) == 1:  # the mix fell into one interval: its ratios stand alone
            assert abs(rows[0]["asa_s"] - want["asa_s"]) <= 1.0
            # Service level: 2 answered within 20 s ÷ (2 answered + 2 abandoned).
            assert rows[0]["service_level_pct"] == 50.0
            assert rows[0]["three_ring_pct"] == 50.0
        assert abs(queues["longest_wait_s"] - want["longest_wait_s"]) <= 1.0
        asa = sum(r["asa_s"] * r["answered"] for r in rows if r["answered"]) / queues["answered"]
        assert abs(asa - want["asa_s"]) <= 1.0
        agents = report(daemon, "agents")
        for name, talk in want["talk_s"].items():
            assert abs(summed(agents, "agent", name)["talk_s"] - talk) <= 1.0, name
        for agent in (FAST, SLOW, DEAF):
            got = summed(agents, "agent", agent.name).get("missed_rings", 0)
            assert got == want["missed_rings"].get(agent.name, 0), agent.name
        assert want["missed_rings"].get(DEAF.name, 0) >= 2  # the timeout's and the ring-out
        breaks = summed(agents, "agent", BREAK.name)
        assert 9.0 <= breaks["paused_s"] <= 11.0  # 6 s lunch + 4 s training
        assert breaks["logged_in_s"] >= 14.0
        assert summed(agents, "agent", SLOW.name)["violations"] == 1
        # Wrap-up and AHT as Asterisk applied them (queues.conf's wrapuptime, 5 s).
        assert set(want["wrapup_s"]) == {FAST.name, SLOW.name}
        for name, wrapup in want["wrapup_s"].items():
            assert wrapup == wrapuptime(), name  # neither agent left during it
            assert abs(summed(agents, "agent", name)["wrapup_s"] - wrapup) <= 1.0, name
        (whole,) = [r for r in report(daemon, "queues", None) if r["queue"] == QUEUE]
        print("aht:", want["aht_s"], "daemon:", whole["aht_s"])
        assert abs(whole["aht_s"] - want["aht_s"]) <= 1.0
        for row in report(daemon, "agents", None):
            if row["agent"] in want["wrapup_s"]:
                handle = row["talk_s"] + row["wrapup_s"]
                assert abs(handle - want["talk_s"][row["agent"]] - wrapuptime()) <= 1.0
    finally:
        assert daemon.stop() == 0
