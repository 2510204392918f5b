"""The `[web]` section, as a typed value, and the sign-in throttle's policy built from it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter.checks import non_negative, one_of, port, positive
from callcenter.config import setting

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(value: Any) -> str | None:
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"{item!r} is not an address or CIDR network (like 10.0.0.1 or 10.0.0.0/24)"
    return None


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Sign-in throttling (see ratelimit.py for how the numbers combine)."""

    address_max_failures: int
    address_window_s: float
    user_free_failures: int
    user_delay_s: float
    user_delay_max_s: float
    user_window_s: float
    known_address_s: float


@dataclass(frozen=True, slots=True)
class WebSettings:
    SECTION: ClassVar[str] = "web"
    enabled: bool = True
    host: str = "127.0.0.1"  # put a TLS reverse proxy in front to serve other machines
    port: int = setting(8080, port)
    session_hours: float = setting(12.0, positive)
    secure_cookies: bool = False  # set true behind HTTPS
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs).  Empty: the
    # socket's peer is the client, and a forged header changes nothing.
    trusted_proxies: tuple[str, ...] = setting((), _networks)
    # One address is blocked after this many failed sign-ins within the window ...
    login_address_max_failures: int = setting(20, positive)
    login_address_window_s: float = setting(300.0, positive)
    # ... while one user name is only slowed down: after the free failures each further
    # try waits delay, 2 x delay, 4 x delay ... up to the cap, so nobody can lock a
    # colleague out; failures older than the window are forgotten.
    login_user_free_failures: int = setting(3, non_negative)
    login_user_delay_s: float = setting(1.0, positive)
    login_user_delay_max_s: float = setting(60.0, positive)
    login_user_window_s: float = setting(900.0, positive)
    # An address a user signed in from within this many days skips that user's delay
    # (the address limit still applies); 0 turns this off.
    login_known_address_days: float = setting(30.0, non_negative)
    default_language: str = setting("zh-CN", one_of("zh-CN", "en"))
    client_queue_max: int = setting(1000, positive)
    # How often (at most) an open event stream re-reads its session, so a user signed
    # out or disabled stops receiving within about this long (or the keep-alive, 15 s).
    stream_recheck_s: float = setting(5.0, positive)

    @property
    def session_s(self) -> float:
        return self.session_hours * 3600.0

    @property
    def proxy_networks(self) -> tuple[IpNetwork, ...]:
        return tuple(ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies)

    @property
    def throttle_policy(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            address_max_failures=self.login_address_max_failures,
            address_window_s=self.login_address_window_s,
            user_free_failures=self.login_user_free_failures,
            user_delay_s=self.login_user_delay_s, user_delay_max_s=self.login_user_delay_max_s,
            user_window_s=self.login_user_window_s,
            known_address_s=self.login_known_address_days * 86400.0)
