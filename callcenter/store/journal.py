"""The store's journal: an append-only file of outcomes that wait for the database.

Used only when the outcomes waiting outgrow the writer's memory buffer (the database
is away or slow), and at a stop that could not write everything.  Oldest first;
read back in order when the database is back; emptied (truncated) once everything in
it is confirmed written.  Records are `length, CRC-32, JSON` (codec.py): a record torn
by a crash mid-write fails its length or CRC and is cut off when the file is opened.

Appends are kept in memory and written + fsync'd in batches (every `sync_every`
records or `sync_interval_s`), so a flood costs one fsync per batch, not one per
outcome.  When the file cannot be written (disk full, directory gone, permissions)
the journal says so (`error`) and keeps those records in memory, in order, retrying
every `retry_s`: nothing is dropped while memory lasts.

Only the writer's pump thread uses a Journal: it is not thread-safe."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import struct
import time
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

import structlog

from callcenter.domain.outcomes import Outcome
from callcenter.errors import JournalUnreadable, JournalUnwritable
from callcenter.store import codec

log = structlog.get_logger("callcenter.store")

HEADER = struct.Struct("<II")  # payload length, CRC-32 of the payload
MAX_RECORD = 1 << 20  # no outcome is near this: a larger length is a torn header
FILE_NAME = "outcomes.journal"
UNREADABLE_NAME = "unreadable.jsonl"  # records no outcome of this version: kept, not replayed
_READ_CHUNK = 1 << 20


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


class Journal:
    def __init__(self, directory: Path, *, sync_every: int = 1000, sync_interval_s: float = 0.2,
                 retry_s: float = 5.0) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        self._sync_every = sync_every
        self._sync_interval_s = sync_interval_s
        self._retry_s = retry_s
        self._fd: int | None = None
        self._end = 0  # bytes of whole records in the file
        self._read_pos = 0  # where the next record to load starts
        self._old_end = 0  # records before this offset were written by an earlier run
        self._on_disk = 0  # records in the file not loaded yet
        self._unwritten: deque[bytes] = deque()  # framed, waiting for the next sync (or the disk)
        self._unwritten_since = 0.0
        self._retry_at = 0.0
        self.syncs = 0
        self.error: str | None = None  # why the journal cannot be written now; None: it can

    # -- what it holds -----------------------------------------------------------------
    @property
    def waiting(self) -> int:
        """Outcomes in the journal not yet handed back (on disk, or held for the disk)."""
        return self._on_disk + len(self._unwritten)

    @property
    def unwritten(self) -> int:
        return len(self._unwritten)

    @property
    def size_bytes(self) -> int:
        return self._end

    # -- opening -----------------------------------------------------------------------
    def open(self) -> bool:
        """Open (creating it 0600 in a 0700 directory: it holds callers' numbers), lock
        it against a second daemon, and cut off a torn last record.  False (and
        `error`) when it cannot be opened: appends then wait in memory."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            self._broken(exc)
            return False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OSError(errno.EBUSY, "locked by another callcenter process") from None
            self._end, self._on_disk = self._scan(fd)
            _fsync_dir(self.directory)
        except OSError as exc:
            os.close(fd)
            self._broken(exc)
            return False
        self._fd = fd
        self._read_pos = 0
        self._old_end = self._end
        if self._on_disk:
            log.info("store.journal_found", path=str(self.path), outcomes=self._on_disk,
                     bytes=self._end)
        return True

    def _scan(self, fd: int) -> tuple[int, int]:
        """Count the whole records; cut off whatever follows the last one."""
        size = os.fstat(fd).st_size
        pos = count = 0
        for _start, end, _payload in _records(fd, 0, size):
            pos = end
            count += 1
        if pos < size:
            log.warning("store.journal_torn", path=str(self.path), kept_outcomes=count,
                        dropped_bytes=size - pos)
            os.ftruncate(fd, pos)
            os.fsync(fd)
        return pos, count

    # -- writing -----------------------------------------------------------------------
    def append(self, outcome: Outcome, now: float | None = None) -> None:
        """Queue one outcome for the file; written by the next `sync` (see `maintain`)."""
        if not self._unwritten:
            self._unwritten_since = time.monotonic() if now is None else now
        self._unwritten.append(frame(codec.encode(outcome)))

    def maintain(self, now: float) -> None:
        """Sync when a batch is due; while broken, retry every `retry_s`."""
        if self.error is not None:
            if now >= self._retry_at:
                self.sync()
            return
        if self._unwritten and (len(self._unwritten) >= self._sync_every
                                or now - self._unwritten_since >= self._sync_interval_s):
            self.sync()

    def sync(self) -> bool:
        """Write and fsync what is queued.  On failure the file is cut back to its last
        whole record (no half record after a full disk) and the records stay queued."""
        if self._fd is None and not self.open():
            return False
        fd = self._fd
        assert fd is not None  # noqa: S101 - open() set it
        if self._unwritten:
            data = b"".join(self._unwritten)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, self._end)
                self._broken(exc)
                return False
            self.syncs += 1
            self._end += len(data)
            self._on_disk += len(self._unwritten)
            self._unwritten.clear()
        self.error = None
        return True

    def _broken(self, exc: OSError) -> None:
        self.error = f"{exc.strerror or exc} ({self.directory})"
        self._retry_at = time.monotonic() + self._retry_s

    # -- reading back --------------------------------------------------------------------
    def load(self, limit: int) -> list[tuple[Outcome, bool]]:
        """Up to `limit` outcomes, oldest first, each with whether an earlier run wrote
        it (it may have reached the database before that run ended: replay it
        carefully).  They stay in the file until `clear()`."""
        loaded: list[tuple[Outcome, bool]] = []
        if self._on_disk and self._fd is not None:
            try:
                self._load_disk(self._fd, limit, loaded)
            except OSError as exc:  # an I/O error reading: the records stay; retried later
                log.error("store.journal_read_failed", error_id=JournalUnwritable.error_id,
                          path=str(self.path), error=str(exc))
                return loaded
        while len(loaded) < limit and self._unwritten and not self._on_disk:
            loaded.append((codec.decode(self._unwritten.popleft()[HEADER.size:]), False))
        return loaded

    def _load_disk(self, fd: int, limit: int, loaded: list[tuple[Outcome, bool]]) -> None:
        for start, end, payload in _records(fd, self._read_pos, self._end):
            self._read_pos = end
            self._on_disk -= 1
            try:
                loaded.append((codec.decode(payload), start < self._old_end))
            except codec.UndecodableRecord as exc:
                self._keep_unreadable(payload, str(exc))
            if len(loaded) >= limit or not self._on_disk:
                return
        if self._on_disk:  # damaged since it was opened (it passed the scan then)
            rest = os.pread(fd, self._end - self._read_pos, self._read_pos)
            self._keep_unreadable(rest, f"{self._on_disk} records damaged after opening")
            self._read_pos, self._on_disk = self._end, 0

    def _keep_unreadable(self, payload: bytes, why: str) -> None:
        """A record this version cannot turn into an outcome (written by another
        version): kept as it is in a side file for a person, never silently dropped."""
        aside = self.directory / UNREADABLE_NAME
        try:
            with aside.open("ab") as out:
                out.write(payload + b"\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            why = f"{why}; and it could not be kept aside: {exc}"
        log.error("store.journal_unreadable", error_id=JournalUnreadable.error_id,
                  kept_in=str(aside), error=why[:300])

    def clear(self) -> None:
        """Everything loaded from the file is written: empty the file (the records still
        queued for it stay queued)."""
        if self._fd is None or self._on_disk or self._end == 0:
            return
        try:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
        except OSError as exc:  # left as it is: replayed carefully at the next start
            log.warning("store.journal_truncate_failed", path=str(self.path), error=str(exc))
            return
        self._end = self._read_pos = self._old_end = 0

    # -- stopping --------------------------------------------------------------------------
    def keep(self, head: Sequence[Outcome]) -> int:
        """At a stop that could not write everything: `head` (the outcomes in memory,
        older than anything here) first, then what the file still holds, then what is
        queued, into a new file that replaces this one.  Returns how many outcomes the
        journal holds.  Raises JournalUnwritable when it cannot be done."""
        if self._fd is None and not self.open():
            raise JournalUnwritable(self.error or "cannot open the journal")
        fd = self._fd
        assert fd is not None  # noqa: S101 - open() set it
        if not head and self._read_pos == 0:
            if not self.sync():
                raise JournalUnwritable(self.error or "cannot write the journal")
            return self._on_disk
        new = self.path.with_name(FILE_NAME + ".new")
        count = len(head) + self._on_disk + len(self._unwritten)
        try:
            out = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            try:
                _write_all(out, b"".join(frame(codec.encode(o)) for o in head))
                pos = self._read_pos
                while pos < self._end:
                    chunk = os.pread(fd, min(_READ_CHUNK, self._end - pos), pos)
                    _write_all(out, chunk)
                    pos += len(chunk)
                _write_all(out, b"".join(self._unwritten))
                os.fsync(out)
            finally:
                os.close(out)
            os.replace(new, self.path)
            _fsync_dir(self.directory)
        except OSError as exc:
            with contextlib.suppress(OSError):
                new.unlink()
            self._broken(exc)
            raise JournalUnwritable(self.error or str(exc)) from exc
        self._unwritten.clear()
        self.close()
        return count

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # the lock goes with it
            self._fd = None


def _records(fd: int, pos: int, size: int) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, payload) of each whole, intact record from `pos` on; stops at `size`
    or at the first torn or damaged record."""
    buf, buf_at = b"", pos
    while pos < size:
        offset = pos - buf_at
        if offset + HEADER.size > len(buf):
            buf, buf_at, offset = os.pread(fd, _READ_CHUNK, pos), pos, 0
            if len(buf) < HEADER.size:
                return
        length, crc = HEADER.unpack_from(buf, offset)
        end = pos + HEADER.size + length
        if length > MAX_RECORD or end > size:
            return
        if offset + HEADER.size + length > len(buf):
            buf, buf_at, offset = os.pread(fd, max(_READ_CHUNK, HEADER.size + length), pos), pos, 0
            if len(buf) < HEADER.size + length:
                return
        payload = buf[offset + HEADER.size:offset + HEADER.size + length]
        if zlib.crc32(payload) != crc:
            return
        yield pos, end, payload
        pos = end


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    """A new file's name is durable only once its directory is synced."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
