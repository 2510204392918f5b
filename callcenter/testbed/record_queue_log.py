"""Record Asterisk's own queue_log beside the AMI stream, from the real test bed.

    python -m callcenter.testbed.record_queue_log

Plays the inbound scenarios (callcenter/testbed/scenarios.py), a caller the queue
itself gives up on (EXITWITHTIMEOUT) and a caller whose caller ID carries `|`, one
after the other on one Asterisk.  Stores the queue_log lines they wrote in
tests/fixtures/queue_log/scenarios.queue_log, and the queue and agent events the
daemon's own AMI account received meanwhile, stamped with the wall clock, in
scenarios.ami.json: the unit tests check how queue_log's callid relates to the
events' Uniqueid and Linkedid, and replay the events through the live tracker to
show that a call seen live is not recovered again.
"""

from __future__ import annotations

import asyncio
import json
import time

from callcenter.ami.client import AmiClient, RawMessage
from callcenter.ami.settings import AmiSettings
from callcenter.ami.translate import KNOWN_EVENTS
from callcenter.testbed.asterisk import DAEMON_SECRET, DAEMON_USER, PROJECT_DIR, TestBed
from callcenter.testbed.control import Agent, Controller
from callcenter.testbed.scenarios import ALICE, SCENARIOS

FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "queue_log"
# What the daemon does not read (channel variables, caller names, ...) is left out.
_DROP = ("Privilege", "ChannelState", "ChannelStateDesc", "ConnectedLineNum",
         "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority",
         "DestChannelState", "DestChannelStateDesc", "DestConnectedLineNum",
         "DestConnectedLineName", "DestLanguage", "DestAccountCode", "DestContext",
         "DestExten", "DestPriority", "DestCallerIDNum", "DestCallerIDName", "CallerIDName",
         "SystemName", "StateInterface", "Membership", "LastCall", "LastPause", "LoginTime",
         "CallsTaken", "Penalty", "Ringinuse", "Wrapuptime")


async def _timeout(c: Controller) -> None:
    await c.login("support", Agent(ALICE, "alice", answer_after=None))
    c.call("support", "13300133000", patience_s=30, queue_timeout_s=6)


async def _pipe_in_caller_id(c: Controller) -> None:
    await c.login("support", Agent(ALICE, "alice", answer_after=2, talk_s=3))
    c.call("support", "13200132000|13100131000", patience_s=20)


EXTRA = (("queue_timeout", _timeout, 10.0), ("pipe_in_caller_id", _pipe_in_caller_id, 8.0))


async def record(bed: TestBed) -> tuple[list[str], list[dict[str, object]]]:
    events: list[dict[str, object]] = []

    def keep(message: RawMessage) -> None:
        if message.get("Event", "").lower() in KNOWN_EVENTS:
            events.append({"at": round(time.time(), 3),
                           "event": {k: v for k, v in message.items() if k not in _DROP}})

    listener = AmiClient(AmiSettings(port=bed.ami_port, username=DAEMON_USER,
                                     secret=DAEMON_SECRET), on_message=keep)
    task = asyncio.create_task(listener.run(), name="recorder")
    path = bed.queue_log
    try:
        await listener.wait_connected(10)
        start = path.stat().st_size if path.exists() else 0
        plays = [(s.name, s.play, s.settle_s) for s in SCENARIOS.values()] + list(EXTRA)
        async with Controller(bed) as controller:
            for name, play, settle_s in plays:
                print(f"{name} ...", flush=True)
                await controller.clear_queues()
                controller.events.clear()  # a scenario waits for its own events
                await play(controller)
                await asyncio.sleep(settle_s)
            await controller.clear_queues()
        await asyncio.sleep(1)
    finally:
        listener.stop()
        await task
    with path.open("rb") as f:
        f.seek(start)
        lines = f.read().decode("utf-8").splitlines()
    return lines, events


async def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    bed = TestBed(name="qlrecorder")
    bed.start()
    started = time.monotonic()
    try:
        lines, events = await record(bed)
    finally:
        bed.stop()
    (FIXTURES / "scenarios.queue_log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (FIXTURES / "scenarios.ami.json").write_text(
        json.dumps({"recorded_with": "Asterisk 22 (Debian sid) test bed",
                    "events": events}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(lines)} queue_log lines, {len(events)} AMI events in "
          f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
