"""Building the core from the settings, and connecting a feature's contribution to
it: what the composition root does before it runs anything."""

from __future__ import annotations

import time
from collections.abc import Callable

from callcenter.ami.settings import AmiSettings
from callcenter.config import Config
from callcenter.core.bus import Bus
from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.core.health import Health
from callcenter.core.servers import Dispatch, build_servers
from callcenter.core.settings import CenterSettings, DatabaseSettings, LogSettings
from callcenter.core.tasks import TaskOwner
from callcenter.domain.clock import Clock
from callcenter.domain.live_many import ManyServers
from callcenter.inbound.settings import RulesSettings, StorageSettings, ring_rules
from callcenter.store.db import engine_for, require_current
from callcenter.store.writer import SetAsideNote, StoreWriter
from callcenter.web.app import create_app


class SystemClock:
    def now(self) -> float:
        return time.time()


def store_writer(config: Config, health: Health,
                 on_set_aside: Callable[[list[SetAsideNote]], None]) -> StoreWriter:
    database, rules, log_settings = (config.get(DatabaseSettings), config.get(RulesSettings),
                                     config.get(LogSettings))
    return StoreWriter(
        database.url, rules.repeat_caller_window_days * 86400.0,
        batch_max=database.batch_max, flush_interval_s=database.flush_interval_s,
        log_level=log_settings.level.upper(), log_prefix=log_settings.prefixed, on_set_aside=on_set_aside,
        health=health, buffer_max=database.buffer_max, journal_dir=database.journal_path,
        journal_max_bytes=database.journal_max_bytes, retry_max_s=database.retry_max_s,
        drain_timeout_s=database.drain_timeout_s, probe_interval_s=database.probe_interval_s)


def build_core(config: Config, clock: Clock, health: Health, writer: StoreWriter,
               dispatch: Dispatch) -> Core:
    url = config.get(DatabaseSettings).url
    engine = engine_for(url)
    require_current(engine, url)
    rules = ring_rules(config.get(RulesSettings), config.get(StorageSettings))
    servers = build_servers(config.every(AmiSettings), rules, clock, health, dispatch)
    first = next(iter(servers.values()))
    return Core(
        config=config, engine=engine, clock=clock, tz=config.get(CenterSettings).tz,
        ami=first.ami, tracker=first.tracker, servers=servers,
        live=ManyServers([s.tracker for s in servers.values()]) if len(servers) > 1
        else first.tracker,
        outcomes=Bus("outcomes"), alerts=Bus("alerts"), surge=Bus("surge"),
        set_aside=Bus("set_aside"), health=health, tasks=TaskOwner(),
        flush_store=writer.flush, app=create_app(), ratings=Bus("ratings"))


def connect(core: Core, part: Contribution) -> None:
    """A feature's listeners on the core's buses, its routes on the core's app."""
    for sink in part.outcome_sinks:
        core.outcomes.subscribe(sink)
    for listener in part.alert_listeners:
        core.alerts.subscribe(listener)
    for follower in part.surge_listeners:
        core.surge.subscribe(follower)
    for keeper in part.set_aside_listeners:
        core.set_aside.subscribe(keeper)
    for watcher in part.health_listeners:
        core.health.bus.subscribe(watcher)
    for rater in part.rating_listeners:
        core.ratings.subscribe(rater)
    for on_change in part.leader_listeners:
        core.leader.bus.subscribe(on_change)
    for router in part.routers:
        core.app.include_router(router)
    for collector in part.collectors:
        core.metrics.register(collector)
