"""Scheduled callback work besides dialing: the overdue-callbacks alert."""

from __future__ import annotations

import asyncio

from callcenter.callbacks import service
from callcenter.core.core import Core
from callcenter.domain.alerts import AlertTransition


async def check_deadlines(core: Core) -> None:
    changed: list[AlertTransition] = []
    await asyncio.to_thread(service.check_deadlines, core.engine, core.clock.now(), changed)
    core.alerts.publish(changed)
