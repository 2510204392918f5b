"""The standard's measures, carried out through AMI: agents on a break are called back
(unpaused) at level 1 when configured, supervisors join the queues at level 2 and
leave when it is over."""

from __future__ import annotations

import structlog

from callcenter.ami.client import AmiClient
from callcenter.domain.live_view import PausedAgent
from callcenter.domain.surge import SurgeLevel, SurgeTransition
from callcenter.errors import AmiError
from callcenter.surge.settings import SurgeConfig

log = structlog.get_logger("callcenter.surge")


async def carry_out(ami: AmiClient, config: SurgeConfig, t: SurgeTransition,
                    on_break: list[PausedAgent]) -> None:
    try:
        if t.level >= SurgeLevel.LEVEL_1 > t.previous and config.unpause_breaks:
            for agent in on_break:
                for queue in agent.queues:
                    await ami.action({"Action": "QueuePause", "Queue": queue,
                                      "Interface": agent.ref.interface, "Paused": "false",
                                      "Reason": "surge"})
        if t.level == SurgeLevel.LEVEL_2 > t.previous:
            for interface in config.supervisors:
                for queue in config.supervisor_queues:
                    await ami.action({"Action": "QueueAdd", "Queue": queue,
                                      "Interface": interface, "Paused": "false"})
        if t.previous == SurgeLevel.LEVEL_2 > t.level:
            for interface in config.supervisors:
                for queue in config.supervisor_queues:
                    await ami.action({"Action": "QueueRemove", "Queue": queue,
                                      "Interface": interface})
    except AmiError as exc:
        log.warning("surge.action_failed", error_id=exc.error_id, error=str(exc))
