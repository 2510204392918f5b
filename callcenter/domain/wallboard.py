"""Today's figures for the wallboard, kept from the tracker's outcomes (pure).

Live figures (callers waiting, agent states) come straight from outcomes.  A queue's
day figures are the reports' own: the `FiguresAdded` the reports' interval aggregator
(domain/kpi_intervals.py) publishes on the outcome bus as callers leave the queue,
summed over today's intervals, and turned into service level, three-ring compliance
and abandon rate by domain/kpi.py's functions — one definition, the reports' (T and
the short-abandon threshold from `[reports]`), no second copy.  Agents' calls and
violations today move with their outcomes.  Everything starts from what the store
holds for today (`DaySeed`: the stat intervals summed, as a report of today would),
so a restart mid-day loses nothing and no figure needs a query to stay current.
`apply` returns what changed, for the push channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from callcenter.domain import kpi
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import Clock

# The day figures a tile shows (or derives a rate from): a change to another (talk or
# wrap-up time) is not pushed.
_SHOWN = frozenset({"offered", "answered", "answered_in_sl", "answered_in_rings", "abandoned",
                    "abandoned_in_sl", "short_abandoned", "timeouts", "exit_key", "exit_empty"})


@dataclass(slots=True)
class QueueFigures:
    name: str
    waiting: int = 0
    oldest_joined_at: float | None = None
    agents_available: int = 0
    virtual_waiters: int = 0  # keep-your-place placeholders, counted in `waiting` too
    last_sample: int = 0
    # The reports' figures (kpi.QUEUE_FIGURES) summed over today's intervals.
    today: dict[str, float] = field(default_factory=dict)
    rules: kpi.KpiRules = field(default_factory=kpi.KpiRules)

    @property
    def answered(self) -> int:
        return int(self.today.get("answered", 0))

    @property
    def abandoned(self) -> int:
        return int(self.today.get("abandoned", 0))

    def view(self) -> dict[str, object]:
        f = self.today
        return {
            "queue": self.name, "waiting": self.waiting, "oldest_joined_at": self.oldest_joined_at,
            "agents_available": self.agents_available, "virtual_waiters": self.virtual_waiters,
            "offered": int(f.get("offered", 0)), "answered": self.answered,
            "abandoned": self.abandoned, "short_abandoned": int(f.get("short_abandoned", 0)),
            "timeouts": int(f.get("timeouts", 0)),
            "exits": int(f.get("exit_key", 0) + f.get("exit_empty", 0)),
            # The reports' definitions (domain/kpi.py), over today's figures.
            "service_level_pct": kpi.service_level_pct(f, self.rules),
            "three_ring_pct": kpi.three_ring_pct(f),
            "abandon_rate_pct": kpi.abandon_rate_pct(f),
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
    # queue -> the reports' figures summed over today's intervals
    queues: dict[str, dict[str, float]] = field(default_factory=dict)
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
                 seed: DaySeed | None = None, rules: kpi.KpiRules | None = None) -> None:
        self.tz = tz
        self.clock = clock
        self.bucket_s = sample_bucket_s
        self.rules = rules or kpi.KpiRules()
        self.day = self._today()
        self._day_starts = self._midnight_after(self.day - timedelta(days=1))
        self._day_ends = self._midnight_after(self.day)
        self.queues: dict[str, QueueFigures] = {}
        self.agents: dict[str, AgentFigures] = {}
        self.series: list[tuple[float, int]] = []
        # queue -> server -> its latest: a queue name on several servers is one queue.
        self._live: dict[str, dict[str, oc.QueueChanged]] = {}
        self._samples: dict[str, dict[str, int]] = {}
        if seed is not None and seed.day == self.day:
            for name, figures in seed.queues.items():
                self._queue(name).today = dict(figures)
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
        found = self.queues.get(name)
        if found is None:
            found = self.queues[name] = QueueFigures(name, rules=self.rules)
        return found

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
        self._day_starts = self._midnight_after(today - timedelta(days=1))
        self._day_ends = self._midnight_after(today)
        quarter_changed = (today.month - 1) // 3 != (self.day.month - 1) // 3 or today.year != self.day.year
        self.day = today
        for q in self.queues.values():
            q.today = {}
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
            case oc.FiguresAdded(scope="queue"):
                # A caller's figures land in the interval they joined: today's if that is.
                if self._day_starts <= o.start < self._day_ends:
                    kpi.add(self._queue(o.name).today, o.figures)
                    if not _SHOWN.isdisjoint(o.figures):  # not a wrap-up or talk time alone
                        changes.queues.add(o.name)
            case oc.CallAnswered():
                self._agent(o.agent).calls += 1
                changes.agents.add(o.agent.interface)
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
