"""The `[web]` section, as a typed value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from callcenter.checks import one_of, port, positive
from callcenter.config import setting


@dataclass(frozen=True, slots=True)
class WebSettings:
    SECTION: ClassVar[str] = "web"
    enabled: bool = True
    host: str = "127.0.0.1"  # put a TLS reverse proxy in front to serve other machines
    port: int = setting(8080, port)
    session_hours: float = setting(12.0, positive)
    secure_cookies: bool = False  # set true behind HTTPS
    login_max_failures: int = setting(5, positive)
    login_lockout_s: float = setting(300.0, positive)
    default_language: str = setting("zh-CN", one_of("zh-CN", "en"))
    client_queue_max: int = setting(1000, positive)

    @property
    def session_s(self) -> float:
        return self.session_hours * 3600.0
