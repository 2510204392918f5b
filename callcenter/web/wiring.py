"""The web pages: the wallboard's figures kept from the outcomes (seeded from what
the store holds for today), the push hub, sign-in throttling, and the server that
serves the core's HTTP API in the daemon's own loop."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog

from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.domain.kpi_glossary import glossary
from callcenter.domain.paused_today import PausedToday
from callcenter.domain.ratings_today import RatingSplit
from callcenter.domain.wallboard import Wallboard
from callcenter.errors import ServerStopped
from callcenter.inbound.settings import StorageSettings
from callcenter.reports.settings import ReportSettings
from callcenter.surge.settings import SurgeSection, surge_config
from callcenter.web import http, pages, stream
from callcenter.web.context import WebContext
from callcenter.web.hub import Hub
from callcenter.web.live import LiveFeed
from callcenter.web.ratelimit import LoginThrottle
from callcenter.web.server import WebServer
from callcenter.web.service import day_seed, pause_seed, rating_seed
from callcenter.web.settings import WallboardSettings, WebSettings

log = structlog.get_logger("callcenter.web")

SERVER_STOP_S = 5.0
# The queue tile's day figures, whose definitions the wallboard shows on hover.
TILE_FIGURES = frozenset({"offered", "answered", "abandoned", "short_abandoned", "timeouts",
                          "service_level_pct", "three_ring_pct", "abandon_rate_pct"})


def _display(board: WallboardSettings, level1: int, level2: int) -> dict[str, Any]:
    """What the wallboard's script needs of its settings (sent with every snapshot)."""
    return {"bands": board.bands(level1, level2), "queue_names": dict(board.queue_names),
            "chart_hours": board.chart_hours, "alert_sound": board.alert_sound}


def _servers(core: Core) -> dict[str, str]:
    """Each Asterisk link's health part -> the server it talks to (host:port)."""
    return {s.health_part: f"{s.settings.host}:{s.settings.port}" for s in core.servers.values()}


def wire(core: Core) -> Contribution:
    settings = core.config.get(WebSettings)
    if not settings.enabled:
        return Contribution()
    bucket_s = core.config.get(StorageSettings).queue_sample_interval_s
    surge = surge_config(core.config.get(SurgeSection), bucket_s)
    th = surge.thresholds
    seed = day_seed(core.engine, core.clock.now(), core.tz, bucket_s, surge.scope)
    hub = Hub(settings.client_queue_max)
    ratings = RatingSplit(core.tz, core.clock, rating_seed(core.engine, core.clock.now(), core.tz),
                          seed.day)
    # The queues' day figures are the reports' (their FiguresAdded, their definitions).
    kpi_rules = core.config.get(ReportSettings).rules
    terms = glossary(kpi_rules, core.tracker.rules.ring_budget_s)
    live = LiveFeed(hub, Wallboard(core.tz, core.clock, bucket_s, seed, kpi_rules),
                    core.live,
                    thresholds={"level1": th.level1_threshold, "level2": th.level2_threshold,
                                "level1_inclusive": th.level1_inclusive,
                                "level2_inclusive": th.level2_inclusive},
                    ratings=ratings,
                    paused=PausedToday(core.tz, core.clock,
                                       pause_seed(core.engine, core.clock.now(), core.tz)),
                    display=_display(core.config.get(WallboardSettings), th.level1_threshold,
                                     th.level2_threshold),
                    health=core.health.snapshot, servers=_servers(core),
                    definitions={t.column: {"zh": t.zh_definition, "en": t.en_definition}
                                 for t in terms if not t.table and t.column in TILE_FIGURES})
    core.app.state.ctx = WebContext(
        engine=core.engine, clock=core.clock, tz=core.tz, settings=settings, hub=hub, live=live,
        throttle=LoginThrottle(core.clock, settings.throttle_policy),
        tracker=core.live)
    server = WebServer(core.app, settings.host, settings.port)
    stopped = asyncio.Event()

    async def serve() -> None:
        log.info("web.listening", url=f"http://{settings.host}:{settings.port}/")
        try:
            await server.serve()
        finally:
            stopped.set()
        raise ServerStopped("the web server stopped")  # only our stop() may end it

    async def stop() -> None:
        hub.close()  # ends every event stream, so the server can stop
        server.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopped.wait(), SERVER_STOP_S)

    return Contribution(outcome_sinks=[live.on_outcomes], alert_listeners=[live.on_alerts],
                        health_listeners=[live.on_health],
                        surge_listeners=[live.on_surge], rating_listeners=[live.on_ratings],
                        routers=[http.router, stream.router, pages.router,
                                 http.display_routes(core.config.get(WallboardSettings)
                                                     .queue_names)],
                        tasks=[serve], on_stop=[stop])
