"""Interval statistics as calls complete: the tracker's outcomes in, the figures to add
to 15-minute intervals out (`FiguresAdded`), so a month's report sums a few thousand
rows per queue and never rescans calls (like wazo-call-logd's stat tables).  Pure.

Where each figure lands (intervals are UTC-aligned, `interval_s` long):
* a caller's queue figures in the interval they *joined* the queue, added when they
  leave it (answered, abandoned, or an exit queue_log tells: `QueueExited`);
* an agent's answered call and talk time in the interval the call was *answered*,
  added when it ends; its wrap-up time (to the agent, and to the queue the call
  was answered in), like every state's time, split exactly
  over the intervals it spans (a pause from 23:50 to 00:10 puts 10 minutes in each
  day); missed rings and violations where they happened.

AMI reports a queue timeout and an empty-queue exit as an abandon; queue_log tells
which it was, read a little later: the abandon is then moved to `timeouts` or
`exit_empty` in the interval it was counted in.  A key exit has no AMI abandon at
all: queue_log's line adds it.

Every `FiguresAdded` carries a key naming its fact; the store adds it once, so a
replayed batch or a re-read queue_log line adds nothing.  Memory is bounded: the
callers and answers remembered are capped (oldest forgotten first), which costs
only the join time (the wait is then taken from the event's own figure).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from callcenter.domain import outcomes as oc
from callcenter.domain.kpi import KpiRules

INTERVAL_S = 900.0
_REMEMBER_MAX = 50_000


def interval_start(at: float, interval_s: float = INTERVAL_S) -> float:
    return at - at % interval_s


def split(start: float, end: float, interval_s: float = INTERVAL_S) -> list[tuple[float, float]]:
    """[start, end) cut at interval boundaries: (interval start, seconds in it)."""
    pieces: list[tuple[float, float]] = []
    at = start
    while at < end:
        bucket = interval_start(at, interval_s)
        upto = min(end, bucket + interval_s)
        pieces.append((bucket, upto - at))
        at = upto
    return pieces


@dataclass(slots=True)
class _Agent:
    name: str
    state: oc.AgentState
    reason: str
    since: float
    last_queue: str = ""


@dataclass(frozen=True, slots=True)
class _Left:
    start: float  # the interval it was counted in
    kind: str  # answered | abandoned | short_abandoned
    in_sl: bool


V = TypeVar("V")


def _remember(book: OrderedDict[tuple[str, str], V], key: tuple[str, str], value: V) -> None:
    book[key] = value
    book.move_to_end(key)
    while len(book) > _REMEMBER_MAX:
        book.popitem(last=False)


class IntervalAggregator:
    def __init__(self, rules: KpiRules, ring_budget_s: float,
                 interval_s: float = INTERVAL_S) -> None:
        self.rules = rules
        self.ring_budget_s = ring_budget_s
        self.interval_s = interval_s
        self._joined: OrderedDict[tuple[str, str], float] = OrderedDict()  # -> joined_at
        self._left: OrderedDict[tuple[str, str], _Left] = OrderedDict()
        self._answers: OrderedDict[tuple[str, str], float] = OrderedDict()  # -> answered_at
        self._agents: dict[str, _Agent] = {}

    def _start(self, at: float) -> float:
        return interval_start(at, self.interval_s)

    def feed(self, outcomes: Iterable[oc.Outcome]) -> list[oc.FiguresAdded]:
        out: list[oc.FiguresAdded] = []
        for o in outcomes:
            match o:
                case oc.CallJoined():
                    _remember(self._joined, (o.queue, o.uniqueid), o.at)
                    self._left.pop((o.queue, o.uniqueid), None)
                case oc.CallAnswered():
                    self._answered(o, out)
                case oc.CallAbandoned():
                    self._abandoned(o, out)
                case oc.QueueExited():
                    self._exited(o, out)
                case oc.CallCompleted():
                    self._completed(o, out)
                case oc.RingLegEnded() if o.result is oc.LegResult.NO_ANSWER:
                    out.append(self._agent(f"r:{o.leg_uniqueid}", o.at, o.agent,
                                           {"missed_rings": 1.0}))
                case oc.ViolationRaised():
                    out.append(self._agent(f"v:{o.leg_uniqueid}", o.at, o.agent,
                                           {"violations": 1.0}))
                case oc.AgentStateChanged():
                    self._state(o, out)
                case _:
                    pass
        return out

    def close(self, now: float) -> list[oc.FiguresAdded]:
        """Every agent's time in its current state up to the start of the current
        interval: an agent paused all morning shows in the morning's intervals."""
        out: list[oc.FiguresAdded] = []
        boundary = self._start(now)
        for interface, agent in self._agents.items():
            if agent.since < boundary:
                self._span(interface, agent, boundary, out)
                agent.since = boundary
        return out

    # -- queue figures -------------------------------------------------------------
    def _queue(self, key: str, start: float, queue: str,
               figures: dict[str, float]) -> oc.FiguresAdded:
        return oc.FiguresAdded(key, "queue", start, queue, "", figures)

    def _agent(self, key: str, at: float, agent: oc.AgentRef,
               figures: dict[str, float]) -> oc.FiguresAdded:
        return oc.FiguresAdded(key, "agent", self._start(at), agent.interface, agent.name,
                               figures)

    def _joined_at(self, queue: str, uniqueid: str, fallback: float) -> float:
        joined = self._joined.pop((queue, uniqueid), None)
        return fallback if joined is None else joined

    def _answered(self, o: oc.CallAnswered, out: list[oc.FiguresAdded]) -> None:
        _remember(self._answers, (o.agent.interface, o.uniqueid), o.at)
        agent = self._agents.get(o.agent.interface)
        if agent is not None:
            # The wrap-up that follows this call is this queue's: known now, as
            # AgentComplete may come only after the wrap-up has begun or even ended.
            agent.last_queue = o.queue
        if (o.queue, o.uniqueid) in self._left and (o.queue, o.uniqueid) not in self._joined:
            return  # the same stay connected again (a transfer): counted once
        joined = self._joined_at(o.queue, o.uniqueid, o.at - o.hold_s)
        start, wait = self._start(joined), o.hold_s
        in_sl = self.rules.within_sl(wait)
        _remember(self._left, (o.queue, o.uniqueid), _Left(start, "answered", in_sl))
        out.append(self._queue(f"q:{o.queue}:{o.uniqueid}:{joined:.3f}", start, o.queue, {
            "offered": 1.0, "answered": 1.0, "answered_in_sl": float(in_sl),
            "answered_in_rings": float(not o.late_answer), "wait_answered_s": wait,
            "wait_s": wait, "longest_wait_s": wait}))

    def _abandoned(self, o: oc.CallAbandoned, out: list[oc.FiguresAdded]) -> None:
        joined = self._joined_at(o.queue, o.uniqueid, o.at - o.waited_s)
        start, wait = self._start(joined), o.waited_s
        kind = "short_abandoned" if self.rules.is_short(wait) else "abandoned"
        in_sl = kind == "abandoned" and self.rules.within_sl(wait)
        _remember(self._left, (o.queue, o.uniqueid), _Left(start, kind, in_sl))
        out.append(self._queue(f"q:{o.queue}:{o.uniqueid}:{joined:.3f}", start, o.queue, {
            "offered": 1.0, kind: 1.0, "abandoned_in_sl": float(in_sl), "wait_s": wait,
            "longest_wait_s": wait}))

    def _exited(self, o: oc.QueueExited, out: list[oc.FiguresAdded]) -> None:
        key = f"x:{o.queue}:{o.uniqueid}:{o.at:.0f}"
        exit_figure = {"timeout": "timeouts", "empty": "exit_empty"}.get(o.reason, "exit_key")
        if o.reason == "key":
            joined = self._joined_at(o.queue, o.uniqueid, o.at - o.wait_s)
            out.append(self._queue(key, self._start(joined), o.queue, {
                "offered": 1.0, "exit_key": 1.0, "wait_s": o.wait_s,
                "longest_wait_s": o.wait_s}))
            return
        # Counted as an abandon when AMI told it (live, or recovered): moved.
        left = self._left.get((o.queue, o.uniqueid))
        if left is None:
            short = self.rules.is_short(o.wait_s)
            left = _Left(self._start(o.at - o.wait_s),
                         "short_abandoned" if short else "abandoned",
                         not short and self.rules.within_sl(o.wait_s))
        if left.kind == "answered":
            return
        _remember(self._left, (o.queue, o.uniqueid), _Left(left.start, exit_figure, False))
        out.append(self._queue(key, left.start, o.queue, {
            left.kind: -1.0, "abandoned_in_sl": -float(left.in_sl), exit_figure: 1.0}))

    # -- agent figures -------------------------------------------------------------
    def _completed(self, o: oc.CallCompleted, out: list[oc.FiguresAdded]) -> None:
        answered = self._answers.pop((o.agent.interface, o.uniqueid), None)
        answered_at = o.at - o.talk_s if answered is None else answered
        key = f"c:{o.agent.interface}:{o.uniqueid}:{answered_at:.3f}"
        out.append(self._agent(key, answered_at, o.agent,
                               {"answered": 1.0, "talk_s": o.talk_s}))
        left = self._left.get((o.queue, o.uniqueid))
        start = self._start(answered_at) if left is None else left.start
        out.append(self._queue(key, start, o.queue, {"handled": 1.0, "talk_s": o.talk_s}))
        agent = self._agents.get(o.agent.interface)
        if agent is not None and not agent.last_queue:  # a call whose answer we missed
            agent.last_queue = o.queue

    def _state(self, o: oc.AgentStateChanged, out: list[oc.FiguresAdded]) -> None:
        agent = self._agents.get(o.agent.interface)
        if agent is None:
            self._agents[o.agent.interface] = _Agent(o.agent.name, o.state, o.reason, o.at)
            return
        if o.at > agent.since:
            self._span(o.agent.interface, agent, o.at, out)
        agent.name, agent.state, agent.reason = o.agent.name, o.state, o.reason
        agent.since = max(agent.since, o.at)

    def _span(self, interface: str, agent: _Agent, end: float,
              out: list[oc.FiguresAdded]) -> None:
        state = agent.state
        if state is oc.AgentState.LOGGED_OUT:
            return
        for start, seconds in split(agent.since, end, self.interval_s):
            key = f"s:{interface}:{start:.0f}:{agent.since:.3f}:{state.value}"
            piece = {"logged_in_s": seconds}
            if state is oc.AgentState.PAUSED:
                piece["paused_s"] = seconds
                out.append(oc.FiguresAdded(key, "pause", start, interface,
                                           agent.reason[:100], {"paused_s": seconds}))
            elif state is oc.AgentState.AVAILABLE:
                piece["available_s"] = seconds
            elif state is oc.AgentState.WRAP_UP:
                piece["wrapup_s"] = seconds
                if agent.last_queue:
                    out.append(self._queue(key, start, agent.last_queue,
                                           {"wrapup_s": seconds}))
            out.append(oc.FiguresAdded(key, "agent", start, interface, agent.name, piece))
