"""The ticket workflow's clock: duties overdue raise alerts, duties done clear them."""

from __future__ import annotations

import asyncio

from callcenter.core.core import Core
from callcenter.domain.ticket_rules import TicketRules
from callcenter.tickets import service


async def check_overdue(core: Core, rules: TicketRules) -> None:
    core.alerts.publish(await asyncio.to_thread(service.check_overdue, core.engine, rules,
                                                core.clock.now()))
