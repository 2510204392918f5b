"""Today's paused time per agent and reason, for the wallboard (pure).

Kept from the tracker's `AgentStateChanged` outcomes, seeded at start from the state
changes the store holds (and each agent's last state before midnight, so a pause
that began yesterday counts from midnight).  A pause in progress is not in the totals:
it is the agent's current state, and the page adds its running time itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from callcenter.domain import outcomes as oc
from callcenter.domain.clock import Clock

PAUSED = oc.AgentState.PAUSED.value
StateRow = tuple[str, str, float]  # (state, reason, at)


@dataclass(slots=True)
class _Agent:
    open_reason: str | None = None  # paused for this reason now
    open_since: float = 0.0
    totals: dict[str, float] = field(default_factory=dict)  # reason -> seconds today


class PausedToday:
    def __init__(self, tz: ZoneInfo, clock: Clock,
                 seed: Mapping[str, Sequence[StateRow]] | None = None) -> None:
        """`seed`: per interface, its state changes in time order, starting with the
        last one before today's midnight (if any)."""
        self.tz = tz
        self.clock = clock
        self._agents: dict[str, _Agent] = {}
        self._day_start, self._day_end = self._day_bounds(clock.now())
        for interface, rows in (seed or {}).items():
            for state, reason, at in rows:
                self._change(interface, state, reason, at)

    def _day_bounds(self, now: float) -> tuple[float, float]:
        day = datetime.fromtimestamp(now, self.tz).date()
        start = datetime.combine(day, time(), tzinfo=self.tz)
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=self.tz)
        return start.timestamp(), end.timestamp()

    def _roll_day(self) -> bool:
        if self.clock.now() < self._day_end:
            return False
        self._day_start, self._day_end = self._day_bounds(self.clock.now())
        for agent in self._agents.values():
            agent.totals.clear()
        return True

    def _change(self, interface: str, state: str, reason: str, at: float) -> bool:
        agent = self._agents.setdefault(interface, _Agent())
        paused_for = reason if state == PAUSED else None
        if paused_for == agent.open_reason:
            return False
        if agent.open_reason is not None:
            start = max(agent.open_since, self._day_start)
            if at > start:
                key = agent.open_reason
                agent.totals[key] = agent.totals.get(key, 0.0) + (at - start)
        agent.open_reason, agent.open_since = paused_for, at
        return True

    def apply(self, outcomes: Iterable[oc.Outcome]) -> set[str]:
        """The interfaces whose totals changed (all of them at midnight)."""
        changed = set(self._agents) if self._roll_day() else set()
        for o in outcomes:
            if isinstance(o, oc.AgentStateChanged) and self._change(
                    o.agent.interface, o.state.value, o.reason, o.at):
                changed.add(o.agent.interface)
        return changed

    def view(self, interface: str) -> dict[str, float]:
        """Finished pauses today, seconds per reason (an empty reason is "")."""
        agent = self._agents.get(interface)
        if agent is None:
            return {}
        return {reason: round(s, 1) for reason, s in sorted(agent.totals.items())}

    @property
    def day_start(self) -> float:
        return self._day_start
