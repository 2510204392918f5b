"""The web section of the settings, as a typed value."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.config import Config
from callcenter.domain.ticket_rules import TicketRules


@dataclass(frozen=True, slots=True)
class WebSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8080
    session_s: float = 12 * 3600.0
    secure_cookies: bool = False
    login_max_failures: int = 5
    login_lockout_s: float = 300.0
    default_language: str = "zh-CN"
    client_queue_max: int = 1000


def web_settings(config: Config) -> WebSettings:
    w = config.web
    return WebSettings(enabled=w["enabled"], host=w["host"], port=w["port"],
                       session_s=w["session_hours"] * 3600.0, secure_cookies=w["secure_cookies"],
                       login_max_failures=w["login_max_failures"],
                       login_lockout_s=w["login_lockout_s"],
                       default_language=w["default_language"],
                       client_queue_max=w["client_queue_max"])


def ticket_rules(config: Config) -> TicketRules:
    t = config.tickets
    return TicketRules(complaint_callback=t["complaint_callback"],
                       dispatch_accept_s=t["dispatch_accept_s"], review_s=t["review_s"])
