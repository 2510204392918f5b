"""The surge monitor's measures as AMI actions (recorded by the fake AMI server)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from callcenter.ami.client import AmiClient
from callcenter.ami.settings import AmiSettings
from callcenter.config import load
from callcenter.domain import events as ev
from callcenter.domain.clock import ManualClock
from callcenter.domain.rules import RingRules
from callcenter.domain.surge import Sample, SurgeLevel, SurgeTransition
from callcenter.domain.tracker import Tracker
from callcenter.store import db
from callcenter.store import models as m
from callcenter.surge.ami import carry_out
from callcenter.surge.service import load_series
from callcenter.surge.settings import SurgeSection, surge_config
from tests.fakeami import FakeAmi


async def test_level_2_brings_supervisors_in_and_out_and_unpauses_breaks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    db.upgrade(url)
    config = load(None, environ={
        "CALLCENTER__DATABASE__URL": url, "CALLCENTER__SURGE__SUPERVISORS": "PJSIP/boss",
        "CALLCENTER__SURGE__SUPERVISOR_QUEUES": "support,complaints",
        "CALLCENTER__SURGE__UNPAUSE_BREAKS": "true"})
    fake = FakeAmi()
    port = await fake.start()
    client = AmiClient(AmiSettings(port=port, username="cc", secret=fake.secret),
                       on_message=lambda _m: None)
    task = asyncio.create_task(client.run())
    await client.wait_connected(3)
    clock = ManualClock(1000.0)
    tracker = Tracker(RingRules(), clock)
    tracker.handle(ev.MemberUpdated("support", "PJSIP/amy", "amy", 1, True, "午休", False))
    tracker.handle(ev.MemberUpdated("support", "PJSIP/ben", "ben", 1, True, "培训", False))
    settings = surge_config(config.get(SurgeSection), 5)
    on_break = tracker.agents_paused_for(settings.break_reasons)
    evidence = (Sample(990.0, 17),)
    await carry_out(client, settings, SurgeTransition(SurgeLevel.NORMAL, SurgeLevel.LEVEL_2,
                                                      1000.0, 17, evidence), on_break)
    await carry_out(client, settings, SurgeTransition(SurgeLevel.LEVEL_2, SurgeLevel.NORMAL,
                                                      2000.0, 3, evidence), on_break)
    client.stop()
    await task
    await fake.stop()
    sent = [(a["Action"], a.get("Queue"), a.get("Interface"), a.get("Paused"))
            for a in fake.actions if a["Action"] not in ("Login", "Ping")]
    assert sent == [
        ("QueuePause", "support", "PJSIP/amy", "false"),  # on a break: back to work
        ("QueueAdd", "support", "PJSIP/boss", "false"),
        ("QueueAdd", "complaints", "PJSIP/boss", "false"),
        ("QueueRemove", "support", "PJSIP/boss", None),
        ("QueueRemove", "complaints", "PJSIP/boss", None),
    ]  # ben's pause (training) is not a break: left alone


def test_total_scope_sums_queues_per_sample_bucket(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/t.db"
    db.upgrade(url)
    engine = db.engine_for(url)
    with engine.begin() as conn:
        conn.execute(m.QueueSample.__table__.insert(), [
            {"queue": "support", "at": 100.1, "waiting": 5, "longest_wait_s": 0},
            {"queue": "complaints", "at": 100.2, "waiting": 4, "longest_wait_s": 0},
            {"queue": "support", "at": 105.1, "waiting": 6, "longest_wait_s": 0},
            {"queue": "complaints", "at": 105.2, "waiting": 1, "longest_wait_s": 0},
        ])
    assert [s.waiting for s in load_series(engine, 0, 5, "total")] == [9, 7]
    assert [s.waiting for s in load_series(engine, 0, 5, "per_queue")] == [5, 6]
