"""A hostile or broken AMI peer: non-finite and non-numeric fields in QueueStatus and
in events, over-long fields, a name split inside a character at every offset, messages
run together by one CRLF, random bytes; all while a real (recorded) call goes on.  The
daemon stays up, the real call gets its ticket with its agent's name, bad messages are
logged with their error id and skipped, and nothing grows without bound."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from sqlalchemy import text

from callcenter import logs
from callcenter.config import load
from callcenter.daemon import Daemon
from callcenter.store import db
from tests.fakeami import FakeAmi, encode
from tests.replay import load as load_fixture

NAME = "王芳"
BAD_QUEUE_STATUS = [
    {"Event": "QueueParams", "Queue": "support", "Max": "0"},
    {"Event": "QueueMember", "Queue": "support", "Location": "Local/1@x/n", "Name": "ok",
     "Status": "NaN", "Paused": "0"},
    {"Event": "QueueMember", "Location": "Local/2@x/n", "Name": "no queue", "Status": "1"},
    {"Event": "QueueEntry", "Queue": "support", "Uniqueid": "9.1", "Position": "inf",
     "Wait": "-Infinity", "CallerIDNum": "13800138000"},
    {"Event": "QueueEntry", "Queue": "support", "Uniqueid": "9.2", "Position": "1",
     "Wait": "1e400", "CallerIDNum": "1" * 40},
    {"Event": "QueueEntry", "Queue": "support" * 40, "Uniqueid": "9.3", "Position": "1",
     "Wait": "3"},
]


def hostile_events() -> bytes:
    evil = [
        {"Event": "AgentConnect", "Queue": "support", "Uniqueid": "h.1", "Linkedid": "h.1",
         "DestUniqueid": "h.2", "Interface": "Local/9@x/n", "HoldTime": "nan",
         "RingTime": "-inf"},
        {"Event": "QueueCallerJoin", "Queue": "q" * 5000, "Uniqueid": "h.3", "Linkedid": "h.3",
         "CallerIDNum": "13800138000", "Position": "1"},
        {"Event": "QueueCallerJoin", "Queue": "support", "Uniqueid": "h.4" * 40,
         "Linkedid": "h.4", "CallerIDNum": "13800138000", "Position": "1"},
        {"Event": "QueueCallerJoin", "Queue": "support", "Uniqueid": "h.5", "Linkedid": "h.5",
         "CallerIDNum": "13800138000&Local/666@evil/n", "CallerIDName": "x" * 120,
         "Position": "1"},
        {"Event": "QueueMemberStatus", "Queue": "support", "Interface": "Local/7@x/n",
         "MemberName": "\u202e" + "y" * 300, "Status": "1e999", "Paused": "0"},
        {"Event": "AgentRingNoAnswer", "Queue": "support", "Uniqueid": "h.6", "Linkedid": "h.6",
         "DestUniqueid": "h.7", "Interface": "Local/7@x/n", "RingTime": "Infinity"},
    ]
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(4096)) + b"\r\n\r\n"
    run_together = (encode({"Event": "Hangup", "Uniqueid": "h.8", "Cause": "16"})[:-2]
                    + encode({"Event": "Hangup", "Uniqueid": "h.9", "Cause": "x"}))
    return b"".join(encode(e) for e in evil) + noise + run_together


def real_call() -> list[bytes]:
    """The recorded answered call, its agent renamed 王芳, each message cut inside a
    character of the name (or anywhere) and sent in two writes."""
    pieces: list[bytes] = []
    for record in load_fixture("inbound", "answered_in_time"):
        fields = {k: (NAME if v == "alice" else v) for k, v in record["event"].items()}
        data = encode(fields)
        at = data.find(NAME.encode())
        cut = at + 1 if at >= 0 else len(data) // 2
        pieces += [data[:cut], data[cut:]]
    return pieces


async def test_the_daemon_stays_up_and_the_real_call_gets_its_ticket(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    url = f"sqlite:///{tmp_path}/h.db"
    db.upgrade(url)
    fake = FakeAmi(queue_status=BAD_QUEUE_STATUS)
    port = await fake.start()
    connected = asyncio.Event()
    fake.on_connected = lambda _writer: connected.set()
    daemon = Daemon(load(None, environ={
        "CALLCENTER__DATABASE__URL": url, "CALLCENTER__AMI__PORT": str(port),
        "CALLCENTER__AMI__USERNAME": "cc", "CALLCENTER__AMI__SECRET": fake.secret,
        "CALLCENTER__WEB__ENABLED": "false"}))
    run = asyncio.create_task(daemon.run())
    try:
        await asyncio.wait_for(connected.wait(), 5)
        await asyncio.sleep(0.3)  # the resync with the broken QueueStatus
        fake.push(hostile_events())
        for piece in real_call():
            fake.push(piece)
            await fake.drain()
            await asyncio.sleep(0.002)  # separate reads: the cuts reach the daemon as cuts
        await asyncio.sleep(0.5)
        assert not run.done()  # still up
        assert fake.logins == 1  # and never dropped the link over any of it
        assert await asyncio.to_thread(daemon.writer.flush, 10)
        tracker = daemon.core.tracker
        assert len(tracker.queues) <= 2 and len(tracker.agents) <= 4
        assert sum(len(q.waiting) for q in tracker.queues.values()) <= 1  # 9.1 at most
    finally:
        daemon.stop()
        await asyncio.wait_for(run, 15)
        await fake.stop()
    engine = db.engine_for(url)
    with engine.connect() as conn:
        tickets = conn.execute(text("SELECT owner_name, caller_phone FROM tickets")).all()
    assert [tuple(t) for t in tickets] == [(NAME, "13800138000")]
    engine.dispose()
    out = capfd.readouterr().out
    assert out.count('"error_id": "ami.malformed_event"') >= 8  # each one logged with its id
    # the hostile number never reaches the log (timestamps may hold any digits)
    assert '"error_id": "phone.invalid"' in out and "@evil" not in out and "Local/666" not in out
