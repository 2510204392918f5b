"""The call-center tracker: a pure, synchronous state machine fed by typed events.

`handle(event)` and `tick()` return the outcomes to carry out; the shell calls
`tick()` at `next_deadline()` so ring-rule violations are raised the moment the
budget runs out, and queue samples are taken on time.  Survives attaching
mid-call: events about calls or agents it never saw start are handled with the
figures Asterisk reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.domain import events as ev
from callcenter.domain.clock import Clock
from callcenter.domain.outcomes import (
    AgentRef,
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallCompleted,
    CallJoined,
    LegResult,
    Outcome,
    QueueChanged,
    QueueSampled,
    TicketOpened,
    TicketParticipantAdded,
)
from callcenter.domain.ring_rule import RingingLeg, RingRule
from callcenter.domain.rules import RingRules

# Asterisk device states (AST_DEVICE_*) as QueueMember/QueueMemberStatus report them.
_DEVICE_BUSY = {2, 3, 7, 8}  # in use, busy, ring+in use, on hold
_DEVICE_RINGING = {6}
_DEVICE_UNREACHABLE = {4, 5}  # invalid, unavailable


@dataclass(slots=True)
class Waiting:
    uniqueid: str
    linkedid: str
    caller_number: str
    joined_at: float


@dataclass(slots=True)
class QueueView:
    name: str
    waiting: dict[str, Waiting] = field(default_factory=dict)
    last_sample_at: float | None = None
    reported: tuple[int, float | None, int] | None = None

    def oldest_joined_at(self) -> float | None:
        return min((w.joined_at for w in self.waiting.values()), default=None)

    def longest_wait_s(self, now: float) -> float:
        oldest = self.oldest_joined_at()
        return 0.0 if oldest is None else max(0.0, now - oldest)


@dataclass(slots=True)
class Membership:
    paused: bool = False
    paused_reason: str = ""
    device_status: int = 1


@dataclass(slots=True)
class AgentView:
    interface: str
    name: str
    memberships: dict[str, Membership] = field(default_factory=dict)
    current_linkedid: str | None = None
    wrapup_until: float = 0.0
    reported: tuple[AgentState, str] | None = None

    @property
    def ref(self) -> AgentRef:
        return AgentRef(self.interface, self.name)

    @property
    def paused_reason(self) -> str:
        return next((m.paused_reason for m in self.memberships.values() if m.paused), "")


class Tracker:
    def __init__(self, rules: RingRules, clock: Clock) -> None:
        self.rules = rules
        self.clock = clock
        self.queues: dict[str, QueueView] = {}
        self.agents: dict[str, AgentView] = {}
        self.ring = RingRule(rules)
        self._answered_linkedids: set[str] = set()
        self._dirty_queues: set[str] = set()
        self._soonest_new_deadline: float | None = None

    def take_soonest_new_deadline(self) -> float | None:
        """The earliest timer created since the last call: lets the shell re-arm its
        timer only when an event brought a deadline forward."""
        soonest, self._soonest_new_deadline = self._soonest_new_deadline, None
        return soonest

    def _new_deadline(self, at: float) -> None:
        if self._soonest_new_deadline is None or at < self._soonest_new_deadline:
            self._soonest_new_deadline = at

    # -- reading ------------------------------------------------------------------
    def state_of(self, agent: AgentView) -> AgentState:
        now = self.clock.now()
        statuses = {m.device_status for m in agent.memberships.values()}
        if not agent.memberships:
            return AgentState.LOGGED_OUT
        if agent.current_linkedid is not None or statuses & _DEVICE_BUSY:
            return AgentState.ON_CALL
        if self.ring.legs_of_agent(agent.interface) or statuses & _DEVICE_RINGING:
            return AgentState.RINGING
        if any(m.paused for m in agent.memberships.values()):
            return AgentState.PAUSED
        if now < agent.wrapup_until:
            return AgentState.WRAP_UP
        if statuses and statuses <= _DEVICE_UNREACHABLE:
            return AgentState.UNAVAILABLE
        return AgentState.AVAILABLE

    def agents_available(self, queue: str) -> int:
        return sum(1 for a in self.agents.values()
                   if queue in a.memberships and self.state_of(a) is AgentState.AVAILABLE)

    def next_deadline(self) -> float | None:
        now = self.clock.now()
        candidates = [self.ring.next_deadline()]
        # A wrap-up that has ended but is still reported as wrap-up is due now: the shell
        # wakes a little after the deadline, and must still tick to report its end.
        candidates += [a.wrapup_until for a in self.agents.values()
                       if a.wrapup_until > now
                       or (a.reported is not None and a.reported[0] is AgentState.WRAP_UP)]
        # A queue never sampled is due now (not "now + interval": that would slide away).
        candidates += [now if q.last_sample_at is None
                       else q.last_sample_at + self.rules.sample_interval_s
                       for q in self.queues.values()]
        due = [c for c in candidates if c is not None]
        return min(due) if due else None

    # -- time ---------------------------------------------------------------------
    def tick(self) -> list[Outcome]:
        now = self.clock.now()
        out: list[Outcome] = self.ring.expire(now)
        for agent in self.agents.values():
            self._report(agent, out)
        for queue in self.queues.values():
            if queue.last_sample_at is None or now - queue.last_sample_at >= self.rules.sample_interval_s:
                queue.last_sample_at = now
                out.append(QueueSampled(queue.name, len(queue.waiting),
                                        round(queue.longest_wait_s(now), 1), now))
        self._report_queues(out, everything=True)
        return out

    def _report_queues(self, out: list[Outcome], everything: bool = False) -> None:
        names = list(self.queues) if everything else self._dirty_queues
        for name in names:
            queue = self.queues.get(name)
            if queue is None:
                continue
            current = (len(queue.waiting), queue.oldest_joined_at(),
                       self.agents_available(queue.name))
            if queue.reported != current:
                queue.reported = current
                out.append(QueueChanged(queue.name, *current, self.clock.now()))
        self._dirty_queues.clear()

    # -- events -------------------------------------------------------------------
    def handle(self, event: ev.Event) -> list[Outcome]:
        out: list[Outcome] = []
        match event:
            case ev.CallerJoined():
                self._caller_joined(event, out)
            case ev.CallerLeft():
                self._queue(event.queue).waiting.pop(event.uniqueid, None)
            case ev.CallerAbandoned():
                self._caller_abandoned(event, out)
            case ev.AgentCalled():
                self._agent_called(event, out)
            case ev.AgentRingNoAnswer():
                self._ring_no_answer(event, out)
            case ev.AgentConnected():
                self._agent_connected(event, out)
            case ev.AgentCompleted():
                self._agent_completed(event, out)
            case ev.ChannelHungUp():
                self._hung_up(event, out)
            case ev.MemberUpdated():
                self._member_updated(event, out)
            case ev.MemberRemoved():
                agent = self._agent(event.interface, event.member_name)
                agent.memberships.pop(event.queue, None)
                self._report(agent, out)
            case ev.QueueSnapshot():
                self._resync(event, out)
        self._report_queues(out)
        return out

    def _queue(self, name: str) -> QueueView:
        """The queue an event is about; its live picture will be re-checked."""
        self._dirty_queues.add(name)
        queue = self.queues.get(name)
        if queue is None:
            queue = self.queues[name] = QueueView(name)
            self._new_deadline(self.clock.now())  # sample it right away
        return queue

    def _agent(self, interface: str, name: str) -> AgentView:
        agent = self.agents.get(interface)
        if agent is None:
            agent = self.agents[interface] = AgentView(interface, name or interface)
        elif name and agent.name != name:
            agent.name = name
        return agent

    def _report(self, agent: AgentView, out: list[Outcome]) -> None:
        state = self.state_of(agent)
        current = (state, agent.paused_reason)
        if agent.reported != current:
            agent.reported = current
            self._dirty_queues.update(agent.memberships)
            out.append(AgentStateChanged(agent.ref, state, agent.paused_reason,
                                         agent.current_linkedid, self.clock.now()))

    def _caller_joined(self, event: ev.CallerJoined, out: list[Outcome]) -> None:
        now = self.clock.now()
        queue = self._queue(event.queue)
        if event.uniqueid not in queue.waiting:
            queue.waiting[event.uniqueid] = Waiting(event.uniqueid, event.linkedid,
                                                    event.caller_number, now)
            out.append(CallJoined(event.queue, event.uniqueid, event.linkedid,
                                  event.caller_number, now))

    def _caller_abandoned(self, event: ev.CallerAbandoned, out: list[Outcome]) -> None:
        queue = self._queue(event.queue)
        entry = queue.waiting.pop(event.uniqueid, None)
        self._end_caller_legs(event.uniqueid, out)
        out.append(CallAbandoned(event.queue, event.uniqueid, event.linkedid,
                                 event.hold_s, self.clock.now(),
                                 entry.caller_number if entry else ""))

    def _agent_called(self, event: ev.AgentCalled, out: list[Outcome]) -> None:
        agent = self._agent(event.interface, event.member_name)
        self.ring.start(RingingLeg(event.leg_uniqueid, event.uniqueid, event.linkedid,
                                   event.queue, agent.ref, self.clock.now()))
        self._new_deadline(self.clock.now() + self.rules.ring_budget_s)
        self._report(agent, out)

    def _ring_no_answer(self, event: ev.AgentRingNoAnswer, out: list[Outcome]) -> None:
        agent = self._agent(event.interface, event.member_name)
        now = self.clock.now()
        reported = RingingLeg(event.leg_uniqueid, event.uniqueid, event.linkedid,
                              event.queue, agent.ref, now - event.ring_s)
        out += self.ring.end(event.leg_uniqueid, LegResult.NO_ANSWER, now,
                             reported, event.ring_s)
        self._report(agent, out)

    def _agent_connected(self, event: ev.AgentConnected, out: list[Outcome]) -> None:
        now = self.clock.now()
        agent = self._agent(event.interface, event.member_name)
        known = self.ring.legs.get(event.leg_uniqueid)
        ring_s = now - known.started_at if known else event.ring_s
        reported = RingingLeg(event.leg_uniqueid, event.uniqueid, event.linkedid,
                              event.queue, agent.ref, now - event.ring_s)
        out += self.ring.end(event.leg_uniqueid, LegResult.ANSWERED, now,
                             reported, event.ring_s)
        # The caller's other legs (ringall) stop ringing now.
        self._end_caller_legs(event.uniqueid, out)
        queue = self._queue(event.queue)
        queue.waiting.pop(event.uniqueid, None)
        late = ring_s >= self.rules.ring_budget_s
        agent.current_linkedid = event.linkedid
        out.append(CallAnswered(event.queue, event.uniqueid, event.linkedid, agent.ref,
                                event.hold_s, round(ring_s, 3), late, now))
        if event.linkedid in self._answered_linkedids:
            out.append(TicketParticipantAdded(event.linkedid, agent.ref, event.queue, now))
        else:
            self._answered_linkedids.add(event.linkedid)
            out.append(TicketOpened(event.linkedid, event.uniqueid, event.queue,
                                    event.caller_number, agent.ref, event.hold_s,
                                    round(ring_s, 3), late, now))
        self._report(agent, out)

    def _agent_completed(self, event: ev.AgentCompleted, out: list[Outcome]) -> None:
        now = self.clock.now()
        agent = self._agent(event.interface, event.member_name)
        if agent.current_linkedid == event.linkedid:
            agent.current_linkedid = None
            agent.wrapup_until = now + self.rules.wrapup_s
            self._new_deadline(agent.wrapup_until)
        out.append(CallCompleted(event.linkedid, event.uniqueid, event.queue, agent.ref,
                                 event.talk_s, event.reason, now))
        self._report(agent, out)

    def _hung_up(self, event: ev.ChannelHungUp, out: list[Outcome]) -> None:
        now = self.clock.now()
        if event.uniqueid in self.ring.legs:  # a member leg stopped ringing
            interface = self.ring.legs[event.uniqueid].agent.interface
            out += self.ring.end(event.uniqueid, LegResult.CANCELLED, now)
            self._report(self.agents[interface], out)
            return
        # A caller hung up: whatever still rings for them is cancelled.
        self._end_caller_legs(event.uniqueid, out)
        for queue in self.queues.values():
            queue.waiting.pop(event.uniqueid, None)

    def _end_caller_legs(self, caller_uniqueid: str, out: list[Outcome]) -> None:
        now = self.clock.now()
        for leg_id in self.ring.legs_of_caller(caller_uniqueid):
            interface = self.ring.legs[leg_id].agent.interface
            out += self.ring.end(leg_id, LegResult.CANCELLED, now)
            self._report(self.agents[interface], out)

    def _member_updated(self, event: ev.MemberUpdated, out: list[Outcome]) -> None:
        agent = self._agent(event.interface, event.member_name)
        self._queue(event.queue)
        agent.memberships[event.queue] = Membership(event.paused, event.paused_reason,
                                                    event.device_status)
        if (agent.current_linkedid is not None and not event.in_call
                and event.device_status not in _DEVICE_BUSY):
            # The member's device is free (e.g. it transferred the caller away): the
            # call is over for this agent even though AgentComplete comes later.
            agent.current_linkedid = None
            agent.wrapup_until = self.clock.now() + self.rules.wrapup_s
            self._new_deadline(agent.wrapup_until)
        self._report(agent, out)

    def _resync(self, snapshot: ev.QueueSnapshot, out: list[Outcome]) -> None:
        now = self.clock.now()
        for name in snapshot.queues:
            self._queue(name).waiting.clear()
        self._dirty_queues.update(self.queues)
        for entry in snapshot.waiting:
            self._queue(entry.queue).waiting[entry.uniqueid] = Waiting(
                entry.uniqueid, entry.linkedid, entry.caller_number, now - entry.wait_s)
        # Callers that left while we were away take their ringing legs with them.
        waiting_ids = {w for q in self.queues.values() for w in q.waiting}
        for leg in list(self.ring.legs.values()):
            if leg.caller_uniqueid not in waiting_ids:
                out += self.ring.end(leg.leg_uniqueid, LegResult.CANCELLED, now)
        present = {(m.queue, m.interface) for m in snapshot.members}
        for agent in self.agents.values():
            for queue in list(agent.memberships):
                if queue in snapshot.queues and (queue, agent.interface) not in present:
                    del agent.memberships[queue]
        for member in snapshot.members:
            self._member_updated(member, out)
        for agent in self.agents.values():
            self._report(agent, out)
