"""Failed-login throttling (pure, injected clock): after `max_failures` failures for
one user name or one address within `lockout_s`, further tries are refused until
the oldest failure ages out.  Both keys count, so guessing many names from one
address and one name from many addresses are both slowed."""

from __future__ import annotations

from collections import deque

from callcenter.domain.clock import Clock


class LoginThrottle:
    MAX_KEYS = 10_000
    def __init__(self, clock: Clock, max_failures: int, lockout_s: float) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self.clock.now()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.lockout_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, username: str, address: str) -> float:
        """Seconds until a try is allowed (0: allowed now)."""
        wait = 0.0
        for key in (f"user:{username.lower()}", f"addr:{address}"):
            failures = self._recent(key)
            if len(failures) >= self.max_failures:
                wait = max(wait, failures[0] + self.lockout_s - self.clock.now())
        return wait

    def failed(self, username: str, address: str) -> None:
        now = self.clock.now()
        for key in (f"user:{username.lower()}", f"addr:{address}"):
            self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > self.MAX_KEYS:  # guessing random names must not grow memory
            for key in list(self._failures):
                self._recent(key)

    def succeeded(self, username: str) -> None:
        self._failures.pop(f"user:{username.lower()}", None)
