"""The core: what every feature is wired from.  Built once by the daemon; features
read it and never replace any part of it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from callcenter.ami.client import AmiClient
from callcenter.config import Config
from callcenter.core.bus import Bus
from callcenter.core.health import Health
from callcenter.core.leader import LeaderGate
from callcenter.core.metrics import new_registry
from callcenter.core.servers import Server
from callcenter.core.tasks import TaskOwner
from callcenter.domain.alerts import AlertTransition
from callcenter.domain.clock import Clock
from callcenter.domain.live_view import LiveView
from callcenter.domain.outcomes import Outcome
from callcenter.domain.ratings_today import RatingChanged
from callcenter.domain.surge import SurgeState
from callcenter.domain.tracker import Tracker
from callcenter.store.writer import SetAsideNote


@dataclass(frozen=True)
class Core:
    config: Config
    engine: Engine
    # The first server's AMI link and tracker (the only ones with one `[ami]`).
    ami: AmiClient
    clock: Clock
    tz: ZoneInfo
    # The live picture of queues and agents.  Only the inbound feature feeds it (from
    # AMI events); everybody else reads it, on the event loop.
    tracker: Tracker
    # Every Asterisk server by name (in the config's order): its link and tracker.
    servers: Mapping[str, Server]
    # The live picture of all servers as one (the first tracker itself with one server):
    # what readers about the center as a whole use (an agent's call, free agents...).
    live: LiveView
    outcomes: Bus[Outcome]  # what the tracker decided, for every feature that cares
    alerts: Bus[AlertTransition]  # every alert raised, escalated, acknowledged or cleared
    surge: Bus[SurgeState]  # the surge level, on every change
    set_aside: Bus[SetAsideNote]  # outcomes the store could not write (kept aside)
    health: Health  # each part's state (AMI link, database, writer, ...); changes on its bus
    tasks: TaskOwner  # side tasks (one database write each), owned and awaited at stop
    # Waits (in a worker thread) until the store has written what the tracker decided.
    flush_store: Callable[[float], bool]
    app: FastAPI  # the HTTP API: features' routes are added to it, the web feature serves it
    # A ticket's rating set or changed (the caller's survey key, or the desk); published
    # on the event loop.
    ratings: Bus[RatingChanged] = field(default_factory=lambda: Bus("ratings"))
    # The Prometheus registry (never the library's global one): features add live
    # collectors through their contribution; the ops feature serves it at /metrics.
    metrics: CollectorRegistry = field(default_factory=new_registry)
    # Whether this daemon may act (dial, send webhooks, run jobs, its own AMI actions):
    # always alone; the holder of the lock in the standby mode (callcenter/cluster/).
    leader: LeaderGate = field(default_factory=LeaderGate)

    def ami_of(self, interface: str) -> AmiClient:
        """The AMI link of the server this agent's phone is on (logged in to a queue
        there, or on a call there); the first server's when none says so."""
        if len(self.servers) > 1:
            for server in self.servers.values():
                if server.tracker.memberships_of(interface) or server.tracker.current_call(
                        interface):
                    return server.ami
        return self.ami
