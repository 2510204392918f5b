"""The push channel's fan-out: every message is serialised once and handed to
exactly the browsers meant to see it (supervisors, or one agent's interface).

Each browser has a bounded queue.  A browser that stops reading is cut off rather
than allowed to grow memory or slow anyone else: its EventSource reconnects and
starts again from a fresh snapshot."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import structlog

from callcenter.users.service import WebUser

log = structlog.get_logger("callcenter.web")

Message = tuple[str, str]  # (event name, JSON data)
CLOSED: Message = ("", "")


@dataclass(eq=False)
class Subscriber:
    user: WebUser
    queue: asyncio.Queue[Message]
    dropped: bool = field(default=False)
    # Only these events (a page without a stream of its own hears the health alone).
    only: frozenset[str] | None = None


class Hub:
    def __init__(self, queue_max: int = 1000) -> None:
        self.queue_max = queue_max
        self._subscribers: set[Subscriber] = set()
        self.published = 0

    def subscribe(self, user: WebUser, only: frozenset[str] | None = None) -> Subscriber:
        sub = Subscriber(user, asyncio.Queue(self.queue_max), only=only)
        self._subscribers.add(sub)
        log.debug("web.subscribed", user=user.username, browsers=len(self._subscribers))
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    def count(self) -> int:
        return len(self._subscribers)

    def to_supervisors(self, event: str, data: Any) -> None:
        self._publish(event, data, lambda u: u.is_supervisor)

    def to_agent(self, interface: str, event: str, data: Any) -> None:
        self._publish(event, data, lambda u: u.member_interface == interface)

    def to_everyone(self, event: str, data: Any) -> None:
        self._publish(event, data, lambda _u: True)

    def _publish(self, event: str, data: Any, wanted: Any) -> None:
        message: Message | None = None
        for sub in list(self._subscribers):
            if not wanted(sub.user) or (sub.only is not None and event not in sub.only):
                continue
            if message is None:
                message = (event, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            try:
                sub.queue.put_nowait(message)
            except asyncio.QueueFull:
                self._drop(sub)
        if message is not None:
            self.published += 1

    def _drop(self, sub: Subscriber) -> None:
        log.warning("web.slow_browser_dropped", user=sub.user.username)
        sub.dropped = True
        self._subscribers.discard(sub)
        _force(sub.queue, CLOSED)

    def close(self) -> None:
        for sub in list(self._subscribers):
            _force(sub.queue, CLOSED)
        self._subscribers.clear()


def _force(queue: asyncio.Queue[Message], message: Message) -> None:
    """Make room if needed: the end-of-stream marker must get through."""
    while True:
        try:
            queue.put_nowait(message)
            return
        except asyncio.QueueFull:
            queue.get_nowait()
