"""Every task the daemon starts is owned: side tasks are kept until they end, their
failures are logged, and shutdown waits for (or cancels) them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger("callcenter.tasks")


class TaskOwner:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "side") -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("daemon.side_task_failed", task=task.get_name(), exc_info=task.exception())

    async def drain(self) -> None:
        """Let what was started finish (each is short: one database write)."""
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
