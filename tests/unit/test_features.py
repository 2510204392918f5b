"""Features wire themselves: a feature added through the wiring list alone gets the
outcomes, runs its job and serves its route, with daemon.py untouched; settings load
without the network libraries."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import httpx
from fastapi import APIRouter

from callcenter.config import load
from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Feature, Job
from callcenter.daemon import Daemon
from callcenter.domain import outcomes as oc
from callcenter.domain.leadership import LeaderChange
from callcenter.features import FEATURES, SECTIONS
from callcenter.store import db


class Dummy:
    def __init__(self) -> None:
        self.seen: list[oc.Outcome] = []
        self.ran = asyncio.Event()

    def wire(self, core: Core) -> Contribution:
        router = APIRouter()

        @router.get("/api/dummy")
        async def dummy() -> dict[str, int]:
            return {"outcomes": len(self.seen)}

        async def job() -> None:
            self.ran.set()

        def sink(outcomes: Sequence[oc.Outcome]) -> None:
            self.seen.extend(outcomes)

        return Contribution(outcome_sinks=[sink], jobs=[Job("dummy", 0.05, job)],
                            routers=[router])


async def test_a_dummy_feature_through_the_wiring_list_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/d.db"
    db.upgrade(url)
    dummy = Dummy()
    config = load(None, environ={"CALLCENTER__DATABASE__URL": url,
                                 "CALLCENTER__AMI__PORT": "1",  # nobody there: never connects
                                 "CALLCENTER__WEB__ENABLED": "false"})
    daemon = Daemon(config, features=(*FEATURES, Feature("dummy", wiring=dummy.wire)))
    run = asyncio.create_task(daemon.run())
    try:
        await asyncio.wait_for(dummy.ran.wait(), 5)  # its job runs on the scheduler
        daemon.on_message({"Event": "QueueCallerJoin", "Queue": "support", "Uniqueid": "u1",
                           "Linkedid": "u1", "CallerIDNum": "13800138000", "Position": "1"})
        assert any(isinstance(o, oc.CallJoined) for o in dummy.seen)  # it hears the outcomes
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=daemon.core.app),
                                     base_url="http://test") as client:
            r = await client.get("/api/dummy")  # its route is served
        assert r.status_code == 200 and r.json() == {"outcomes": len(dummy.seen)}
    finally:
        daemon.stop()
        await asyncio.wait_for(run, 10)


def test_every_section_belongs_to_one_feature_or_the_core() -> None:
    config = load(None, environ={})
    names = [kind.SECTION for kind in config.sections]
    assert len(names) == len(set(names))
    assert {"ami", "database", "center", "log", "rules", "storage", "callbacks", "surge",
            "web", "tickets", "webhooks", "outages", "recovery", "agi", "survey",
            "hotline", "reports", "recordings", "keep_place", "complaints", "ledger",
            "ops", "desk", "spy", "cluster", "wallboard"} == set(names)


def test_loading_settings_imports_no_network_library(tmp_path: Path) -> None:
    code = ("import sys; from callcenter.config import load; load(None, environ={}); "
            "print(','.join(m for m in ('panoramisk', 'httpx', 'uvicorn', 'fastapi') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    assert out == ""


def test_the_example_config_documents_every_key() -> None:
    example = tomllib.loads((Path(__file__).parents[2] / "config" / "callcenter.toml")
                            .read_text(encoding="utf-8"))
    missing = [f"{kind.SECTION}.{f.name}" for kind in SECTIONS for f in dataclasses.fields(kind)
               if f.name not in example.get(kind.SECTION, {})]
    assert missing == []


async def test_only_the_leader_runs_jobs_but_everywhere_jobs_run_on_each(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/d.db"
    db.upgrade(url)
    led, local = asyncio.Event(), asyncio.Event()

    async def leader_job() -> None:
        led.set()

    async def local_job() -> None:
        local.set()

    def wire(_core: Core) -> Contribution:
        return Contribution(jobs=[Job("side-effect", 0.05, leader_job),
                                  Job("own-status", 0.05, local_job, everywhere=True)])

    config = load(None, environ={"CALLCENTER__DATABASE__URL": url, "CALLCENTER__AMI__PORT": "1",
                                 "CALLCENTER__WEB__ENABLED": "false"})
    daemon = Daemon(config, features=(Feature("jobs", wiring=wire),))
    daemon.core.leader.join_cluster(lambda _conn, _epoch: True)  # a standby, as [cluster] makes it
    run = asyncio.create_task(daemon.run())
    try:
        await asyncio.wait_for(local.wait(), 5)
        await asyncio.sleep(0.3)
        assert not led.is_set()  # a standby's scheduler skips it
        daemon.core.leader.change(LeaderChange(True, 1, "test", 0.0))
        await asyncio.wait_for(led.wait(), 5)
    finally:
        daemon.stop()
        await asyncio.wait_for(run, 10)
