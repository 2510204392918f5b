"""The surge monitor's measures as AMI actions (recorded by the fake AMI server)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from structlog.testing import capture_logs

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
    await carry_out(lambda _i: client, settings, SurgeTransition(
        SurgeLevel.NORMAL, SurgeLevel.LEVEL_2, 1000.0, 17, evidence), on_break)
    await carry_out(lambda _i: client, settings, SurgeTransition(
        SurgeLevel.LEVEL_2, SurgeLevel.NORMAL, 2000.0, 3, evidence), on_break)
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


async def test_each_action_goes_to_the_server_that_phone_is_on(tmp_path: Path) -> None:
    """Two servers: amy's break ends on pbx2 (where she is a member), the supervisor
    joins on pbx1 (where his phone is); pbx3 is down: its agent's action fails
    alone, logged, and the others still go."""
    config = load(None, environ={
        "CALLCENTER__DATABASE__URL": f"sqlite:///{tmp_path}/s.db",
        "CALLCENTER__SURGE__SUPERVISORS": "PJSIP/boss",
        "CALLCENTER__SURGE__SUPERVISOR_QUEUES": "support",
        "CALLCENTER__SURGE__UNPAUSE_BREAKS": "true"})
    fakes = [FakeAmi(), FakeAmi()]
    clients, tasks = [], []
    for n, fake in enumerate(fakes, 1):
        port = await fake.start()
        client = AmiClient(AmiSettings(name=f"pbx{n}", port=port, username="cc",
                                       secret=fake.secret), on_message=lambda _m: None)
        tasks.append(asyncio.create_task(client.run()))
        await client.wait_connected(3)
        clients.append(client)
    down = AmiClient(AmiSettings(name="pbx3", port=1, username="cc", secret="x"),
                     on_message=lambda _m: None)  # never started: not connected
    tracker = Tracker(RingRules(), ManualClock(1000.0))
    for agent in ("amy", "cid"):
        tracker.handle(ev.MemberUpdated("support", f"PJSIP/{agent}", agent, 1, True, "午休",
                                        False))
    settings = surge_config(config.get(SurgeSection), 5)
    where = {"PJSIP/amy": clients[1], "PJSIP/boss": clients[0], "PJSIP/cid": down}
    with capture_logs() as logs:
        await carry_out(where.__getitem__, settings, SurgeTransition(
            SurgeLevel.NORMAL, SurgeLevel.LEVEL_2, 1000.0, 17, (Sample(990.0, 17),)),
            tracker.agents_paused_for(settings.break_reasons))
    for client in clients:
        client.stop()
    await asyncio.gather(*tasks)
    for fake in fakes:
        await fake.stop()
    sent = [[(a["Action"], a.get("Interface")) for a in fake.actions
             if a["Action"] not in ("Login", "Ping", "CoreSettings", "Events")] for fake in fakes]
    assert sent == [[("QueueAdd", "PJSIP/boss")], [("QueuePause", "PJSIP/amy")]]
    failed = [e for e in logs if e["event"] == "surge.action_failed"]
    assert [(e["interface"], e["server"]) for e in failed] == [("PJSIP/cid", "pbx3")]


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
