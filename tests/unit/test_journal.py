"""The store's journal: append, fsync in batches, read back in order, emptied once
replayed, a torn last record cut off, an unwritable directory held in memory."""

from __future__ import annotations

import os
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.domain import outcomes as oc
from callcenter.store import codec
from callcenter.store.backlog import Backlog
from callcenter.store.journal import FILE_NAME, HEADER, UNREADABLE_NAME, Journal
from tests.outcome_rounds import rounds

OUTCOMES = list(rounds(3))  # 411 outcomes of every kind, all different


# Kinds the inbound recordings cannot hold: queue_log's exits, the reports' figures.
NOT_RECORDED = [
    oc.QueueExited("support", "1795650754.30", "timeout", 6.0, 1795650760.0),
    oc.FiguresAdded("q:support:1795650754.30:1795650754.880", "queue", 1795650300.0,
                    "support", "", {"offered": 1.0, "longest_wait_s": 6.0}),
]


def test_every_outcome_survives_the_codec() -> None:
    every = OUTCOMES + NOT_RECORDED
    kinds = {type(o) for o in every}
    assert len(kinds) == len(codec.KINDS)  # the recordings hold every other kind
    assert [codec.decode(codec.encode(o)) for o in every] == every
    with pytest.raises(codec.UndecodableRecord):
        codec.decode(b'{"t": "NoSuchOutcome"}')


def test_append_sync_and_read_back_in_order_across_a_restart(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    assert journal.open()
    for o in OUTCOMES[:100]:
        journal.append(o, now=0.0)
    assert journal.size_bytes == 0 and journal.waiting == 100  # held until the sync
    assert journal.sync()
    assert journal.size_bytes == (tmp_path / "j" / FILE_NAME).stat().st_size > 0
    first = journal.load(30)
    assert [o for o, _ in first] == OUTCOMES[:30]
    assert not any(earlier for _, earlier in first)  # written by this run
    journal.close()

    again = Journal(tmp_path / "j")  # the next start reads everything from the top
    assert again.open() and again.waiting == 100
    loaded = again.load(1000)
    assert [o for o, _ in loaded] == OUTCOMES[:100]
    assert all(earlier for _, earlier in loaded)  # an earlier run: replayed with care
    again.clear()
    assert again.size_bytes == 0 and (tmp_path / "j" / FILE_NAME).stat().st_size == 0
    assert (tmp_path / "j").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "j" / FILE_NAME).stat().st_mode & 0o777 == 0o600


def test_fsync_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    journal = Journal(tmp_path, sync_every=100, sync_interval_s=0.5)
    assert journal.open()
    synced.clear()
    for i, o in enumerate(OUTCOMES[:250]):
        journal.append(o, now=10.0)
        journal.maintain(10.0 + i * 0.001)  # well inside the interval: only the count syncs
    assert journal.syncs == 2 and len(synced) == 2 and journal.unwritten == 50
    journal.maintain(10.4)
    assert journal.syncs == 2  # 0.4 s: not due yet
    journal.maintain(10.6)  # the interval passed: the last 50 go in one more fsync
    assert journal.syncs == 3 and len(synced) == 3 and journal.unwritten == 0
    assert [o for o, _ in journal.load(1000)] == OUTCOMES[:250]


def test_a_torn_last_record_is_cut_off(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    assert journal.open()
    for o in OUTCOMES[:3]:
        journal.append(o)
    assert journal.sync()
    whole = journal.size_bytes
    journal.close()
    payload = codec.encode(OUTCOMES[3])
    record = HEADER.pack(len(payload), zlib.crc32(payload)) + payload
    with (tmp_path / FILE_NAME).open("ab") as f:
        f.write(record[: len(record) // 2])  # the crash came mid-write
    again = Journal(tmp_path)
    assert again.open()
    assert again.waiting == 3 and again.size_bytes == whole
    assert (tmp_path / FILE_NAME).stat().st_size == whole
    assert [o for o, _ in again.load(10)] == OUTCOMES[:3]
    again.close()

    bad = bytearray(record)
    bad[-1] ^= 0xFF  # whole length, wrong bytes: the CRC catches it
    with (tmp_path / FILE_NAME).open("ab") as f:
        f.write(bytes(bad))
    third = Journal(tmp_path)
    assert third.open() and third.waiting == 3 and third.size_bytes == whole


def test_a_record_no_outcome_of_this_version_is_kept_aside(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    assert journal.open()
    journal.append(OUTCOMES[0])
    assert journal.sync()
    journal.close()
    strange = b'{"t": "FromTheFuture", "x": 1}'
    with (tmp_path / FILE_NAME).open("ab") as f:
        f.write(HEADER.pack(len(strange), zlib.crc32(strange)) + strange)
    again = Journal(tmp_path)
    assert again.open()
    again.append(OUTCOMES[1])
    assert [o for o, _ in again.load(10)] == [OUTCOMES[0], OUTCOMES[1]]
    assert (tmp_path / UNREADABLE_NAME).read_bytes() == strange + b"\n"


def test_backlog_memory_then_journal_replayed_in_order_then_emptied(tmp_path: Path) -> None:
    journal = Journal(tmp_path, sync_every=7)
    assert journal.open()
    backlog = Backlog(journal, buffer_max=20, refill_max=9)
    for i, o in enumerate(OUTCOMES[:150]):
        backlog.put(o, now=float(i))
        journal.maintain(float(i))
    assert len(backlog.memory) == 20 and journal.waiting == 130 and journal.size_bytes > 0
    # Outcomes arriving while the journal is read back go behind it, not before.
    written: list[oc.Outcome] = []
    pending = iter(OUTCOMES[150:200])
    while backlog.size:
        batch, replay = backlog.peek(6)
        assert not replay and batch
        written += batch
        backlog.confirm(len(batch))
        for o in [next(pending, None), next(pending, None)]:
            if o is not None:
                backlog.put(o, now=0.0)
        journal.maintain(1e9)
    assert written == OUTCOMES[:200]
    assert journal.size_bytes == 0 and (tmp_path / FILE_NAME).stat().st_size == 0


def test_a_stop_keeps_memory_first_then_the_journal(tmp_path: Path) -> None:
    journal = Journal(tmp_path, sync_every=5)
    assert journal.open()
    backlog = Backlog(journal, buffer_max=10, refill_max=4)
    for o in OUTCOMES[:40]:
        backlog.put(o, now=0.0)
        journal.maintain(0.0)
    batch, _ = backlog.peek(3)
    backlog.confirm(3)  # written
    batch, _ = backlog.peek(15)  # memory refilled from the journal; in flight when we stop
    backlog.maybe_written(len(batch))
    assert backlog.keep_on_disk() == 37
    after = Journal(tmp_path)
    assert after.open()
    loaded = after.load(100)
    assert [o for o, _ in loaded] == OUTCOMES[3:40]
    assert all(earlier for _, earlier in loaded)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: the journal's disk fills up (CI runs as root)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
                   check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_holds_the_outcomes_in_memory_in_order(tiny_disk: Path) -> None:
    journal = Journal(tiny_disk / "journal", sync_every=50, retry_s=0.0)
    assert journal.open()
    many = list(rounds(6))  # ~820 outcomes, ~150 KB: more than the disk holds
    for o in many:
        journal.append(o)
        journal.maintain(1e9)
    assert journal.error is not None and "No space left" in journal.error
    assert 0 < journal.size_bytes < 64 * 1024
    assert journal.unwritten > 0 and journal.waiting == len(many)
    # Read back: what reached the disk, then what was held, in order.
    out = [o for o, _ in journal.load(10_000)]
    assert out == many
    journal.clear()
    assert journal.size_bytes == 0
    journal.append(many[0])
    journal.maintain(1e9)  # the retry finds room again
    assert journal.error is None and journal.size_bytes > 0


def test_an_unwritable_directory_is_said_and_held_in_memory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    journal = Journal(tmp_path / "file" / "journal", retry_s=0.0)
    assert not journal.open()
    assert journal.error is not None and "Not a directory" in journal.error
    for o in OUTCOMES[:5]:
        journal.append(o)
    journal.maintain(1e9)
    assert journal.waiting == 5 and journal.error is not None
    assert [o for o, _ in journal.load(10)] == OUTCOMES[:5]
