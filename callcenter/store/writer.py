"""Batched writes in a process of their own, so the event loop never waits on the disk
and never competes with SQLAlchemy for the GIL; and nothing the center did is lost.

`submit()` only queues.  One pump thread owns everything else: it moves what was
submitted into the backlog (memory up to `buffer_max`, then the journal on disk,
backlog.py), hands the writer process (child.py) one batch at a time (up to
`batch_max`, or `flush_interval_s` after the first outcome), and drops a batch from
the backlog only when the process confirms it written (or, for a row the database
refuses as data, set aside).  While one batch is in flight the next grows.

- The database unreachable: the batch stays, retried with capped back-off
  (`retry_max_s`); newer outcomes wait in memory, then in the journal; health says
  `database` down.  Back: the backlog is written in order, the journal emptied.
- The writer process dies (killed, crashed): restarted at once (with back-off if it
  keeps dying), and the batch it never answered is sent again, carefully (replay).
- Ctrl-C / `systemctl stop` reach the whole process group: the writer process
  ignores them; the daemon calls `close()`, which writes everything received
  before it returns, for at most `drain_timeout_s`; what the database could not
  take by then is kept in the journal (fsync'd) and written at the next start.

Health parts reported: `database`, `writer` (lag = submitted - written),
`journal` (bytes and outcomes waiting on disk)."""

from __future__ import annotations

import atexit
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog

from callcenter.core.health import Health
from callcenter.domain.outcomes import Outcome
from callcenter.errors import DatabaseUnreachable, JournalUnwritable, OutcomesLost, WriterDied
from callcenter.store.backlog import Backlog
from callcenter.store.child import Reply, SetAsideNote
from callcenter.store.journal import Journal
from callcenter.store.supervisor import ChildDied, WriterChild

__all__ = ["SetAsideNote", "StoreWriter"]

log = structlog.get_logger("callcenter.store")

RETRY_INITIAL_S = 0.5  # the first retry after the database went away; doubles to retry_max_s
STOP_GRACE_S = 3.0  # past the drain deadline, the batch in flight may still commit
REPORT_EVERY_S = 1.0  # health figures (lag, journal size) at most this often
_INTAKE_CHUNK = 10_000  # moved from the intake per go, so the pump stays responsive


@dataclass(frozen=True, slots=True)
class _Stop:
    drain_timeout_s: float


class StoreWriter:
    def __init__(self, database_url: str, repeat_window_s: float, *, batch_max: int = 500,
                 flush_interval_s: float = 0.05, log_level: str = "INFO",
                 on_set_aside: Callable[[list[SetAsideNote]], None] | None = None,
                 health: Health | None = None, buffer_max: int = 100_000,
                 journal_dir: Path | None = None, journal_max_bytes: int = 1 << 30,
                 drain_timeout_s: float = 20.0, retry_max_s: float = 5.0,
                 probe_interval_s: float = 5.0, log_prefix: bool = False) -> None:
        # Called from the pump thread: the callee hops to its own loop.
        self.on_set_aside = on_set_aside
        self.health = health
        self._batch_max = batch_max
        self._flush_interval_s = flush_interval_s
        self._journal_max_bytes = journal_max_bytes
        self._drain_timeout_s = drain_timeout_s
        self._retry_max_s = retry_max_s
        self._probe_interval_s = probe_interval_s
        self.journal = Journal(journal_dir or Path("/var/lib/callcenter/journal"))
        self._backlog = Backlog(self.journal, buffer_max, refill_max=max(10 * batch_max, 1000))
        self._child = WriterChild(database_url, repeat_window_s, log_level, log_prefix)
        self._intake: queue.SimpleQueue[Outcome | _Stop] = queue.SimpleQueue()
        # A daemon thread, stopped by close() (or at exit): never a process that
        # cannot exit because its writer thread waits for a database.
        self._thread = threading.Thread(target=self._pump, name="store-writer", daemon=True)
        self._progress = threading.Condition()
        self._submitted = 0
        self._inherited = 0  # outcomes an earlier run left in the journal
        self._written = 0
        self._pump_ended = False
        self.failed = 0  # outcomes set aside
        # The pump's own state.
        self._awaiting = False  # a batch (or a probe) is with the writer process
        self._answered_at = 0.0  # the writer process's last reply (monotonic)
        self._in_flight = 0
        self._pending_since = float("-inf")  # when the oldest unsent outcome arrived
        self._retry_at = 0.0
        self._backoff = RETRY_INITIAL_S
        self._restart_at: float | None = 0.0  # when to start a writer process; None: running
        self._deaths = 0  # in a row, without a reply between them
        self._stopping = False
        self._deadline = float("inf")
        self._stop_started = 0.0
        self._told: dict[str, tuple[bool, str]] = {}
        self._journal_used = False
        self._next_report = 0.0

    # -- the daemon's side ------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        atexit.register(self._close_at_exit)

    def submit(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            self._submitted += 1
            self._intake.put(outcome)

    @property
    def lag(self) -> int:
        """Outcomes submitted (or left by an earlier run) and not yet written or set aside."""
        return self._submitted + self._inherited - self._written

    @property
    def written(self) -> int:
        return self._written

    @property
    def waiting(self) -> tuple[int, int]:
        """Outcomes waiting to be sent: (in memory, in the journal).  Read from any
        thread (the metrics): each figure is one atomic read, together a moment's view."""
        return len(self._backlog.memory), self.journal.waiting

    @property
    def restarts(self) -> int:
        return max(0, self._child.starts - 1)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far (and anything an earlier run left in
        the journal) is written: tests, shutdown."""
        target = self._submitted + self._inherited
        deadline = time.monotonic() + timeout
        with self._progress:
            while self._written < target:
                left = deadline - time.monotonic()
                if left <= 0 or self._pump_ended:
                    return False
                self._progress.wait(min(left, 0.5))
        return True

    def close(self, timeout: float | None = None) -> None:
        """Write everything submitted, for at most `timeout` (default `drain_timeout_s`);
        what is left then is kept in the journal for the next start."""
        if not self._thread.is_alive():
            return
        drain = self._drain_timeout_s if timeout is None else timeout
        self._intake.put(_Stop(drain))
        self._thread.join(drain + STOP_GRACE_S + 30)
        atexit.unregister(self._close_at_exit)

    def _close_at_exit(self) -> None:
        # The daemon always closes; this is for a caller that forgot (the writer
        # process ignores SIGTERM, so multiprocessing's own exit hook would wait).
        self.close(5.0)

    # -- the pump ---------------------------------------------------------------------
    def _pump(self) -> None:
        try:
            self.journal.open()
            self._inherited = self.journal.waiting
            self._check_journal()
            while not self._finished(time.monotonic()):
                self._step()
        except Exception:  # a bug here must not take the outcomes with it
            log.exception("store.pump_failed")
        finally:
            self._finish()

    def _step(self) -> None:
        self._take_intake(self._wait_s(time.monotonic()))
        now = time.monotonic()
        self.journal.maintain(now)
        self._check_journal()
        if self._restart_at is not None:
            if now >= self._restart_at:
                self._start_child()
        elif not self._awaiting and now >= self._send_at():
            self._send_next()
        if self._awaiting:
            self._receive(0.05)
        if now >= self._next_report:
            self._report()

    def _wait_s(self, now: float) -> float:
        if self._awaiting:
            return 0.0  # the wait is on the writer process's reply
        wake = now + (0.2 if self.journal.unwritten or self.journal.error else REPORT_EVERY_S)
        if self._restart_at is not None:
            wake = min(wake, self._restart_at)
        elif self._backlog.size or not self._database_up:
            wake = min(wake, self._send_at())
        if self._stopping:
            wake = min(wake, self._deadline)
        return max(0.0, wake - now)

    def _send_at(self) -> float:
        if not self._backlog.size and self._database_up:
            # Nothing to send: a probe now and then, so health (and /readyz) learns of a
            # database gone away while the center is quiet.
            return self._answered_at + self._probe_interval_s
        full = self._stopping or self._backlog.size >= self._batch_max
        gathered = float("-inf") if full else self._pending_since + self._flush_interval_s
        return max(self._retry_at, gathered)

    def _take_intake(self, timeout: float) -> None:
        try:
            first = self._intake.get(timeout=timeout) if timeout > 0 else self._intake.get_nowait()
        except queue.Empty:
            return
        items = [first]
        while len(items) < _INTAKE_CHUNK:
            try:
                items.append(self._intake.get_nowait())
            except queue.Empty:
                break
        now = time.monotonic()
        for item in items:
            if isinstance(item, _Stop):
                self._begin_stop(now, item.drain_timeout_s)
                continue
            if not self._backlog.size:
                self._pending_since = now
            self._backlog.put(item, now)

    def _begin_stop(self, now: float, drain_timeout_s: float) -> None:
        if not self._stopping:
            self._stopping, self._stop_started = True, now
            self._deadline = now + drain_timeout_s
            log.info("store.draining", waiting=self._backlog.size,
                     deadline_s=round(drain_timeout_s, 1))

    def _finished(self, now: float) -> bool:
        if not self._stopping:
            return False
        return (not self._awaiting and not self._backlog.size) or now >= self._deadline

    def _start_child(self) -> None:
        self._restart_at = None
        self._child.start()
        log.info("store.writer_started", pid=self._child.pid, start=self._child.starts)

    def _send_next(self) -> None:
        batch, replay = self._backlog.peek(self._batch_max)
        try:
            self._child.send(batch, replay)  # empty: a probe of the database
        except ChildDied as died:
            self._child_died(died)
            return
        self._awaiting, self._in_flight = True, len(batch)

    def _receive(self, timeout: float) -> None:
        try:
            reply = self._child.reply(timeout)
        except ChildDied as died:
            self._child_died(died)
            return
        if reply is not None:
            self._awaiting = False
            self._answered_at = time.monotonic()
            self._deaths = 0
            was = self._told.get("writer")
            if self._tell("writer", True, "running") and was is not None:
                log.info("store.writer_running", pid=self._child.pid, start=self._child.starts)
            self._confirm(reply, self._in_flight)

    def _child_died(self, died: ChildDied) -> None:
        if self._awaiting and self._in_flight:
            self._backlog.maybe_written(self._in_flight)  # it may have committed
        in_flight, self._awaiting, self._in_flight = self._in_flight, False, 0
        self._deaths += 1
        delay = 0.0 if self._deaths == 1 else min(
            RETRY_INITIAL_S * 2 ** (self._deaths - 2), self._retry_max_s)
        self._restart_at = time.monotonic() + delay
        log.warning("store.writer_died", error_id=WriterDied.error_id, exit_code=died.exitcode,
                    in_flight=in_flight, waiting=self._backlog.size, restart_in_s=delay)
        self._tell("writer", False, "restarting")
        self._report()

    def _confirm(self, reply: Reply, sent: int) -> None:
        if reply.done:
            self._backlog.confirm(reply.done)
        with self._progress:
            self._written += reply.done
            self.failed += len(reply.aside)
            self._progress.notify_all()
        if reply.aside and self.on_set_aside is not None:
            try:
                self.on_set_aside(reply.aside)
            except Exception:  # telling must not stop the writing
                log.exception("store.set_aside_report_failed")
        self._pending_since = float("-inf")  # whatever waits now has waited long enough
        if reply.unreachable:
            if sent > reply.done:
                self._backlog.maybe_written(sent - reply.done)  # a commit may have landed
            self._retry_at = time.monotonic() + self._backoff
            was = self._told.get("database")
            # Logged once per outage; the registry also hears a changed reason.
            if self._tell("database", False, f"unreachable: {reply.unreachable}") \
                    and (was is None or was[0]):
                log.warning("store.database_unreachable", error_id=DatabaseUnreachable.error_id,
                            error=reply.unreachable, waiting=self._backlog.size,
                            retry_max_s=self._retry_max_s)
            self._backoff = min(self._backoff * 2, self._retry_max_s)
            return
        self._retry_at, self._backoff = 0.0, RETRY_INITIAL_S
        was = self._told.get("database")
        if self._tell("database", True, "reachable") and was is not None:
            log.info("store.database_reachable", waiting=self._backlog.size)

    # -- telling ----------------------------------------------------------------------
    def _tell(self, part: str, ok: bool, detail: str) -> bool:
        """Report a part's state to the health registry; True if that changed it (the
        first report included)."""
        if self._told.get(part) == (ok, detail):
            return False
        self._told[part] = (ok, detail)
        if self.health is not None:
            self.health.report(part, ok, detail, self._figures(part))
        return True

    @property
    def _database_up(self) -> bool:
        return self._told.get("database", (False, ""))[0]

    def _figures(self, part: str) -> tuple[tuple[str, float], ...]:
        if part == "writer":
            return (("lag", float(self.lag)), ("in_memory", float(len(self._backlog.memory))),
                    ("restarts", float(max(0, self._child.starts - 1))))
        if part == "journal":
            return (("journal_bytes", float(self.journal.size_bytes)),
                    ("journal_outcomes", float(self.journal.waiting)),
                    ("held_in_memory", float(self.journal.unwritten)))
        return ()

    def _report(self) -> None:
        """Figures alone (no state change): kept by the registry for the status."""
        self._next_report = time.monotonic() + REPORT_EVERY_S
        if self.health is None:
            return
        for part, (ok, detail) in self._told.items():
            self.health.report(part, ok, detail, self._figures(part))

    def _check_journal(self) -> None:
        journal = self.journal
        if journal.error is not None:
            detail = f"unwritable: {journal.error}; outcomes are held in memory"
            if self._tell("journal", False, detail):
                log.error("store.journal_unwritable", error_id=JournalUnwritable.error_id,
                          error=journal.error, held_in_memory=journal.unwritten)
        elif journal.size_bytes > self._journal_max_bytes:
            detail = f"over journal_max_bytes ({self._journal_max_bytes}): the database is away long"
            if self._tell("journal", False, detail):
                log.warning("store.journal_over_limit", bytes=journal.size_bytes,
                            outcomes=journal.waiting)
        else:
            was = self._told.get("journal")
            if self._tell("journal", True, "ready") and was is not None:
                log.info("store.journal_ready", bytes=journal.size_bytes,
                         outcomes=journal.waiting)
        used = journal.waiting > 0 or journal.size_bytes > 0
        if used != self._journal_used:
            self._journal_used = used
            if used:
                log.info("store.journal_in_use", path=str(journal.path),
                         in_memory=len(self._backlog.memory), outcomes=journal.waiting)
            else:
                log.info("store.journal_emptied", path=str(journal.path))

    # -- stopping ---------------------------------------------------------------------
    def _finish(self) -> None:
        try:
            while not self._intake.empty():  # anything submitted alongside the stop
                self._take_intake(0.0)
            if self._awaiting:  # past the deadline: the batch in flight may still commit
                self._receive(STOP_GRACE_S)
            busy = self._awaiting
            if busy:
                self._backlog.maybe_written(self._in_flight)
            left = self._backlog.size
            kept = 0
            if left:
                try:
                    kept = self._backlog.keep_on_disk()
                except JournalUnwritable as exc:  # the one way to lose: both are gone
                    log.error("store.outcomes_lost", error_id=OutcomesLost.error_id,
                              lost=self._backlog.only_in_memory(), error=str(exc))
                else:
                    log.warning("store.kept_in_journal", outcomes=kept, path=str(self.journal.path))
            self.journal.close()
            self._child.stop(0.0 if busy else 5.0)  # busy: its batch is kept; do not wait
            log.info("store.writer_stopped", written=self._written, kept_in_journal=kept,
                     drain_s=round(time.monotonic() - self._stop_started, 3)
                     if self._stopping else None)
        finally:
            with self._progress:
                self._pump_ended = True
                self._progress.notify_all()
