"""A sliding-window rate limiter (pure: the clock is injected).

DingTalk robots accept 20 messages a minute and then refuse for ten minutes, and
WeCom robots have the same limit; a sliding window (not a token bucket with a
burst) guarantees that no 60 s window, however it is placed, holds more.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, max_per_window: int, *, now: Callable[[], float], window_s: float = 60.0) -> None:
        if max_per_window < 1 or window_s <= 0:
            raise ValueError("max_per_window must be >= 1 and window_s > 0")
        self.max_per_window = max_per_window
        self.window_s = window_s
        self._now = now
        self._sent: deque[float] = deque()

    def _prune(self, now: float) -> None:
        if self._sent and self._sent[-1] > now:
            # The clock stepped backwards: count those sends as made now, so the
            # limit still holds but we never wait longer than one window.
            self._sent = deque(min(at, now) for at in self._sent)
        while self._sent and self._sent[0] <= now - self.window_s:
            self._sent.popleft()

    def delay_s(self) -> float:
        """Seconds to wait before the next send is allowed (0.0: send now)."""
        now = self._now()
        self._prune(now)
        if len(self._sent) < self.max_per_window:
            return 0.0
        return self._sent[0] + self.window_s - now

    def record(self) -> None:
        """Note a send made now."""
        now = self._now()
        self._prune(now)
        self._sent.append(now)
