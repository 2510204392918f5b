"""Batched writes in a process of their own, so the event loop never waits on the disk
and never competes with SQLAlchemy for the GIL.

`submit()` only queues.  A sender thread gathers whatever has accumulated (up to
`batch_max`, or `flush_interval_s` after the first outcome) and hands it, pickled,
to the writer process, which writes it in one transaction and acknowledges.  One
batch is in flight at a time: while the database is busy, the next batch grows.
If a batch fails, the writer retries each outcome alone so one bad row cannot take
the others down with it; an outcome that still fails after `RETRIES` tries is kept
aside in the `set_aside` table with its error (never only a log line) and reported
back, so the daemon can raise an alert for a supervisor.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from callcenter.domain.outcomes import Outcome

log = structlog.get_logger("callcenter.store")

_STOP = object()
RETRIES = 3  # tries of one outcome alone before it is set aside
RETRY_PAUSES_S = (0.1, 0.5)  # between the tries: a lock or a blip may pass


@dataclass(frozen=True, slots=True)
class SetAsideNote:
    """An outcome the store could not write: what it was, and where it was kept."""

    kind: str
    linkedid: str
    error: str
    set_aside_id: int | None  # None: even keeping it aside failed (the database is gone)


class StoreWriter:
    def __init__(self, database_url: str, repeat_window_s: float, *, batch_max: int = 500,
                 flush_interval_s: float = 0.05, log_level: str = "INFO",
                 on_set_aside: Callable[[list[SetAsideNote]], None] | None = None) -> None:
        # Called from the sender thread: the callee hops to its own loop.
        self.on_set_aside = on_set_aside
        self._batch_max = batch_max
        self._flush_interval_s = flush_interval_s
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        context = multiprocessing.get_context("spawn")  # no fork of a running event loop
        self._pipe, child_pipe = context.Pipe()
        self._process = context.Process(
            target=_writer_process, args=(child_pipe, database_url, repeat_window_s, log_level),
            name="callcenter-store-writer", daemon=True)
        self._sender = threading.Thread(target=self._send_batches, name="store-sender",
                                        daemon=True)
        self._progress = threading.Condition()
        self._submitted = 0
        self._written = 0
        self.failed = 0

    def start(self) -> None:
        self._process.start()
        self._sender.start()

    def submit(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            self._submitted += 1
            self._queue.put(outcome)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is written (tests, shutdown)."""
        target = self._submitted
        deadline = time.monotonic() + timeout
        with self._progress:
            while self._written < target:
                left = deadline - time.monotonic()
                if left <= 0 or not self._process.is_alive():
                    return False
                self._progress.wait(min(left, 0.5))
        return True

    def close(self, timeout: float = 30.0) -> None:
        self._queue.put(_STOP)
        self._sender.join(timeout)
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()

    def _send_batches(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[object] = [first]
            deadline = time.monotonic() + self._flush_interval_s
            while len(batch) < self._batch_max:
                left = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            try:
                self._pipe.send(batch)
                written, aside = self._pipe.recv()
            except (EOFError, OSError):
                log.error("store.writer_died", lost=len(batch))
                return
            with self._progress:
                self._written += written
                self.failed += len(aside)
                self._progress.notify_all()
            if aside and self.on_set_aside is not None:
                try:
                    self.on_set_aside(aside)
                except Exception:  # telling must not stop the writing
                    log.exception("store.set_aside_report_failed")
        self._pipe.send(None)


def _writer_process(pipe: Pipe, database_url: str, repeat_window_s: float,
                    log_level: str) -> None:
    # Imported here: this runs in the spawned writer process.
    from callcenter import logs  # noqa: PLC0415
    from callcenter.store.apply import Applier  # noqa: PLC0415
    from callcenter.store.db import engine_for  # noqa: PLC0415

    logs.configure(log_level)
    engine = engine_for(database_url)
    applier = Applier(repeat_window_s)
    while True:
        batch = pipe.recv()
        if batch is None:
            break
        aside: list[SetAsideNote] = []
        try:
            with engine.begin() as connection:
                applier.apply_batch(connection, batch)
        except SQLAlchemyError:
            log.warning("store.batch_failed", size=len(batch), exc_info=True)
            for outcome in batch:
                error = _write_alone(engine, applier, outcome)
                if error is not None:
                    aside.append(_set_aside(engine, outcome, error))
        pipe.send((len(batch), aside))
    engine.dispose()


def _write_alone(engine: Any, applier: Any, outcome: Outcome) -> str | None:
    """Write one outcome, trying `RETRIES` times; the last error, or None when written."""
    error = ""
    for attempt in range(RETRIES):
        try:
            with engine.begin() as connection:
                applier.apply(connection, outcome)
            return None
        except SQLAlchemyError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            if attempt < len(RETRY_PAUSES_S):
                time.sleep(RETRY_PAUSES_S[attempt])
    return error


def _set_aside(engine: Any, outcome: Outcome, error: str) -> SetAsideNote:
    from sqlalchemy import insert  # noqa: PLC0415 - writer process only

    from callcenter.store import models as m  # noqa: PLC0415

    kind, linkedid = type(outcome).__name__, str(getattr(outcome, "linkedid", ""))[:64]
    payload = json.dumps(dataclasses.asdict(outcome), ensure_ascii=False, default=str)
    try:
        with engine.begin() as connection:
            row_id = connection.execute(insert(m.SetAside).values(
                kind=kind, linkedid=linkedid, payload=payload, error=error, at=time.time())
                .returning(m.SetAside.id)).scalar_one()
    except SQLAlchemyError:
        log.error("store.set_aside_failed", outcome=kind, linkedid=linkedid, exc_info=True)
        return SetAsideNote(kind, linkedid, error, None)
    log.error("store.set_aside", outcome=kind, linkedid=linkedid, set_aside_id=row_id,
              error=error)
    return SetAsideNote(kind, linkedid, error, int(row_id))
