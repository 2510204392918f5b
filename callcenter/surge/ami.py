"""The standard's measures, carried out through AMI: agents on a break are called back
(unpaused) at level 1 when configured, supervisors join the queues at level 2 and
leave when it is over; each action on the server that agent's phone is on."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from callcenter.ami.client import AmiClient
from callcenter.domain.live_view import PausedAgent
from callcenter.domain.surge import SurgeLevel, SurgeTransition
from callcenter.errors import AmiError
from callcenter.surge.settings import SurgeConfig

log = structlog.get_logger("callcenter.surge")


async def carry_out(link_of: Callable[[str], AmiClient], config: SurgeConfig,
                    t: SurgeTransition, on_break: list[PausedAgent]) -> None:
    """`link_of(interface)`: the AMI link of the server that phone is on (core.ami_of:
    where it is a member or on a call; else the first server's).  One action failing
    (its server down) never holds the others back."""
    if t.level >= SurgeLevel.LEVEL_1 > t.previous and config.unpause_breaks:
        for agent in on_break:
            for queue in agent.queues:
                await _send(link_of(agent.ref.interface), {
                    "Action": "QueuePause", "Queue": queue, "Interface": agent.ref.interface,
                    "Paused": "false", "Reason": "surge"})
    if t.level == SurgeLevel.LEVEL_2 > t.previous:
        for interface in config.supervisors:
            for queue in config.supervisor_queues:
                await _send(link_of(interface), {"Action": "QueueAdd", "Queue": queue,
                                                 "Interface": interface, "Paused": "false"})
    if t.previous == SurgeLevel.LEVEL_2 > t.level:
        for interface in config.supervisors:
            link = link_of(interface)  # before the first removal: where it is a member
            for queue in config.supervisor_queues:
                await _send(link, {"Action": "QueueRemove", "Queue": queue,
                                   "Interface": interface})


async def _send(ami: AmiClient, fields: dict[str, str]) -> None:
    try:
        await ami.action(fields)
    except AmiError as exc:
        log.warning("surge.action_failed", error_id=exc.error_id, error=str(exc),
                    action=fields["Action"], queue=fields["Queue"],
                    interface=fields["Interface"], server=ami.settings.name)
