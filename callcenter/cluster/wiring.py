"""The cluster: alone (the default), this daemon is the sole leader and says so in
its health; in the standby mode the elector takes part in the election on
PostgreSQL and drives the core's leadership gate, which the features consult."""

from __future__ import annotations

import functools

from callcenter.cluster import service
from callcenter.cluster.elector import PART, Elector
from callcenter.cluster.settings import STANDBY, ClusterSection, cluster_settings
from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.core.settings import DatabaseSettings


def wire(core: Core) -> Contribution:
    section = core.config.get(ClusterSection)
    if section.mode != STANDBY:
        return Contribution(on_start=[lambda: core.health.report(PART, True, "sole leader")])
    url = core.config.get(DatabaseSettings).url
    settings = cluster_settings(section, url)  # refuses SQLite, naming cluster.mode
    core.leader.join_cluster(service.holds_epoch)
    engine = service.lock_engine(url, settings.detect_s, 2 * settings.timing.heartbeat_s)
    elector = Elector(settings, core.leader, core.health,
                      new_session=functools.partial(service.LockSession, engine,
                                                    settings.lock_key, settings.node),
                      wall=core.clock)

    async def stop() -> None:
        await elector.stop()
        engine.dispose()

    return Contribution(tasks=[elector.run], on_stop=[stop])
