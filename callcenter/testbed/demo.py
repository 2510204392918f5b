"""The main job, end to end on one machine: the bundled Asterisk, the daemon on
SQLite, and simulated inbound traffic.  Prints what supervisors would see.

    python -m callcenter.testbed.demo [--minutes 2] [--workdir DIR] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from callcenter import logs
from callcenter.testbed.asterisk import DAEMON_SECRET, DAEMON_USER, TestBed
from callcenter.testbed.control import Agent, Controller

# A small hotline team: most answer well inside three rings, one is slow, one is
# often away from the desk.
AGENTS = (
    Agent("5001", "张敏 zhang.min", answer_after=3),
    Agent("5002", "李强 li.qiang", answer_after=6),
    Agent("5003", "王芳 wang.fang", answer_after=17),
    Agent("5004", "刘洋 liu.yang", answer_after=None),
)


def _every_day() -> str:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return json.dumps([(today + timedelta(days=n)).isoformat() for n in range(-1, 3)])


# Simulated customers for the follow-up campaign: the number decides what happens.
CUSTOMERS = (("陈女士", "19901030101"), ("杨先生", "19902000102"), ("赵女士", "19903000103"),
             ("黄先生", "19905000104"), ("周女士", "19906000105"), ("吴先生", "19901050106"))


def _config(bed: TestBed, workdir: Path, web_port: int) -> Path:
    path = workdir / "callcenter.toml"
    path.write_text(f"""# written by the demo
[ami]
port = {bed.ami_port}
username = "{DAEMON_USER}"
secret = "{DAEMON_SECRET}"

[database]
url = "sqlite:///{workdir}/callcenter.db"

[web]
port = {web_port}

[agi]
port = {bed.agi_port}                 # where the test bed's ${{CC_AGI}} points

# Asterisk records inside its chroot; the daemon reads the same files from outside.
[recordings]
dir = "{bed.recordings_dir}"
asterisk_dir = "{bed.recordings_asterisk_dir}"

# The demo dials the test bed's simulated customers, around the clock and every day
# (a real center keeps the defaults: 08:00-21:00, working hours, working days).
[callbacks]
channel_template = "Local/{{number}}@testbed-customers/n"
ring_timeout_s = 15
gap_busy_s = 20
gap_no_answer_s = 20
gap_powered_off_s = 20
outer_bound = "00:00-23:59"
summer_hours = "00:00-23:59"
summer_lunch = ""
winter_hours = "00:00-23:59"
winter_lunch = ""
makeup_workdays = {_every_day()}
""", encoding="utf-8")
    return path


DEMO_PASSWORD = "demo-password"  # noqa: S105 - the demo's own, printed on purpose


def _web_users(config: Path) -> None:
    """A supervisor and one user per simulated agent, tied to its queue member."""
    users: list[tuple[str, str, str | None, str]] = [("zhuguan", "supervisor", None, "张主管")]
    users += [(a.name.split()[1], "agent", a.interface, a.name.split()[0]) for a in AGENTS]
    for username, role, interface, name in users:
        args = ["users", "add", username, "--role", role, "--name", name, "--password-stdin"]
        if interface:
            args += ["--interface", interface]
        subprocess.run([sys.executable, "-m", "callcenter.cli.main", "--config", str(config), *args],
                       input=DEMO_PASSWORD + "\n", capture_output=True, text=True, check=True)


def _cli(config: Path, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "callcenter.cli.main", "--config", str(config),
                             *args], capture_output=True, text=True, check=True)
    return result.stdout


async def _traffic(bed: TestBed, minutes: float, rng: random.Random) -> int:
    calls = 0
    async with Controller(bed) as c:
        await c.clear_queues()
        for agent in AGENTS:
            await c.login("support", Agent(agent.agent_id, agent.name, agent.answer_after,
                                           talk_s=rng.randint(15, 40)))
        await c.login("callback", Agent("5001", AGENTS[0].name, answer_after=2, talk_s=10))
        await c.pause("support", AGENTS[3], True, "午休 lunch")
        end = time.monotonic() + minutes * 60
        while time.monotonic() < end:
            calls += 1
            number = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
            if rng.random() < 0.2:
                number = "+86" + number
            c.call("support", number, patience_s=rng.randint(10, 60))
            if calls == 6:  # the slow agent's colleague comes back from lunch
                await c.pause("support", AGENTS[3], False)
            await asyncio.sleep(rng.expovariate(1 / 8))
        await asyncio.sleep(20)
    return calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/callcenter-demo"))  # noqa: S108 - a demo
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--web-port", type=int, default=8080)
    args = parser.parse_args()
    logs.configure("WARNING")  # the daemon's own log goes to its file
    args.workdir.mkdir(parents=True, exist_ok=True)
    for old in args.workdir.glob("callcenter.db*"):
        old.unlink()
    bed = TestBed(name="demo")
    print("starting Asterisk 22 (test bed chroot) ...", flush=True)
    bed.start()
    daemon: subprocess.Popen[bytes] | None = None
    try:
        config = _config(bed, args.workdir, args.web_port)
        print(_cli(config, "db", "upgrade").strip())
        _web_users(config)
        log_path = args.workdir / "daemon.log"
        with log_path.open("wb") as log:
            daemon = subprocess.Popen([sys.executable, "-m", "callcenter.cli.main", "--config",
                                       str(config), "run"], stdout=log, stderr=subprocess.STDOUT)
        print(f"daemon running (pid {daemon.pid}); its JSON log: {log_path}")
        print(f"web pages: http://127.0.0.1:{args.web_port}/  (supervisor: zhuguan / "
              f"{DEMO_PASSWORD}; agents: the names below, e.g. wang.fang / {DEMO_PASSWORD})")
        contacts = args.workdir / "followup.csv"
        contacts.write_text("姓名,电话,会员\n" + "".join(f"{n},{p},是\n" for n, p in CUSTOMERS),
                            encoding="gbk")
        campaign = json.loads(_cli(config, "campaigns", "create", "售后回访 follow-up", "--json"))
        imported = json.loads(_cli(config, "campaigns", "import", str(campaign["id"]),
                                   str(contacts), "--json"))
        print(f"follow-up campaign {campaign['id']}: {imported['imported']} contacts imported")
        print(f"simulating {args.minutes:g} min of inbound calls and callbacks ...", flush=True)
        calls = asyncio.run(_traffic(bed, args.minutes, random.Random(args.seed)))  # noqa: S311
        print(f"\n{calls} calls placed.\n")
        for what in ("queues", "agents", "violations", "tickets"):
            print(f"== callcenter {what}")
            print(_cli(config, what, "--limit", "15"))
        print("== callcenter attempts list")
        print(_cli(config, "attempts", "list"))
        print("== callcenter campaigns list")
        print(_cli(config, "campaigns", "list"))
        print(f"(read them again any time: callcenter --config {config} tickets --json)")
    finally:
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                daemon.wait(20)
        bed.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
