"""The real Asterisk test bed and the daemon as a real process, for integration tests.

If Asterisk cannot start, these tests fail: they never skip."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from callcenter.testbed.asterisk import DAEMON_SECRET, DAEMON_USER, TestBed, free_port


@pytest.fixture(scope="session")
def bed() -> Iterator[TestBed]:
    test_bed = TestBed(name=f"it{os.getpid()}")
    test_bed.start()  # builds the chroot on first use; raises (fails) if it cannot
    yield test_bed
    test_bed.stop()


class DaemonProcess:
    def __init__(self, bed: TestBed, workdir: Path, extra: str = "",
                 database_url: str | None = None, database_extra: str = "",
                 ami_port: int | None = None, agi_port: int | None = None) -> None:
        self.web_port = free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.config = workdir / "callcenter.toml"
        self.log = workdir / "daemon.log"
        self.config.write_text(f"""
[ami]
port = {ami_port or bed.ami_port}
username = "{DAEMON_USER}"
secret = "{DAEMON_SECRET}"
ping_interval_s = 1
ping_timeout_s = 1
backoff_initial_s = 0.2
backoff_max_s = 2
queue_log = "{bed.queue_log}"

[database]
url = "{database_url or f'sqlite:///{workdir}/callcenter.db'}"
{database_extra}

[rules]
wrapup_s = 5  # as the shipped queues.conf wrapuptime: Asterisk rings nobody meanwhile

[web]
port = {self.web_port}

[agi]
port = {agi_port or bed.agi_port}
{self._hotline(extra)}
{self._recordings(bed, extra)}
{extra}
""")
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def _hotline(extra: str) -> str:
        """The test bed's callers call at any hour: the hotline is open around the clock
        unless a test sets its own hours."""
        return "" if "[hotline]" in extra else "[hotline]\nalways_open = true\n"

    @staticmethod
    def _recordings(bed: TestBed, extra: str) -> str:
        """Asterisk records into the test bed's own directory, which the daemon reads
        from outside the chroot."""
        if "[recordings]" in extra:
            return ""
        return (f'[recordings]\ndir = "{bed.recordings_dir}"\n'
                f'asterisk_dir = "{bed.recordings_asterisk_dir}"\nlink_interval_s = 1\n')

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "callcenter.cli.main", "--config",
                               str(self.config), *args], capture_output=True, text=True,
                              check=check, timeout=60)

    def add_user(self, username: str, role: str, interface: str | None = None,
                 name: str = "") -> str:
        """A web user; returns the password (read from stdin, as a script would)."""
        password = f"pw-{username}-secret"
        args = ["users", "add", username, "--role", role, "--password-stdin", "--name",
                name or username]
        if interface:
            args += ["--interface", interface]
        subprocess.run([sys.executable, "-m", "callcenter.cli.main", "--config", str(self.config),
                        *args], input=password + "\n", capture_output=True, text=True,
                       check=True, timeout=60)
        return password

    def read(self, what: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = json.loads(self.cli(what, "--json").stdout)
        return rows

    def start(self) -> None:
        self.cli("db", "upgrade")
        # The log is kept across restarts: wait for this run's own resync.
        resynced = sum(1 for line in self.log_lines() if line.get("event") == "ami.resynced")
        with self.log.open("ab") as out:
            # A session (and process group) of its own, as under systemd or a terminal:
            # tests can signal the whole group (os.killpg), as Ctrl-C and systemctl stop do.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "callcenter.cli.main", "--config", str(self.config), "run"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_log("ami.resynced", count=resynced + 1)

    def log_lines(self) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = []
        if not self.log.exists():  # not started yet
            return lines
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def _seen(self, event: str, count: int) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"daemon exited: {self.log.read_text()[-3000:]}")
        return sum(1 for line in self.log_lines() if line.get("event") == event) >= count

    def wait_log(self, event: str, count: int = 1, timeout: float = 20.0) -> None:
        """Blocking wait: only outside an event loop (fixtures, sync code)."""
        deadline = time.monotonic() + timeout
        while not self._seen(event, count):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count}x {event} in log: {self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    async def logged(self, event: str, count: int = 1, timeout: float = 20.0) -> None:
        """Wait for `count` log lines of `event` without blocking the test's loop."""
        deadline = time.monotonic() + timeout
        while not self._seen(event, count):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count}x {event} in log: {self.log.read_text()[-3000:]}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def signal_group(self, sig: int, timeout: float = 40.0) -> int:
        """Send `sig` to the daemon's whole process group (the writer process included),
        as Ctrl-C in a terminal or systemd's default KillMode do; its exit code."""
        if self.process is None:
            return 0
        os.killpg(self.process.pid, sig)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def stop(self) -> int:
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(20)
        self.process = None
        return code


async def api_client(url: str, username: str, password: str) -> httpx.AsyncClient:
    """An HTTP client signed in to the daemon's web API as `username` (the sign-in page's
    CSRF cookie sent back as its header)."""
    client = httpx.AsyncClient(base_url=url)
    await client.get("/login")
    r = await client.post("/api/login", json={"username": username, "password": password},
                          headers={"X-CSRF-Token": client.cookies["cc_login_csrf"]})
    assert r.status_code == 200, r.text
    return client


def dial_all_day() -> str:
    """`[callbacks]` lines that let the dialer call at any hour of today, in the center's
    zone (today made a working day: a test may run on a weekend or a holiday)."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    return f"""outer_bound = "00:00-23:59"
summer_hours = "00:00-23:59"
summer_lunch = ""
winter_hours = "00:00-23:59"
winter_lunch = ""
makeup_workdays = ["{today}"]
"""


@pytest.fixture
def daemon(bed: TestBed, tmp_path: Path) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(bed, tmp_path)
    proc.start()
    yield proc
    assert proc.stop() == 0
