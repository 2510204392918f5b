"""Today's figures for the wallboard, kept from the tracker's outcomes (pure).

Live figures (callers waiting, agent states) come straight from outcomes; the
day's counters (answered, abandoned, service level, calls and violations per
agent) start from what the store already holds for today (`DaySeed`) and move
with every outcome, so a restart mid-day loses nothing and no figure needs a
query to stay current.  `apply` returns what changed, for the push channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from callcenter.domain import outcomes as oc
from callcenter.domain.clock import Clock


@dataclass(slots=True)
class QueueFigures:
    name: str
    waiting: int = 0
    oldest_joined_at: float | None = None
    agents_available: int = 0
    virtual_waiters: int = 0  # keep-your-place placeholders, counted in `waiting` too
    answered: int = 0
    answered_in_budget: int = 0
    abandoned: int = 0
    last_sample: int = 0

    def view(self) -> dict[str, object]:
        offered = self.answered + self.abandoned
        return {
            "queue": self.name, "waiting": self.waiting, "oldest_joined_at": self.oldest_joined_at,
            "agents_available": self.agents_available, "answered": self.answered,
            "virtual_waiters": self.virtual_waiters,
            "abandoned": self.abandoned,
            # Answered within the ring budget (three rings), as % of answered calls.
            "service_level_pct": (round(100.0 * self.answered_in_budget / self.answered, 1)
                                  if self.answered else None),
            "abandon_rate_pct": round(100.0 * self.abandoned / offered, 1) if offered else None,
        }


@dataclass(slots=True)
class AgentFigures:
    interface: str
    name: str
    state: str = oc.AgentState.LOGGED_OUT.value
    reason: str = ""
    since: float | None = None
    calls: int = 0
    violations: int = 0
    points: int = 0

    def view(self) -> dict[str, object]:
        return {"interface": self.interface, "name": self.name, "state": self.state,
                "reason": self.reason, "since": self.since, "calls": self.calls,
                "violations": self.violations, "points": self.points}


@dataclass(frozen=True, slots=True)
class DaySeed:
    """What the store knows of today (and of this quarter's points) at start."""

    day: date
    # queue -> (answered, answered in budget, abandoned)
    queues: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # interface -> (name, calls, violations, points this quarter)
    agents: dict[str, tuple[str, int, int, int]] = field(default_factory=dict)
    series: list[tuple[float, int]] = field(default_factory=list)  # (at, total waiting)
    # interface -> (state, reason, since): a restart must not reset "time in state"
    states: dict[str, tuple[str, str, float]] = field(default_factory=dict)


@dataclass(slots=True)
class Changes:
    queues: set[str] = field(default_factory=set)
    agents: set[str] = field(default_factory=set)
    points: list[tuple[float, int]] = field(default_factory=list)  # new chart points
    new_day: bool = False

    def __bool__(self) -> bool:
        return bool(self.queues or self.agents or self.points or self.new_day)


class Wallboard:
    def __init__(self, tz: ZoneInfo, clock: Clock, sample_bucket_s: float,
                 seed: DaySeed | None = None) -> None:
        self.tz = tz
        self.clock = clock
        self.bucket_s = sample_bucket_s
        self.day = self._today()
        self._day_ends = self._midnight_after(self.day)
        self.queues: dict[str, QueueFigures] = {}
        self.agents: dict[str, AgentFigures] = {}
        self.series: list[tuple[float, int]] = []
        # queue -> server -> its latest: a queue name on several servers is one queue.
        self._live: dict[str, dict[str, oc.QueueChanged]] = {}
        self._samples: dict[str, dict[str, int]] = {}
        if seed is not None and seed.day == self.day:
            for name, (answered, in_budget, abandoned) in seed.queues.items():
                self.queues[name] = QueueFigures(name, answered=answered,
                                                 answered_in_budget=in_budget, abandoned=abandoned)
            for iface, (agent_name, calls, violations, points) in seed.agents.items():
                self.agents[iface] = AgentFigures(iface, agent_name, calls=calls,
                                                  violations=violations, points=points)
            self.series = list(seed.series)
        for iface, (state, reason, since) in (seed.states.items() if seed else ()):
            agent = self.agents.setdefault(iface, AgentFigures(iface, iface))
            agent.state, agent.reason, agent.since = state, reason, since

    def _today(self) -> date:
        return datetime.fromtimestamp(self.clock.now(), self.tz).date()

    def _midnight_after(self, day: date) -> float:
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=self.tz).timestamp()

    def _queue(self, name: str) -> QueueFigures:
        return self.queues.setdefault(name, QueueFigures(name))

    def _agent(self, ref: oc.AgentRef) -> AgentFigures:
        found = self.agents.setdefault(ref.interface, AgentFigures(ref.interface, ref.name))
        found.name = ref.name or found.name
        return found

    def roll_day(self) -> bool:
        """At midnight the day's counters start again (points run for the quarter).
        Called for every outcome batch: a float comparison until the day is over."""
        if self.clock.now() < self._day_ends:
            return False
        today = self._today()
        self._day_ends = self._midnight_after(today)
        quarter_changed = (today.month - 1) // 3 != (self.day.month - 1) // 3 or today.year != self.day.year
        self.day = today
        for q in self.queues.values():
            q.answered = q.answered_in_budget = q.abandoned = 0
        for a in self.agents.values():
            a.calls = a.violations = 0
            if quarter_changed:
                a.points = 0
        self.series = []
        return True

    def apply(self, outcomes: Iterable[oc.Outcome]) -> Changes:
        changes = Changes(new_day=self.roll_day())
        for outcome in outcomes:
            self._apply(outcome, changes)
        return changes

    def _apply(self, o: oc.Outcome, changes: Changes) -> None:
        match o:
            case oc.QueueChanged():
                q = self._queue(o.queue)
                parts = self._live.setdefault(o.queue, {})
                parts[o.server] = o
                if len(parts) == 1:
                    q.waiting, q.oldest_joined_at, q.agents_available, q.virtual_waiters = (
                        o.waiting, o.oldest_joined_at, o.agents_available, o.virtual)
                else:  # one queue spread over several servers: their figures summed
                    oldest = [p.oldest_joined_at for p in parts.values()
                              if p.oldest_joined_at is not None]
                    q.waiting = sum(p.waiting for p in parts.values())
                    q.oldest_joined_at = min(oldest) if oldest else None
                    q.agents_available = sum(p.agents_available for p in parts.values())
                    q.virtual_waiters = sum(p.virtual for p in parts.values())
                changes.queues.add(o.queue)
            case oc.CallAnswered():
                q = self._queue(o.queue)
                q.answered += 1
                q.answered_in_budget += 0 if o.late_answer else 1
                changes.queues.add(o.queue)
                self._agent(o.agent).calls += 1
                changes.agents.add(o.agent.interface)
            case oc.CallAbandoned():
                self._queue(o.queue).abandoned += 1
                changes.queues.add(o.queue)
            case oc.ViolationRaised():
                agent = self._agent(o.agent)
                agent.violations += 1
                agent.points -= o.penalty_points
                changes.agents.add(o.agent.interface)
            case oc.AgentStateChanged():
                agent = self._agent(o.agent)
                if (agent.state, agent.reason) != (o.state.value, o.reason) or agent.since is None:
                    agent.since = o.at  # a resync repeating the same state keeps its start
                agent.state, agent.reason = o.state.value, o.reason
                changes.agents.add(o.agent.interface)
            case oc.QueueSampled():
                samples = self._samples.setdefault(o.queue, {})
                samples[o.server] = o.waiting
                self._queue(o.queue).last_sample = sum(samples.values())
                point = (o.at, sum(q.last_sample for q in self.queues.values()))
                bucket = int(o.at // self.bucket_s)
                if self.series and int(self.series[-1][0] // self.bucket_s) == bucket:
                    self.series[-1] = point  # the queues of one sampling round: one point
                else:
                    self.series.append(point)
                changes.points.append(point)
            case _:
                pass

    def snapshot(self) -> dict[str, object]:
        midnight = datetime.combine(self.day, time(), tzinfo=self.tz)
        return {"day": self.day.isoformat(), "day_start": midnight.timestamp(),
                "queues": [q.view() for q in sorted(self.queues.values(), key=lambda q: q.name)],
                "agents": [a.view() for a in sorted(self.agents.values(), key=lambda a: a.name)],
                "series": self.series}
