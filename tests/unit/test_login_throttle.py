"""The sign-in throttle on its own (pure, injected clock): tries counted as they begin,
an address blocked, a user name only slowed (growing, capped), refunds and known
addresses; and which client address it is given (X-Forwarded-For only from trusted
proxies)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.requests import Request

from callcenter import config
from callcenter.domain.clock import ManualClock
from callcenter.errors import ConfigError, LoginThrottled
from callcenter.web.auth import client_address
from callcenter.web.ratelimit import LoginThrottle
from callcenter.web.settings import ThrottlePolicy, WebSettings

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


def policy(**changes: float) -> ThrottlePolicy:
    base = {"address_max_failures": 100, "address_window_s": 300.0, "user_free_failures": 3,
            "user_delay_s": 1.0, "user_delay_max_s": 8.0, "user_window_s": 900.0,
            "known_address_s": 0.0}
    base.update(changes)
    return ThrottlePolicy(**base)  # type: ignore[arg-type]


def refused(throttle: LoginThrottle, name: str, address: str) -> float:
    with pytest.raises(LoginThrottled) as caught:
        throttle.begin(name, address)
    return caught.value.retry_after_s


def test_defaults_are_valid_and_become_the_policy() -> None:
    p = WebSettings().throttle_policy
    assert p.address_max_failures == 20 and p.user_free_failures == 3
    assert p.user_delay_s < p.user_delay_max_s and p.known_address_s == 30 * 86400.0


def test_a_try_counts_when_it_begins() -> None:
    """Tries in flight together (none has failed yet) are already counted."""
    throttle = LoginThrottle(ManualClock(NOW), policy(address_max_failures=5))
    for i in range(5):
        throttle.begin(f"name{i}", "10.0.0.1")  # no outcome yet: still in flight
    assert throttle.address_failures("10.0.0.1") == 5
    assert refused(throttle, "name9", "10.0.0.1") == pytest.approx(300)
    throttle.begin("name9", "10.0.0.2")  # another address is not affected


def test_a_user_name_is_slowed_more_and_more_up_to_the_cap() -> None:
    clock = ManualClock(NOW)
    throttle = LoginThrottle(clock, policy())
    waits = []
    for i in range(9):  # each from another address: the address limit plays no part
        wait = throttle.user_delay("alice")
        waits.append(wait)
        if wait:
            assert refused(throttle, "alice", f"10.0.1.{i}") == pytest.approx(wait)
            clock.advance(wait)
        throttle.begin("alice", f"10.0.1.{i}")  # and it fails
    assert waits == [0, 0, 0, 1, 2, 4, 8, 8, 8]  # three free, then doubling, capped
    assert throttle.user_delay("ALICE") == 8  # names compare case-blind
    assert throttle.user_delay("bob") == 0
    clock.advance(900)  # failures older than the window are forgotten
    assert throttle.user_delay("alice") == 0


def test_refused_tries_count_against_the_address_not_the_user() -> None:
    """A guesser hammering through the user delay gets their address blocked, and
    once it is blocked its tries no longer slow the user down."""
    throttle = LoginThrottle(ManualClock(NOW), policy(address_max_failures=10))
    for _ in range(3):
        throttle.begin("alice", "10.6.6.6")
    for _ in range(7):
        refused(throttle, "alice", "10.6.6.6")  # the user delay
    assert throttle.address_failures("10.6.6.6") == 10
    assert throttle.user_failures("alice") == 3
    assert refused(throttle, "alice", "10.6.6.6") == pytest.approx(300)  # blocked now
    assert throttle.address_failures("10.6.6.6") == 10 and throttle.user_failures("alice") == 3


def test_success_refunds_its_own_try_and_remembers_the_address() -> None:
    clock = ManualClock(NOW)
    throttle = LoginThrottle(clock, policy(known_address_s=86400.0))
    for i in range(3):
        throttle.begin("alice", f"10.6.6.{i}")  # a guesser, from three addresses
    assert throttle.user_delay("alice") == 1
    clock.advance(1)
    ok = throttle.begin("alice", "10.0.0.5")
    throttle.succeeded(ok)  # the real user: her try is refunded, the guesses stay
    assert throttle.user_failures("alice") == 3 and throttle.address_failures("10.0.0.5") == 0
    assert throttle.is_known("alice", "10.0.0.5")
    throttle.begin("alice", "10.6.6.9")  # the guesser again: the delay grows
    assert throttle.user_delay("alice") == 2
    throttle.succeeded(throttle.begin("alice", "10.0.0.5"))  # her address skips the delay
    assert refused(throttle, "alice", "10.0.0.7") == pytest.approx(2)  # a new one does not
    clock.advance(86400)
    assert not throttle.is_known("alice", "10.0.0.5")


def test_memory_stays_bounded() -> None:
    throttle = LoginThrottle(ManualClock(NOW), policy(address_max_failures=10**9))
    throttle.MAX_KEYS = 50
    for i in range(500):
        throttle.begin(f"random-{i}", f"10.{i // 250}.{i % 250}.1")
    assert len(throttle._users) <= 50 and len(throttle._addresses) <= 50


def _request(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", v.encode()) for v in forwarded]
    return Request({"type": "http", "client": (peer, 4711), "headers": headers})


def test_client_address_believes_only_trusted_proxies() -> None:
    proxies = WebSettings(trusted_proxies=("127.0.0.1", "10.0.0.0/24")).proxy_networks
    # No proxy configured: the header is the client's own writing, ignored.
    assert client_address(_request("203.0.113.9", ["1.2.3.4"]), ()) == "203.0.113.9"
    # From a proxy not listed: ignored too.
    assert client_address(_request("10.0.1.1", ["1.2.3.4"]), proxies) == "10.0.1.1"
    # The right-most hop that is not a trusted proxy; what the client wrote further
    # left (a forged 1.2.3.4) changes nothing.
    req = _request("127.0.0.1", ["1.2.3.4, 198.51.100.7", "10.0.0.3"])
    assert client_address(req, proxies) == "198.51.100.7"
    assert client_address(_request("127.0.0.1", ["garbage, 198.51.100.8"]), proxies) \
        == "198.51.100.8"
    # A proxy that wrote nothing usable: the proxy itself is the client.
    assert client_address(_request("127.0.0.1", ["not-an-ip"]), proxies) == "127.0.0.1"
    assert client_address(_request("127.0.0.1", []), proxies) == "127.0.0.1"
    # IPv4 seen on an IPv6 socket is that IPv4 address.
    assert client_address(_request("::ffff:10.0.0.2", ["198.51.100.9"]), proxies) \
        == "198.51.100.9"


def test_trusted_proxies_are_checked_at_load() -> None:
    with pytest.raises(ConfigError, match="trusted_proxies"):
        config.load(environ={"CALLCENTER__WEB__TRUSTED_PROXIES": "10.0.0.0/33"})
    cfg = config.load(environ={"CALLCENTER__WEB__TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/24"})
    assert cfg.get(WebSettings).trusted_proxies == ("127.0.0.1", "10.0.0.0/24")
