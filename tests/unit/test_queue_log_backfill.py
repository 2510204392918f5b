"""The whole daemon with gap recovery, on a fake AMI peer and a queue_log file written
by the test: a first start begins at the file's end; calls written while the link is
down are recovered on reconnect, once, also after a restart; a call queue_log has and
the daemon never saw live is a cross-check mismatch, logged and alerted; a file that
disappears is reported on the daemon's health.  (The real Asterisk: tests/integration/
test_recovery_live.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from callcenter.config import load
from callcenter.daemon import Daemon
from callcenter.recovery.service import MISMATCH
from callcenter.store import db
from callcenter.store import models as m
from tests.fakeami import FakeAmi


async def _eventually(check: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


def _count(url: str, model: type, *where: object) -> int:
    with db.engine_for(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model).where(*where))
                   .scalar_one())


def _append(path: Path, *lines: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)


def _gap_call(at: int, n: int) -> list[str]:
    """From `at` on: a caller answered by alice for 7 s, and one who rings alice out
    (20 s) and gives up after 25 s."""
    return [f"{at}|{at}.{n}|support|NONE|ENTERQUEUE||1380013800{n}|1",
            f"{at}|{at}.{n + 5}|support|NONE|ENTERQUEUE||1390013900{n}|1",
            f"{at + 1}|{at}.{n}|support|alice|CONNECT|1|{at}.{n}1|1",
            f"{at + 8}|{at}.{n}|support|alice|COMPLETECALLER|1|7|1",
            f"{at + 20}|{at}.{n + 5}|support|alice|RINGNOANSWER|20000",
            f"{at + 25}|{at}.{n + 5}|support|NONE|ABANDON|1|1|25"]


def _daemon(url: str, port: int, log: Path) -> Daemon:
    return Daemon(load(None, environ={
        "CALLCENTER__DATABASE__URL": url, "CALLCENTER__AMI__PORT": str(port),
        "CALLCENTER__AMI__SECRET": "s3cret", "CALLCENTER__AMI__PING_INTERVAL_S": "0.2",
        "CALLCENTER__AMI__PING_TIMEOUT_S": "0.2", "CALLCENTER__AMI__BACKOFF_INITIAL_S": "0.05",
        "CALLCENTER__AMI__BACKOFF_MAX_S": "0.2", "CALLCENTER__AMI__QUEUE_LOG": str(log),
        "CALLCENTER__RECOVERY__READ_INTERVAL_S": "0.3",
        "CALLCENTER__RECOVERY__CROSS_CHECK_S": "2", "CALLCENTER__WEB__ENABLED": "false"}))


async def test_gaps_are_backfilled_once_and_the_counts_cross_checked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cc.db"
    db.upgrade(url)
    log = tmp_path / "queue_log"
    _append(log, *_gap_call(int(time.time()) - 3600, 1))  # history before the first start
    fake = FakeAmi()
    port = await fake.start()
    daemon = _daemon(url, port, log)
    run = asyncio.create_task(daemon.run())
    try:
        await _eventually(lambda: _count(url, m.QueueLogCheckpoint) == 1)
        assert _count(url, m.Ticket) == 0  # the history is no gap of ours
        health = daemon.core.health.snapshot()["queue_log"]
        assert health.ok and health.figures == (("checkpoint_at", 0.0),)

        await fake.stop()  # the AMI link goes down; Asterisk goes on
        await _eventually(lambda: not daemon.core.health.snapshot()["ami"].ok)
        gap = int(time.time()) - 30
        _append(log, *_gap_call(gap, 2))
        await asyncio.sleep(0.5)
        await fake.start(port)
        await _eventually(lambda: _count(url, m.Ticket) == 1)
        await _eventually(lambda: _count(url, m.Contact) == 1)
        assert _count(url, m.Ticket, m.Ticket.recovered.is_(True),
                      m.Ticket.talk_s == 7.0) == 1
        assert _count(url, m.Violation, m.Violation.settled.is_(True)) == 1
        assert _count(url, m.PointsEntry) == 1
        assert _count(url, m.Contact, m.Contact.phone == "13900139002") == 1
        await _eventually(lambda: daemon.core.health.snapshot()["queue_log"].figures
                          == (("checkpoint_at", gap + 25.0),))

        # Live now (past the second the link came up in, which counts as the gap), but
        # the daemon hears nothing of this call: not recovered, the cross-check says so.
        up_since = daemon.core.health.snapshot()["ami"].since
        await asyncio.sleep(max(0.0, int(up_since) + 2 - time.time()))
        _append(log, f"{int(time.time())}|{gap}.9|support|alice|CONNECT|0|{gap}.91|0")
        await _eventually(lambda: _count(url, m.Alert, m.Alert.kind == MISMATCH) == 1)
        assert _count(url, m.Ticket) == 1  # seen live is not recovered: it is reported

        log.rename(tmp_path / "elsewhere")
        await _eventually(lambda: not daemon.core.health.snapshot()["queue_log"].ok)
        assert "queue_log: missing" in daemon.core.health.snapshot()["queue_log"].detail
        (tmp_path / "elsewhere").rename(log)
        await _eventually(lambda: daemon.core.health.snapshot()["queue_log"].ok)
    finally:
        daemon.stop()
        await asyncio.wait_for(run, 20)

    # A restart reads from the checkpoint: nothing twice.
    daemon = _daemon(url, port, log)
    run = asyncio.create_task(daemon.run())
    try:
        await _eventually(lambda: daemon.core.health.snapshot().get("queue_log") is not None)
        assert (_count(url, m.Ticket), _count(url, m.Violation), _count(url, m.Contact)) \
            == (1, 1, 1)
    finally:
        daemon.stop()
        await asyncio.wait_for(run, 20)
        await fake.stop()
