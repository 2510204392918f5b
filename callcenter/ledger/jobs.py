"""The zero-complaint month award: given for the month just ended, once (the table's
constraint), at the first run on or after the 1st."""

from __future__ import annotations

import asyncio

from callcenter.core.core import Core
from callcenter.domain.ledger import LedgerRules, previous_month
from callcenter.ledger import service


async def award_month(core: Core, rules: LedgerRules) -> None:
    now = core.clock.now()
    await asyncio.to_thread(service.award_zero_complaint_month, core.engine,
                            previous_month(now, core.tz), core.tz, rules, now)
