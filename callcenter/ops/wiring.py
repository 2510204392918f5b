"""The probes and `/metrics` on the core's app, and the collectors of the core's own
parts: the AMI link(s), the health registry, the tracker's live picture.  (Each
feature adds its own collectors through its contribution; the daemon adds the store
writer's.)"""

from __future__ import annotations

from collections.abc import Mapping

from callcenter.ami.client import AmiClient
from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.core.metrics import Labels, Live, counter, gauge, one
from callcenter.ops import http
from callcenter.ops.ready import readiness
from callcenter.ops.settings import OpsSettings


def ami_links(core: Core) -> Mapping[str, AmiClient]:
    """The AMI links by server name (`[[ami]]` name; "default" for a single `[ami]`)."""
    return {name: server.ami for name, server in core.servers.items()}


def ami_collectors(core: Core) -> list[Live]:
    def each(read: str) -> dict[Labels, float]:
        return {(name,): float(getattr(link, read)) for name, link in ami_links(core).items()}

    return [
        counter("callcenter_ami_messages_received", "AMI events received, by server",
                lambda: each("messages_received"), ["server"]),
        counter("callcenter_ami_connections", "AMI logins that succeeded, by server",
                lambda: each("connections"), ["server"]),
        gauge("callcenter_ami_up", "1 while the AMI link is logged in and resynced",
              lambda: each("connected"), ["server"]),
    ]


def live_collectors(core: Core) -> list[Live]:
    """The tracker's picture, read at scrape time (on the event loop, where it lives)."""
    tracker = core.live
    return [
        gauge("callcenter_queue_waiting_callers", "Callers waiting in the queue now",
              lambda: {(q,): n for q, n in tracker.counts().waiting.items()}, ["queue"]),
        gauge("callcenter_queue_longest_wait_seconds", "The longest wait in the queue now",
              lambda: {(q,): s for q, s in tracker.counts().longest_wait_s.items()}, ["queue"]),
        gauge("callcenter_queue_members", "Queue members by state (an agent in two queues "
              "counts in both)",
              lambda: {(q, str(st)): n for (q, st), n in tracker.counts().members.items()},
              ["queue", "state"]),
        gauge("callcenter_agents", "Agents by state, each once",
              lambda: {(str(st),): n for st, n in tracker.counts().agents.items()}, ["state"]),
    ]


def health_collectors(core: Core, settings: OpsSettings) -> list[Live]:
    return [
        gauge("callcenter_health_ok", "1 if the part is ok (callcenter status has the detail)",
              lambda: {(p,): float(c.ok) for p, c in core.health.snapshot().items()}, ["part"]),
        gauge("callcenter_ready", "1 if /readyz answers 200",
              one(lambda: readiness(core.health.snapshot(), settings.ready_parts).ready)),
    ]


def wire(core: Core) -> Contribution:
    settings = core.config.get(OpsSettings)
    return Contribution(routers=[http.routes(core, settings)],
                        collectors=[*ami_collectors(core), *live_collectors(core),
                                    *health_collectors(core, settings)])
