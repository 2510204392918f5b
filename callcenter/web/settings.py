"""The `[web]` section, as a typed value, and the sign-in throttle's policy built from it."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter.checks import non_negative, one_of, port, positive
from callcenter.config import setting
from callcenter.errors import ConfigError

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


def _percent(value: Any) -> str | None:
    return None if 0 <= value <= 100 else "must be a percentage (0-100)"


def _hours(value: Any) -> str | None:
    return None if 1 <= value <= 24 else "must be 1 to 24 hours"


def _names(value: Any) -> str | None:
    for code, name in value.items():
        if not isinstance(name, str) or not 0 < len(name) <= 40:
            return f"{code}: a display name is 1 to 40 characters"
    return None


QUEUE_NAMES = {"support": "客服热线", "complaints": "投诉专席", "callback": "回访"}


@dataclass(frozen=True, slots=True)
class WallboardSettings:
    """The `[wallboard]` section: when a tile turns amber or red, what queues are
    called, how much of the day the chart shows."""

    SECTION: ClassVar[str] = "wallboard"
    # Higher is better: below amber is amber, below red is red.
    service_level_amber_pct: float = setting(80.0, _percent)
    service_level_red_pct: float = setting(70.0, _percent)
    # Calls answered within three rings (every late answer costs the agent points).
    three_ring_amber_pct: float = setting(95.0, _percent)
    three_ring_red_pct: float = setting(90.0, _percent)
    # Lower is better (these three): at or above amber is amber, at or above red is red.
    abandon_rate_amber_pct: float = setting(5.0, _percent)
    abandon_rate_red_pct: float = setting(10.0, _percent)
    longest_wait_amber_s: float = setting(15.0, non_negative)
    longest_wait_red_s: float = setting(60.0, non_negative)
    waiting_amber: int = setting(0, non_negative)  # 0: the surge level-1 threshold
    waiting_red: int = setting(0, non_negative)  # 0: the surge level-2 threshold
    queue_names: Mapping[str, str] = setting(None, _names, factory=lambda: dict(QUEUE_NAMES))
    chart_hours: float = setting(8.0, _hours)  # the chart shows the day's last hours
    alert_sound: bool = True  # a new alert beeps where the browser allows sound

    def __post_init__(self) -> None:
        for figure, worse_when_higher in (("service_level", False), ("three_ring", False),
                                          ("abandon_rate", True), ("longest_wait", True),
                                          ("waiting", True)):
            unit = {"service_level": "_pct", "three_ring": "_pct", "abandon_rate": "_pct",
                    "longest_wait": "_s"}.get(figure, "")
            amber = getattr(self, f"{figure}_amber{unit}")
            red = getattr(self, f"{figure}_red{unit}")
            if figure == "waiting" and (amber == 0 or red == 0):
                continue
            if (red < amber) if worse_when_higher else (red > amber):
                raise ConfigError(f"wallboard.{figure}_red{unit}",
                                  f"must be {'at or above' if worse_when_higher else 'at or below'}"
                                  f" {figure}_amber{unit} ({amber:g})")

    def bands(self, surge_level1: int, surge_level2: int) -> dict[str, dict[str, Any]]:
        """Each figure's thresholds, as the wallboard's script reads them."""
        return {
            "service_level_pct": {"amber": self.service_level_amber_pct,
                                  "red": self.service_level_red_pct, "higher_is_better": True},
            "three_ring_pct": {"amber": self.three_ring_amber_pct,
                               "red": self.three_ring_red_pct, "higher_is_better": True},
            "abandon_rate_pct": {"amber": self.abandon_rate_amber_pct,
                                 "red": self.abandon_rate_red_pct, "higher_is_better": False},
            "longest_wait_s": {"amber": self.longest_wait_amber_s,
                               "red": self.longest_wait_red_s, "higher_is_better": False},
            "waiting": {"amber": self.waiting_amber or surge_level1,
                        "red": self.waiting_red or surge_level2, "higher_is_better": False},
        }
