"""A surge on the real Asterisk (windows shortened by settings): more than 8 callers
waiting pause the callbacks and raise alerts; dialing resumes after the cool-down."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess
from tests.integration.test_callbacks_live import _attempts, _callback_settings

pytestmark = pytest.mark.asterisk


def _surge(daemon: DaemonProcess) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(daemon.cli("surge", "--json").stdout)
    return state


async def test_surge_pauses_callbacks_alerts_and_resumes(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    _callback_settings(daemon)
    with daemon.config.open("a") as cfg:
        cfg.write("""
[storage]
queue_sample_interval_s = 1

[surge]
sustain_s = 12
early_warning_s = 4
cooldown_s = 6
check_interval_s = 0.5
break_reasons = ["午休"]
""")
    daemon.start()
    try:
        async with Controller(bed) as c:
            await c.clear_queues()
            await c.login("callback", Agent("4201", "cb", answer_after=1, talk_s=2))
            await c.login("support", Agent("4202", "午休的人 on lunch", answer_after=None),
                          paused=True, reason="午休")
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            for n in range(9):  # more than 8, all waiting: nobody answers support
                c.call("support", f"1380000{n:04d}", patience_s=22)
            await daemon.logged("surge.transition", count=2, timeout=25)  # early, then level 1
            assert loop.time() - t0 >= 12
            state = _surge(daemon)
            assert state["level"] == "level_1" and state["callbacks_paused"]
            assert state["waiting"] == 9
            alerts = json.loads(daemon.cli("alerts", "--json").stdout)
            kinds = {a["kind"]: a for a in alerts}
            assert {"surge_early_warning", "surge_level_1"} <= set(kinds)
            assert "午休的人" in kinds["surge_level_1"]["message"]  # called back from lunch

            # A callback falls due during the surge: it must wait.
            contacts = tmp_path / "c.csv"
            contacts.write_text("电话\n19901020021\n", encoding="utf-8")
            created = json.loads(daemon.cli("campaigns", "create", "s", "--json").stdout)
            daemon.cli("campaigns", "import", str(created["id"]), str(contacts))
            await asyncio.sleep(3)
            assert _attempts(daemon) == []

            # Callers give up at 22 s; after 6 s of calm the surge ends and dialing resumes.
            await daemon.logged("surge.transition", count=3, timeout=30)
            assert _surge(daemon)["level"] == "normal"
            for _ in range(20):
                if any(a["phone"] == "19901020021" for a in _attempts(daemon)):
                    break
                await asyncio.sleep(0.5)
            assert any(a["phone"] == "19901020021" for a in _attempts(daemon))
            alerts = json.loads(daemon.cli("alerts", "--json").stdout)
            assert all(a["cleared_at"] for a in alerts if a["kind"].startswith("surge"))

        # The 9 callers gave up after 22 s (> abandoned_min_wait_s = 20 s): each got a
        # callback entry in the standing abandoned-callers campaign.
        campaigns = {row["kind"]: row for row in json.loads(daemon.cli("campaigns", "list",
                                                                       "--json").stdout)}
        assert campaigns["abandoned"]["contacts"] == 9
    finally:
        assert daemon.stop() == 0
