"""Everything the request handlers use, wired by the daemon (the composition root)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from callcenter.domain.alerts import AlertTransition
from callcenter.domain.callbacks import RetryPolicy
from callcenter.domain.clock import Clock
from callcenter.domain.ticket_rules import Deadline, TicketRules
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
    ticket_rules: TicketRules
    deadline: Deadline
    callback_queue: str
    retry_policy: RetryPolicy
    # Waits (in a worker thread) until the store has written what the tracker decided.
    flush_store: Callable[[float], bool]
    publish_alerts: Callable[[Sequence[AlertTransition]], None]
