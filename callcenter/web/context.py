"""What the web layer's own handlers use (auth, the push stream, pages); feature
routes get their dependencies from the core when they are wired."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from callcenter.domain.clock import Clock
from callcenter.domain.live_view import LiveView
from callcenter.web.hub import Hub
from callcenter.web.live import LiveFeed
from callcenter.web.ratelimit import LoginThrottle
from callcenter.web.settings import WebSettings


@dataclass(frozen=True)
class WebContext:
    engine: Engine
    clock: Clock
    tz: ZoneInfo
    settings: WebSettings
    hub: Hub
    live: LiveFeed
    throttle: LoginThrottle
    tracker: LiveView  # read only: whose call is whose
