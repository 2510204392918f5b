"""What the daemon knows of its own parts: the AMI link, the database, the store
writer, its journal, Asterisk's queue_log.  Each part reports its state whenever it
changes, from any thread; a change goes on the health bus (on the event loop), where
the outages feature raises and clears alerts and the status file is kept."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from callcenter.core.bus import Bus
from callcenter.domain.clock import Clock


@dataclass(frozen=True, slots=True)
class Condition:
    part: str  # ami | database | writer | journal | queue_log | ...
    ok: bool
    detail: str  # what is wrong, or what is true ("connected", "12 outcomes behind")
    since: float  # when it became ok / not ok
    figures: tuple[tuple[str, float], ...] = ()  # e.g. (("lag", 12), ("journal_bytes", 0))


@dataclass
class Health:
    clock: Clock
    bus: Bus[Condition]
    _parts: dict[str, Condition] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Changes reported from threads reach the bus through this loop."""
        self._loop = loop

    def report(self, part: str, ok: bool, detail: str = "",
               figures: tuple[tuple[str, float], ...] = ()) -> None:
        """Thread-safe.  Publishes only when ok-ness or the detail changed; figures
        alone are kept for the status without a bus message."""
        with self._lock:
            before = self._parts.get(part)
            changed = before is None or before.ok != ok or before.detail != detail
            since = self.clock.now() if before is None or before.ok != ok else before.since
            now = self._parts[part] = Condition(part, ok, detail, since, figures)
        if not changed:
            return
        loop = self._loop
        if loop is None:
            return  # not running yet: the state is kept, the bus hears nothing
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.bus.publish([now])
        else:
            loop.call_soon_threadsafe(self.bus.publish, [now])

    def snapshot(self) -> dict[str, Condition]:
        with self._lock:
            return dict(self._parts)
