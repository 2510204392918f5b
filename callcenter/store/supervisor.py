"""The writer process as the parent sees it: started (and restarted) with the process
group's stop signals blocked, sent one batch at a time, watched for its reply or its
death.

Blocked, because a blocked signal mask survives fork and exec: a Ctrl-C or a
`systemctl stop` that reaches the group while the new process is still starting
Python cannot kill it before it has set those signals to be ignored (child.py).  The
mask is set on the thread that starts it (the writer's pump thread), which needs no
signals: the daemon's main thread still receives them."""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from callcenter.domain.outcomes import Outcome
from callcenter.store.child import GROUP_SIGNALS, Reply, run


class ChildDied(Exception):
    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"writer process ended (exit code {exitcode})")
        self.exitcode = exitcode


class WriterChild:
    def __init__(self, database_url: str, repeat_window_s: float, log_level: str,
                 log_prefix: bool = False) -> None:
        self._args = (database_url, repeat_window_s, log_level, log_prefix)
        self._context = multiprocessing.get_context("spawn")  # no fork of a running event loop
        self._process: BaseProcess | None = None
        self._pipe: Connection | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def exitcode(self) -> int | None:
        return self._process.exitcode if self._process is not None else None

    def start(self) -> None:
        if self._process is not None and not self._process.is_alive():
            self._process.close()
        # multiprocessing starts its resource tracker on first use and unblocks
        # SIGINT/SIGTERM on the calling thread when it does: start it first, then block.
        resource_tracker.ensure_running()
        signal.pthread_sigmask(signal.SIG_BLOCK, GROUP_SIGNALS)
        pipe, child_pipe = self._context.Pipe()
        process = self._context.Process(target=run, args=(child_pipe, *self._args),
                                        name="callcenter-store-writer", daemon=True)
        process.start()
        child_pipe.close()  # ours is closed, so the child's death reads as EOF here
        self._process, self._pipe = process, pipe
        self.starts += 1

    def send(self, batch: list[Outcome], replay: bool) -> None:
        """Raises ChildDied when the process is gone."""
        if self._pipe is None:
            raise ChildDied(self.exitcode)
        try:
            self._pipe.send((batch, replay))
        except (OSError, EOFError, ValueError):
            raise ChildDied(self._reap()) from None

    def reply(self, timeout: float) -> Reply | None:
        """The reply to the batch in flight, or None if none came within `timeout`.
        Raises ChildDied when the process ended without one."""
        pipe, process = self._pipe, self._process
        if pipe is None or process is None:
            raise ChildDied(self.exitcode)
        ready = wait([pipe, process.sentinel], timeout)
        if not ready:
            return None
        if pipe in ready or pipe.poll():  # a reply sent just before dying still counts
            try:
                answer: Reply = pipe.recv()
            except (OSError, EOFError):
                raise ChildDied(self._reap()) from None
            return answer
        raise ChildDied(self._reap())

    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _reap(self) -> int | None:
        process = self._process
        if process is not None:
            process.join(5)
            if process.is_alive():  # the pipe broke but it lives on: make sure it is gone
                process.kill()
                process.join(5)
        self._discard()
        return process.exitcode if process is not None else None

    def _discard(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
        self._pipe = None

    def stop(self, timeout: float = 5.0) -> None:
        """Ask it to end (it finishes the batch it has); kill it after `timeout`."""
        process = self._process
        if process is None:
            return
        if self._pipe is not None:
            with contextlib.suppress(OSError, ValueError):
                self._pipe.send(None)
        process.join(timeout)
        if process.is_alive():  # SIGTERM is ignored there by design: only SIGKILL ends it
            process.kill()
            process.join(5)
        self._discard()
        process.close()
        self._process = None
