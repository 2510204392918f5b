"""Sign-in throttling (pure, injected clock).

Every try is counted when it begins, before the password is checked: tries racing
each other are all counted, and a success afterwards refunds its own count.  Two
limits, for two different abuses:

* an address (the client, see auth.client_address) is *blocked* after
  `address_max_failures` tries within `address_window_s`, whatever names it tries;
* a user name is only *slowed down*: past `user_free_failures` recent failures, each
  try must wait `user_delay_s`, doubling per failure, at most `user_delay_max_s`
  after the last one.  A blocked address no longer counts against the name, so an
  attacker soon stops slowing the real user; and an address the user signed in from
  lately (`known_address_s`) skips the delay altogether.

Tries refused by the user delay still count against their address: an address that
keeps knocking is blocked."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from callcenter.domain.clock import Clock
from callcenter.errors import LoginThrottled
from callcenter.web.settings import ThrottlePolicy


@dataclass(frozen=True, slots=True)
class Attempt:
    """A try in progress: what `succeeded` or `refund` gives back."""

    user_key: str
    address: str
    at: float


class LoginThrottle:
    MAX_KEYS = 10_000  # guessing random names must not grow memory without end
    KNOWN_PER_USER = 16

    def __init__(self, clock: Clock, policy: ThrottlePolicy) -> None:
        self.clock = clock
        self.policy = policy
        self._addresses: dict[str, deque[float]] = {}
        self._users: dict[str, deque[float]] = {}
        self._known: dict[str, dict[str, float]] = {}  # user key -> address -> last success

    @staticmethod
    def _user_key(username: str) -> str:
        return username.casefold()  # "Alice" and "alice" share one count

    def begin(self, username: str, address: str) -> Attempt:
        """Count a try now, or raise LoginThrottled with the seconds to wait."""
        now, p = self.clock.now(), self.policy
        failures = _recent(self._addresses, address, now - p.address_window_s)
        if len(failures) >= p.address_max_failures:
            raise LoginThrottled(failures[0] + p.address_window_s - now)
        self._addresses.setdefault(address, deque()).append(now)
        user = self._user_key(username)
        if not self.is_known(username, address):
            wait = self.user_delay(username)
            if wait > 0:
                self._bound()
                raise LoginThrottled(wait)
        self._users.setdefault(user, deque()).append(now)
        self._bound()
        return Attempt(user, address, now)

    def user_delay(self, username: str) -> float:
        """Seconds until this user name may be tried again from an unknown address."""
        now, p = self.clock.now(), self.policy
        failures = _recent(self._users, self._user_key(username), now - p.user_window_s)
        excess = len(failures) - p.user_free_failures
        if excess < 0:
            return 0.0
        delay = min(p.user_delay_s * 2.0 ** min(excess, 64), p.user_delay_max_s)
        return max(0.0, failures[-1] + delay - now)

    def address_failures(self, address: str) -> int:
        return len(_recent(self._addresses, address,
                           self.clock.now() - self.policy.address_window_s))

    def user_failures(self, username: str) -> int:
        return len(_recent(self._users, self._user_key(username),
                           self.clock.now() - self.policy.user_window_s))

    def is_known(self, username: str, address: str) -> bool:
        seen = self._known.get(self._user_key(username), {}).get(address)
        return seen is not None and seen > self.clock.now() - self.policy.known_address_s

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the try is refunded and the address remembered.
        Earlier failures stay: the real user signing in must not wipe an attack's count."""
        self.refund(attempt)
        if self.policy.known_address_s <= 0:
            return
        known = self._known.setdefault(attempt.user_key, {})
        known.pop(attempt.address, None)  # re-inserted last: the dict stays oldest-first
        known[attempt.address] = self.clock.now()
        while len(known) > self.KNOWN_PER_USER:
            del known[next(iter(known))]

    def refund(self, attempt: Attempt) -> None:
        """Take back a try that proved nothing (right password, or the check failed)."""
        _remove(self._addresses, attempt.address, attempt.at)
        _remove(self._users, attempt.user_key, attempt.at)

    def _bound(self) -> None:
        now, p = self.clock.now(), self.policy
        for table, window in ((self._addresses, p.address_window_s),
                              (self._users, p.user_window_s)):
            if len(table) <= self.MAX_KEYS:
                continue
            for key in list(table):
                _recent(table, key, now - window)
            while len(table) > self.MAX_KEYS:  # still too many: forget the oldest keys
                del table[next(iter(table))]
        if len(self._known) > self.MAX_KEYS:
            while len(self._known) > self.MAX_KEYS:
                del self._known[next(iter(self._known))]


def _recent(table: dict[str, deque[float]], key: str, since: float) -> deque[float]:
    """The key's times after `since`, the older ones dropped (and the key, if empty)."""
    times = table.get(key)
    if times is None:
        return deque()
    while times and times[0] <= since:
        times.popleft()
    if not times:
        del table[key]
    return times


def _remove(table: dict[str, deque[float]], key: str, at: float) -> None:
    times = table.get(key)
    if times is None:
        return
    try:
        times.remove(at)
    except ValueError:
        return  # aged out meanwhile
    if not times:
        del table[key]
