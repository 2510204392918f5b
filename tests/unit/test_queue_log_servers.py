"""queue_log recovery per Asterisk server: each server's own file (its `[[ami]]
queue_log`), checkpoint, reconnect and health part; a gap on one server is recovered
from that server's file when that server's link comes back, stamped with its name,
and nothing of the other's is touched.  The checkpoint of before the servers had
names is the first server's; the cross-check's alerts are per server and queue."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from alembic import command
from sqlalchemy import select, text

from callcenter.config import load
from callcenter.daemon import Daemon
from callcenter.domain.cross_check import Mismatch
from callcenter.recovery import service
from callcenter.recovery.tail import Position
from callcenter.store import db
from callcenter.store import models as m
from tests.fakeami import FakeAmi
from tests.unit.test_queue_log_backfill import _append, _count, _eventually

TZ = ZoneInfo("Asia/Shanghai")


def _gap_call(at: int, server: str) -> list[str]:
    """A caller answered by alice for 7 s, with the server's systemname in its ids."""
    uid = f"{server}-{at}.1"
    return [f"{at}|{uid}|support|NONE|ENTERQUEUE||13800138001|1",
            f"{at + 1}|{uid}|support|alice|CONNECT|1|{uid}1|1",
            f"{at + 8}|{uid}|support|alice|COMPLETECALLER|1|7|1"]


def _daemon(url: str, tmp: Path, ports: dict[str, int], secret: str) -> Daemon:
    toml = tmp / "servers.toml"
    toml.write_text("".join(
        f'[[ami]]\nname = "{name}"\nport = {port}\nusername = "cc"\nsecret = "{secret}"\n'
        f'queue_log = "{tmp / f"queue_log.{name}"}"\nping_interval_s = 0.2\n'
        f'ping_timeout_s = 0.2\nbackoff_initial_s = 0.05\nbackoff_max_s = 0.2\n'
        for name, port in ports.items()))
    return Daemon(load(toml, environ={
        "CALLCENTER__DATABASE__URL": url, "CALLCENTER__RECOVERY__READ_INTERVAL_S": "0.3",
        "CALLCENTER__WEB__ENABLED": "false"}))


async def test_each_servers_gap_is_recovered_from_its_own_queue_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cc.db"
    db.upgrade(url)
    fakes = {"pbx1": FakeAmi(systemname="pbx1"), "pbx2": FakeAmi(systemname="pbx2")}
    ports = {name: await fake.start() for name, fake in fakes.items()}
    logs = {name: tmp_path / f"queue_log.{name}" for name in fakes}
    for name, path in logs.items():  # history before the first start: no gap of ours
        _append(path, *_gap_call(int(time.time()) - 3600, name))
    daemon = _daemon(url, tmp_path, ports, fakes["pbx1"].secret)
    run = asyncio.create_task(daemon.run())
    try:
        await _eventually(lambda: _count(url, m.QueueLogCheckpoint) == 2)
        health = daemon.core.health.snapshot()
        assert health["queue_log:pbx1"].ok and health["queue_log:pbx2"].ok
        assert "queue_log" not in health and _count(url, m.Ticket) == 0

        await fakes["pbx2"].stop()  # pbx2's link goes down; its Asterisk goes on
        await _eventually(lambda: not daemon.core.health.snapshot()["ami:pbx2"].ok)
        gap = int(time.time()) - 30
        _append(logs["pbx2"], *_gap_call(gap, "pbx2"))
        await asyncio.sleep(0.5)
        await fakes["pbx2"].start(ports["pbx2"])
        await _eventually(lambda: _count(url, m.Ticket) == 1)
        with db.engine_for(url).connect() as conn:
            ticket = conn.execute(select(m.Ticket)).one()
            rows = {r.server: r for r in conn.execute(select(m.QueueLogCheckpoint))}
        assert (ticket.server, ticket.recovered, ticket.linkedid) == ("pbx2", True,
                                                                      f"pbx2-{gap}.1")
        assert rows["pbx2"].last_entry_at == gap + 8.0 and rows["pbx1"].last_entry_at is None
        assert rows["pbx2"].path == str(logs["pbx2"]) and rows["pbx1"].path == str(logs["pbx1"])
        # pbx1's link never dropped (one resync), pbx2's came back (two).
        assert [sum(a.get("Action") == "QueueStatus" for a in fakes[n].actions)
                for n in ("pbx1", "pbx2")] == [1, 2]
    finally:
        daemon.stop()
        await asyncio.wait_for(run, 20)
        for fake in fakes.values():
            await fake.stop()


def test_checkpoints_are_per_server_and_the_old_one_is_the_firsts(db_url: str) -> None:
    engine = db.engine_for(db_url)
    before = Position(1, 2, "h", 300)
    service.save_checkpoint(engine, "default", "/var/log/asterisk/queue_log", before,
                            last_entry_at=10.0, now=11.0)
    assert service.load_checkpoint(engine, "pbx1", "default") == (before, 10.0)
    assert service.load_checkpoint(engine, "pbx2") is None
    mine = Position(1, 3, "g", 40)
    service.save_checkpoint(engine, "pbx1", "/srv/pbx1/queue_log", mine, last_entry_at=20.0,
                            now=21.0)
    service.save_checkpoint(engine, "pbx1", "/srv/pbx1/queue_log", mine, last_entry_at=25.0,
                            now=26.0)
    assert service.load_checkpoint(engine, "pbx1", "default") == (mine, 25.0)  # its own first
    assert service.load_checkpoint(engine, "default") == (before, 10.0)
    engine.dispose()


def test_cross_check_alerts_are_per_server_and_queue(db_url: str) -> None:
    engine = db.engine_for(db_url)
    off = Mismatch("support", 0.0, 900.0, (3, 2), (0, 0), ("x",), ())
    for server in ("pbx1", "pbx2"):
        raised = service.record_check(engine, [off], [], 1000.0, TZ, server=server)
        assert len(raised) == 1
    cleared = service.record_check(engine, [], ["support"], 2000.0, TZ, server="pbx2")
    assert len(cleared) == 1  # pbx2's support agrees again: pbx1's stays open
    with engine.connect() as conn:
        open_refs = list(conn.execute(select(m.Alert.ref, m.Alert.message).where(
            m.Alert.kind == service.MISMATCH, m.Alert.cleared_at.is_(None))))
    assert [r.ref for r in open_refs] == ["queue_log:support@pbx1:0"]
    assert "support@pbx1" in open_refs[0].message
    engine.dispose()


def test_the_checkpoint_survives_the_migration_both_ways(db_url: str) -> None:
    engine = db.engine_for(db_url)
    kept = Position(7, 8, "head", 900)
    service.save_checkpoint(engine, "default", "/var/log/asterisk/queue_log", kept,
                            last_entry_at=42.0, now=43.0)
    service.save_checkpoint(engine, "pbx2", "/srv/pbx2/queue_log", kept, last_entry_at=1.0,
                            now=2.0)
    config = db._alembic_config(db_url)
    command.downgrade(config, "0015")
    with engine.connect() as conn:
        old = conn.execute(text("SELECT id, read_offset, last_entry_at FROM queue_log_checkpoint"))
        assert [tuple(r) for r in old] == [(1, 900, 42.0)]  # the one file of before
    command.upgrade(config, "head")
    assert service.load_checkpoint(engine, "pbx1", "default") == (kept, 42.0)
    engine.dispose()
