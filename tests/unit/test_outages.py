"""Outages are told: the AMI link down longer than its setting raises a critical alert
that reaches the pages' bus and a local webhook receiver, cleared once when Asterisk
is back; `callcenter status` reads the parts from the daemon's status file."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from callcenter.config import load
from callcenter.daemon import Daemon
from callcenter.domain.alerts import AlertChange, AlertTransition
from callcenter.store import db
from tests.fakeami import FakeAmi
from tests.unit.test_webhooks import Receiver, receiver

__all__ = ["receiver"]  # the local HTTP receiver fixture


async def _until(check: object, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_ami_down_is_alerted_and_cleared(tmp_path: Path, receiver: Receiver) -> None:
    url = f"sqlite:///{tmp_path}/o.db"
    db.upgrade(url)
    fake = FakeAmi()
    port = await fake.start()
    config_file = tmp_path / "c.toml"
    config_file.write_text(f"""
[database]
url = "{url}"
[ami]
port = {port}
username = "cc"
secret = "{fake.secret}"
ping_interval_s = 0.3
ping_timeout_s = 0.3
backoff_initial_s = 0.1
backoff_max_s = 0.3
[web]
enabled = false
[outages]
ami_alert_after_s = 1
status_interval_s = 0.2
[webhooks]
targets = [{{ kind = "json", url = "{receiver.url('/ops')}", name = "ops" }}]
backoff_initial_s = 0.05
""")
    daemon = Daemon(load(config_file, environ={}))
    published: list[AlertTransition] = []
    daemon.core.alerts.subscribe(published.extend)
    run = asyncio.create_task(daemon.run())
    try:
        await daemon.core.ami.wait_connected(5)
        await fake.stop()  # Asterisk goes away
        await asyncio.sleep(0.5)
        assert published == []  # not yet: shorter than ami_alert_after_s
        await _until(lambda: any(t.change is AlertChange.RAISED for t in published))
        raised = [t for t in published if t.kind == "outage_ami"]
        assert [(t.change, t.level) for t in raised] == [(AlertChange.RAISED, "critical")]
        assert "报告系统管理员" in raised[0].message and raised[0].alert_id > 0
        await fake.start(port)  # Asterisk is back
        await _until(lambda: any(t.change is AlertChange.CLEARED for t in published))
        await _until(lambda: len(receiver.seen("/ops")) >= 2)
        await asyncio.sleep(0.5)  # the status file catches up
        out = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-m", "callcenter.cli.main", "--config", str(config_file), "status",
            "--json"], capture_output=True, text=True, check=True, timeout=60)
    finally:
        daemon.stop()
        await asyncio.wait_for(run, 15)
        await fake.stop()
    changes = [r.body["change"] for r in receiver.seen("/ops")]
    assert changes == ["raised", "cleared"]  # once each
    status = json.loads(out.stdout)
    assert status["fresh"] and status["parts"]["ami"]["ok"] is True
    assert status["parts"]["ami"]["detail"] == "connected"


def test_status_without_a_daemon_says_so(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n')
    db.upgrade(f"sqlite:///{tmp_path}/x.db")
    result = subprocess.run([sys.executable, "-m", "callcenter.cli.main", "--config", str(cfg),
                             "status"], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 1 and "status.missing" in result.stderr


def test_status_works_while_the_database_is_gone(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    status = tmp_path / "status.json"
    cfg.write_text('[database]\nurl = "postgresql+psycopg://nobody@127.0.0.1:9/none"\n'
                   f'[outages]\nstatus_file = "{status}"\n')
    status.write_text(json.dumps({"written_at": 0, "pid": 1, "interval_s": 5, "parts": {
        "database": {"ok": False, "detail": "unreachable", "since": 0, "figures": {}}}}))
    result = subprocess.run([sys.executable, "-m", "callcenter.cli.main", "--config", str(cfg),
                             "status", "--json"], capture_output=True, text=True, check=False,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["parts"]["database"]["ok"] is False and shown["fresh"] is False
