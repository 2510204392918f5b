"""Batched writes on a thread of their own, so the event loop never waits on the disk.

Outcomes are queued without blocking; the writer thread takes whatever has
gathered (up to `batch_max`, or `flush_interval_s` after the first) and writes it
in one transaction.  If a batch fails, each outcome is retried alone so one bad
row cannot take the others down with it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from callcenter.domain.outcomes import Outcome
from callcenter.store.apply import Applier

log = structlog.get_logger("callcenter.store")

_STOP = object()


class StoreWriter:
    def __init__(self, engine: Engine, applier: Applier, *, batch_max: int = 500,
                 flush_interval_s: float = 0.05) -> None:
        self._engine = engine
        self._applier = applier
        self._batch_max = batch_max
        self._flush_interval_s = flush_interval_s
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._idle = threading.Condition()
        self._submitted = 0
        self._written = 0
        self.failed = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            self._submitted += 1
            self._queue.put(outcome)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is written (tests, shutdown)."""
        target = self._submitted
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._written < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[Outcome] = [first]  # type: ignore[list-item]
            deadline = time.monotonic() + self._flush_interval_s
            while len(batch) < self._batch_max:
                left = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=max(left, 0)) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._write(batch)
            with self._idle:
                self._written += len(batch)
                self._idle.notify_all()

    def _write(self, batch: list[Outcome]) -> None:
        try:
            with Session(self._engine) as session, session.begin():
                for outcome in batch:
                    self._applier.apply(session, outcome)
            return
        except SQLAlchemyError:
            log.warning("store.batch_failed", size=len(batch), exc_info=True)
        for outcome in batch:
            try:
                with Session(self._engine) as session, session.begin():
                    self._applier.apply(session, outcome)
            except SQLAlchemyError:
                self.failed += 1
                log.error("store.write_failed", outcome=type(outcome).__name__, exc_info=True)
