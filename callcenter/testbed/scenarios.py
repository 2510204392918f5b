"""Call scenarios played on the real test bed: recorded as replay fixtures, and
run live by the integration tests.  Each step is an awaitable on a Controller."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from callcenter.testbed.control import Agent, Controller

ALICE = "1001"
BOB = "1002"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    play: Callable[[Controller], Awaitable[None]]
    settle_s: float  # how long after the play the stream is still recorded


async def _answered_in_time(c: Controller) -> None:
    await c.login("support", Agent(ALICE, "alice", answer_after=4))
    c.call("support", "13800138000", patience_s=10)


async def _answered_late(c: Controller) -> None:
    await c.login("support", Agent(ALICE, "alice", answer_after=16))
    c.call("support", "+8613900139000", patience_s=22)


async def _ring_timeout(c: Controller) -> None:
    await c.login("support", Agent(ALICE, "alice", answer_after=None))
    c.call("support", "13700137000", patience_s=24)


async def _ringall_answered_elsewhere(c: Controller) -> None:
    await c.login("support", Agent(ALICE, "alice", answer_after=None))
    await c.login("support", Agent(BOB, "bob", answer_after=16))
    c.call("support", "008613600136000", patience_s=22)


async def _caller_abandons_while_ringing(c: Controller) -> None:
    await c.login("support", Agent(ALICE, "alice", answer_after=None))
    c.call("support", "13500135000", patience_s=8)


async def _transfer_to_second_agent(c: Controller) -> None:
    await c.login("support", Agent(ALICE, "alice", answer_after=3))
    await c.login("complaints", Agent(BOB, "bob", answer_after=3))
    c.call("support", "13400134000", patience_s=16)
    caller = await c.wait_for_event("AgentConnect", timeout=10)
    await asyncio.sleep(2)
    # Alice blind-transfers the complaint caller to the complaints desk.
    await c.redirect(caller["Channel"], "callcenter-inbound", "complaints")


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("answered_in_time", "alice answers after 4 s; caller hangs up at 10 s",
                 _answered_in_time, 12),
        Scenario("answered_late", "alice answers after 16 s (4th ring): late answer",
                 _answered_late, 24),
        Scenario("ring_timeout", "alice never answers: member ring timeout at 20 s, "
                 "caller gives up at 24 s", _ring_timeout, 26),
        Scenario("ringall_answered_elsewhere", "ringall: alice never answers, bob answers "
                 "at 16 s; both are violations", _ringall_answered_elsewhere, 24),
        Scenario("caller_abandons_while_ringing", "caller hangs up after 8 s while alice "
                 "rings: no violation", _caller_abandons_while_ringing, 10),
        Scenario("transfer_to_second_agent", "alice answers at 3 s, transfers to the "
                 "complaints queue where bob answers at 3 s", _transfer_to_second_agent, 18),
    )
}
