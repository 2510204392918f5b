"""The store writer never drops: the database away (a PostgreSQL of the test's own,
really stopped), the writer process killed with a batch in flight, the group's stop
signals, a stop that cannot reach the database.  Each checks every row written
exactly once, in order, and what Health was told."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from callcenter.core.bus import Bus
from callcenter.core.health import Health
from callcenter.core.settings import DatabaseSettings
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.store import db
from callcenter.store.apply import Applier
from callcenter.store.journal import Journal
from callcenter.store.writer import STOP_GRACE_S, StoreWriter
from tests.full_disk import fill, free, tmpfs
from tests.outcome_rounds import rounds
from tests.pg_server import OwnPostgres

WEEK_S = 7 * 86400.0


class RecordingHealth(Health):
    """Health that also keeps every ok/not-ok transition, in order."""

    def __init__(self) -> None:
        super().__init__(ManualClock(0.0), Bus("health"))
        self.changes: list[tuple[str, bool, str]] = []

    def report(self, part: str, ok: bool, detail: str = "",
               figures: tuple[tuple[str, float], ...] = ()) -> None:
        before = self.snapshot().get(part)
        super().report(part, ok, detail, figures)
        if before is None or before.ok != ok:
            self.changes.append((part, ok, detail))

    def oks(self, part: str) -> list[bool]:
        return [ok for p, ok, _ in self.changes if p == part]

    def figure(self, part: str, name: str) -> float:
        return dict(self.snapshot()[part].figures)[name]


def until(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)


def assert_written_once_in_order(url: str, outcomes: list[oc.Outcome]) -> None:
    engine = db.engine_for(url)
    states = [o for o in outcomes if isinstance(o, oc.AgentStateChanged)]
    samples = [o for o in outcomes if isinstance(o, oc.QueueSampled)]
    tickets = {o.linkedid for o in outcomes if isinstance(o, oc.TicketOpened)}
    legs = {o.leg_uniqueid for o in outcomes if isinstance(o, oc.RingLegEnded)}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT at FROM agent_state_changes ORDER BY id")).scalars().all() \
            == [o.at for o in states]  # every one, once, in the order it happened
        assert conn.execute(text("SELECT at FROM queue_samples ORDER BY id")).scalars().all() \
            == [o.at for o in samples]
        assert set(conn.execute(text("SELECT linkedid FROM tickets")).scalars()) == tickets
        assert set(conn.execute(text("SELECT leg_uniqueid FROM ring_legs")).scalars()) == legs
        assert conn.execute(text("SELECT count(*) FROM set_aside")).scalar_one() == 0
    engine.dispose()


@pytest.fixture(scope="module")
def own_pg() -> Iterator[OwnPostgres]:
    server = OwnPostgres("writer")
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def pg_url(own_pg: OwnPostgres) -> str:
    own_pg.start()  # a test before may have left it stopped
    url = own_pg.create_database("cc_" + uuid.uuid4().hex[:10])
    db.upgrade(url)
    return url


def test_database_away_nothing_dropped_written_in_order_when_back(
        own_pg: OwnPostgres, pg_url: str, tmp_path: Path) -> None:
    health = RecordingHealth()
    writer = StoreWriter(pg_url, WEEK_S, batch_max=50, flush_interval_s=0.01, health=health,
                         buffer_max=200, journal_dir=tmp_path / "journal", retry_max_s=0.5)
    writer.start()
    outcomes = list(rounds(12))  # 1,644 outcomes
    writer.submit(outcomes[:300])
    assert writer.flush(30)
    own_pg.stop()
    writer.submit(outcomes[300:])
    until(lambda: health.oks("database") == [True, False], what="database reported down")
    until(lambda: writer.journal.size_bytes > 0, what="spilled to the journal")
    time.sleep(2.0)  # several retries with the back-off, all failing
    assert writer.lag == len(outcomes) - 300  # nothing written, nothing dropped
    assert len(writer._backlog.memory) <= 200  # the rest is on disk
    assert health.figure("journal", "journal_outcomes") > 0
    own_pg.start()
    assert writer.flush(60)
    until(lambda: writer.journal.size_bytes == 0, what="journal emptied")
    writer.close()
    assert health.oks("database") == [True, False, True]
    assert health.oks("writer") == [True]  # the process itself never stopped
    assert writer.failed == 0
    assert (tmp_path / "journal" / "outcomes.journal").stat().st_size == 0
    assert_written_once_in_order(pg_url, outcomes)


def test_stopped_while_the_database_is_away_then_written_at_the_next_start(
        own_pg: OwnPostgres, pg_url: str, tmp_path: Path) -> None:
    outcomes = list(rounds(4))
    journal = tmp_path / "journal"
    writer = StoreWriter(pg_url, WEEK_S, batch_max=50, flush_interval_s=0.01,
                         buffer_max=100, journal_dir=journal, retry_max_s=0.5)
    writer.start()
    own_pg.stop()
    writer.submit(outcomes)
    started = time.monotonic()
    writer.close(timeout=1.5)  # the drain deadline passes: kept on disk, not lost
    assert time.monotonic() - started < 1.5 + 5
    assert (journal / "outcomes.journal").stat().st_size > 0
    own_pg.start()
    second = StoreWriter(pg_url, WEEK_S, batch_max=50, flush_interval_s=0.01,
                         buffer_max=100, journal_dir=journal)
    second.start()
    until(lambda: second.written == len(outcomes), 60, "journal replayed")
    assert second.flush(10)
    until(lambda: second.journal.size_bytes == 0, what="journal emptied")
    second.close()
    assert_written_once_in_order(pg_url, outcomes)


def test_writer_killed_with_a_batch_in_flight_is_restarted_and_resends_it(tmp_path: Path) -> None:
    path = tmp_path / "cc.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    health = RecordingHealth()
    writer = StoreWriter(url, WEEK_S, batch_max=500, flush_interval_s=0.01, health=health,
                         journal_dir=tmp_path / "journal")
    writer.start()
    outcomes = list(rounds(4))
    writer.submit(outcomes[:100])
    assert writer.flush(30)
    blocker = sqlite3.connect(path, timeout=30)
    blocker.execute("BEGIN EXCLUSIVE")  # the next batch waits on the lock: in flight
    writer.submit(outcomes[100:])
    until(lambda: writer._awaiting and writer._in_flight > 0, what="a batch in flight")
    first_pid = writer._child.pid
    assert first_pid is not None
    os.kill(first_pid, signal.SIGKILL)
    until(lambda: health.oks("writer") == [True, False], what="writer reported restarting")
    until(lambda: writer._child.pid != first_pid and writer._child.alive(), what="a new process")
    blocker.rollback()
    blocker.close()
    assert writer.flush(30)
    writer.close()
    assert health.oks("writer") == [True, False, True]
    assert writer._child.starts == 2
    assert_written_once_in_order(url, outcomes)


def test_the_writer_process_ignores_the_groups_stop_signals(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cc.db"
    db.upgrade(url)
    writer = StoreWriter(url, WEEK_S, flush_interval_s=0.01, journal_dir=tmp_path / "journal")
    writer.start()
    outcomes = list(rounds(2))
    writer.submit(outcomes[:50])
    assert writer.flush(30)
    pid = writer._child.pid
    assert pid is not None
    ignored = int(Path(f"/proc/{pid}/status").read_text().split("SigIgn:")[1].split()[0], 16)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        assert ignored & (1 << (sig - 1)), sig
        os.kill(pid, sig)
    time.sleep(0.3)
    assert writer._child.alive() and writer._child.pid == pid
    writer.submit(outcomes[50:])
    assert writer.flush(30)
    writer.close()
    assert writer._child.starts == 1
    assert_written_once_in_order(url, outcomes)


def test_a_replayed_batch_adds_no_history_twice(db_url: str) -> None:
    """A batch the writer process may have committed before it died is written again
    with replay care: the same rows, not twice."""
    engine = db.engine_for(db_url)
    applier = Applier(WEEK_S)
    outcomes = list(rounds(1))
    with engine.begin() as conn:
        applier.apply_batch(conn, outcomes)
    with engine.begin() as conn:
        applier.apply_batch(conn, outcomes, replay=True)
    with engine.begin() as conn:
        for o in outcomes:
            applier.apply(conn, o, replay=True)
    engine.dispose()
    assert_written_once_in_order(db_url, outcomes)


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def test_memory_stays_bounded_however_long_the_database_is_away(tmp_path: Path) -> None:
    """300,000 outcomes while the database's disk is full: at most buffer_max in memory,
    the rest on disk; stopped still away, every one of them is in the journal.  (Held
    all in memory they would take ~50 MB; the 1,000,000 run is bench_writer_memory.)"""
    total, buffer_max = 300_000, 10_000
    with tmpfs(tmp_path / "db", "16m") as disk:
        url = f"sqlite:///{disk}/cc.db"
        db.upgrade(url)
        writer = StoreWriter(url, WEEK_S, buffer_max=buffer_max, retry_max_s=0.5,
                             journal_dir=tmp_path / "journal")
        writer.start()
        with sqlite3.connect(disk / "cc.db") as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fill(disk)
        outcomes = rounds(total // 137 + 1)
        baseline, peak_rss, peak_memory, sent = _rss(), 0, 0, 0
        started = time.perf_counter()
        while sent < total:
            writer.submit([next(outcomes) for _ in range(500)])
            sent += 500
            peak_rss, peak_memory = max(peak_rss, _rss()), max(peak_memory,
                                                              len(writer._backlog.memory))
            ahead = started + sent / 50_000 - time.perf_counter()  # a flood: 50,000 a second
            if ahead > 0:
                time.sleep(ahead)
        until(writer._intake.empty, what="everything taken in")
        peak_rss = max(peak_rss, _rss())
        assert writer.written == 0 and writer.lag == total
        writer.close(timeout=1.0)  # still away: kept on disk
        free(disk)
    print(f"\n{total:,} outcomes, database away: at most {peak_memory:,} in memory, "
          f"RSS grew {(peak_rss - baseline) / 2**20:.1f} MiB")
    assert peak_memory <= buffer_max
    assert writer.journal.unwritten == 0
    assert peak_rss - baseline < 20 * 1024 * 1024, (peak_rss - baseline) / 1e6
    kept = Journal(tmp_path / "journal")
    assert kept.open() and kept.waiting == total  # nothing lost


def test_the_unit_waits_longer_than_the_drain() -> None:
    """systemd SIGKILLs the group after TimeoutStopSec: the drain (and the grace for a
    batch still committing) must end before that."""
    unit = (Path(__file__).parents[2] / "systemd" / "callcenter.service").read_text()
    timeout = next(float(line.split("=", 1)[1]) for line in unit.splitlines()
                   if line.startswith("TimeoutStopSec="))
    assert DatabaseSettings().drain_timeout_s + STOP_GRACE_S + 2 < timeout
