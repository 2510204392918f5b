"""A bus: the one typed port through which a kind of fact fans out (like cacofonisk's
reporter).  Publishers do not know who listens; a failing listener is logged and
never stops the publisher or the other listeners."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import structlog

T = TypeVar("T")
Listener = Callable[[Sequence[T]], None]

log = structlog.get_logger("callcenter.bus")


class Bus(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[[Sequence[T]], None]] = []

    def subscribe(self, listener: Callable[[Sequence[T]], None]) -> None:
        self._listeners.append(listener)

    def publish(self, items: Sequence[T]) -> None:
        """Synchronous, on the event loop: listeners only queue or compute, never wait."""
        if not items:
            return
        for listener in self._listeners:
            try:
                listener(items)
            except Exception:  # one listener's bug must not silence the others
                log.exception("bus.listener_failed", bus=self.name,
                              listener=getattr(listener, "__qualname__", repr(listener)))
