"""The flags' check: an agent at the month's threshold of confirmed complaints raises
an alert once (edits on the web check at once; this catches verdicts given elsewhere)."""

from __future__ import annotations

import asyncio

from callcenter.complaints import service
from callcenter.core.core import Core


async def check_flags(core: Core, threshold: int) -> None:
    core.alerts.publish(await asyncio.to_thread(service.check_flags, core.engine,
                                                core.clock.now(), core.tz, threshold))
