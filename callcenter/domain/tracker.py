"""The call-center tracker: a pure, synchronous state machine fed by typed events.

`handle(event)` and `tick()` return the outcomes to carry out; the shell calls
`tick()` at `next_deadline()` so ring-rule violations are raised the moment the
budget runs out, and queue samples are taken on time.  Survives attaching
mid-call: events about calls or agents it never saw start are handled with the
figures Asterisk reports.

It is the one owner of the live picture other layers read (`LiveView`: an
agent's current call, free agents, agents on a break).  Every map it keeps is
bounded, so memory stays flat over millions of calls: queues and agents by the
real ones; callers waiting by `RingRules.waiting_stale_s` (a keep-your-place
placeholder the shell told of: its request's expiry) and every resync; the
placeholders told of by their requests' expiry; ringing legs by
`RingRules.leg_expiry_s`; calls by one per agent plus those ended within
`RingRules.call_retention_s` (at most `call_retention_max`).
"""

from __future__ import annotations

from collections.abc import Collection

from callcenter.domain import events as ev
from callcenter.domain.clock import Clock
from callcenter.domain.keep_place import Placeholders, VirtualWaiter, is_virtual
from callcenter.domain.live_view import (
    ActiveCall,
    CallBook,
    LiveCounts,
    LiveView,
    PausedAgent,
    QueueMembership,
)
from callcenter.domain.outcomes import (
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
from callcenter.domain.tracker_state import (
    DEVICE_BUSY,
    AgentView,
    Membership,
    QueueView,
    Waiting,
)

_NOT_STAFFED = (AgentState.LOGGED_OUT, AgentState.PAUSED, AgentState.UNAVAILABLE)
# Free within seconds: wrap-up ends long before a call's handle time would.
_FREE_SOON = (AgentState.AVAILABLE, AgentState.RINGING, AgentState.WRAP_UP)


class Tracker(LiveView):
    def __init__(self, rules: RingRules, clock: Clock) -> None:
        self.rules = rules
        self.clock = clock
        self.queues: dict[str, QueueView] = {}
        self.agents: dict[str, AgentView] = {}
        self.ring = RingRule(rules)
        # Calls agents are on, and recently ended ones: a linkedid seen there gets a
        # TicketParticipantAdded (a transfer), any other a TicketOpened.
        self.calls = CallBook(rules.call_retention_s, rules.call_retention_max)
        # queue -> member interfaces, so a queue's free agents are counted without
        # walking every agent; kept with `AgentView.memberships` by _join/_leave.
        self._members: dict[str, set[str]] = {}
        self._membership_changes = 0  # joins and leaves so far (readers compare it)
        self._dirty_queues: set[str] = set()
        self._soonest_new_deadline: float | None = None
        self.placeholders = Placeholders()  # keep-your-place requests the shell told of

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
        # Asked for every member of a queue on each of the queue's events: it reads
        # the summary AgentView keeps of the memberships, and the clock only if needed.
        if not agent.memberships:
            return AgentState.LOGGED_OUT
        if agent.device_busy or self.calls.has_call(agent.interface):
            return AgentState.ON_CALL
        if agent.device_ringing or self.ring.legs_of_agent(agent.interface):
            return AgentState.RINGING
        if agent.paused:
            return AgentState.PAUSED
        if self.clock.now() < agent.wrapup_until:
            return AgentState.WRAP_UP
        if agent.device_unreachable:
            return AgentState.UNAVAILABLE
        return AgentState.AVAILABLE

    def current_call(self, interface: str) -> ActiveCall | None:
        return self.calls.current(interface)

    def agents_available(self, queue: str) -> int:
        free = 0
        for interface in self._members.get(queue, ()):  # a plain loop: this is hot
            if self.state_of(self.agents[interface]) is AgentState.AVAILABLE:
                free += 1
        return free

    def agents_staffed(self, queue: str) -> int:
        """Members of the queue who take calls: logged in, not paused, reachable (busy,
        ringing or in wrap-up included)."""
        staffed = 0
        for interface in self._members.get(queue, ()):
            if self.state_of(self.agents[interface]) not in _NOT_STAFFED:
                staffed += 1
        return staffed

    def agents_free_soon(self, queue: str) -> int:
        """Members of the queue free, ringing (a ringall queue rings every free agent
        for the first caller: the others are free again the moment one answers) or in
        wrap-up (free again within seconds)."""
        soon = 0
        for interface in self._members.get(queue, ()):
            if self.state_of(self.agents[interface]) in _FREE_SOON:
                soon += 1
        return soon

    def waiting(self, queue: str) -> int:
        """Callers waiting in the queue now, keep-your-place placeholders included."""
        view = self.queues.get(queue)
        return 0 if view is None else len(view.waiting)

    def agents_paused_for(self, reasons: Collection[str]) -> list[PausedAgent]:
        """Agents on a pause with one of these reasons and nothing else going on (not
        ringing, not on a call), with the queues they are paused in for it."""
        wanted = {r.lower() for r in reasons}
        found = []
        for agent in self.agents.values():
            queues = tuple(sorted(q for q, m in agent.memberships.items()
                                  if m.paused and m.paused_reason.lower() in wanted))
            if queues and self.state_of(agent) is AgentState.PAUSED:
                reason = agent.memberships[queues[0]].paused_reason
                found.append(PausedAgent(agent.ref, reason, queues))
        return sorted(found, key=lambda p: (p.ref.name, p.ref.interface))

    def counts(self) -> LiveCounts:
        now = self.clock.now()
        members: dict[tuple[str, AgentState], int] = {}
        agents: dict[AgentState, int] = dict.fromkeys(AgentState, 0)
        for agent in self.agents.values():
            state = self.state_of(agent)
            agents[state] += 1
            for queue in agent.memberships:
                members[queue, state] = members.get((queue, state), 0) + 1
        return LiveCounts(
            waiting={q.name: len(q.waiting) for q in self.queues.values()},
            longest_wait_s={q.name: q.longest_wait_s(now) for q in self.queues.values()},
            members=members, agents=agents)

    def membership_changes(self) -> int:
        return self._membership_changes

    def memberships_of(self, interface: str) -> tuple[QueueMembership, ...]:
        agent = self.agents.get(interface)
        if agent is None:
            return ()
        return tuple(QueueMembership(q, m.paused, m.paused_reason if m.paused else "")
                     for q, m in sorted(agent.memberships.items()))

    def next_deadline(self) -> float | None:
        now = self.clock.now()
        # Callers waiting too long are dropped by tick(), which the queue samples below
        # keep running; forgetting ended calls has its own deadline.
        candidates = [self.ring.next_deadline(), self.calls.next_expiry()]
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

    # -- keep your place -----------------------------------------------------------
    def expect_virtual(self, waiter: VirtualWaiter) -> None:
        """The shell tells of a keep-your-place request (before its placeholder is
        originated, and for every request still waiting when the daemon starts): its
        placeholder's wait counts from the caller's first join — the wallboard's longest
        wait and the queue samples say how long the caller has really waited — and it
        is not dropped as stale before the request expires.  The queue's new figures
        go out with the next event or tick."""
        self.placeholders.expect(waiter)
        for queue in self.queues.values():
            for uniqueid, entry in queue.waiting.items():
                if self.placeholders.of(uniqueid) is waiter:
                    entry.holds_place_of(waiter)
                    self._dirty_queues.add(queue.name)

    def _waiting(self, uniqueid: str, linkedid: str, number: str, joined_at: float) -> Waiting:
        entry = Waiting(uniqueid, linkedid, number, joined_at,
                        joined_at + self.rules.waiting_stale_s)
        waiter = self.placeholders.of(uniqueid)
        if waiter is not None:
            entry.holds_place_of(waiter)
        return entry

    # -- time ---------------------------------------------------------------------
    def tick(self) -> list[Outcome]:
        now = self.clock.now()
        self.calls.forget_ended(now)
        self.placeholders.forget_stale(now)
        out: list[Outcome] = self.ring.expire(now)
        for agent in self.agents.values():
            self._report(agent, out)
        for queue in self.queues.values():
            self._drop_stale_callers(queue, now)
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
            virtual = sum(1 for uniqueid in queue.waiting if is_virtual(uniqueid))
            current = (len(queue.waiting), queue.oldest_joined_at(),
                       self.agents_available(queue.name), virtual)
            if queue.reported != current:
                queue.reported = current
                out.append(QueueChanged(queue.name, *current[:3], self.clock.now(),
                                        virtual=virtual))
        self._dirty_queues.clear()

    def _drop_stale_callers(self, queue: QueueView, now: float) -> None:
        """A caller whose leave we never saw (an event lost with the link up) must not
        count as waiting for ever.  Nothing is emitted for it: we do not know how the
        call ended; the queue's figures (QueueChanged) just move."""
        stale = [u for u, w in queue.waiting.items() if now >= w.stale_at]
        for uniqueid in stale:
            del queue.waiting[uniqueid]
        if stale:
            self._dirty_queues.add(queue.name)

    def link_lost(self) -> list[Outcome]:
        """The AMI link dropped: ringing legs we can no longer see stop being timed
        (see RingRule.forget_unviolated); the reconnect's resync rebuilds the rest."""
        out: list[Outcome] = []
        for interface in set(self.ring.forget_unviolated()):
            self._report(self.agents[interface], out)
        self._report_queues(out)
        return out

    # -- events -------------------------------------------------------------------
    def handle(self, event: ev.Event) -> list[Outcome]:
        self.calls.forget_ended(self.clock.now())  # O(1) unless something expired
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
                self._leave(agent, event.queue)
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

    def _join(self, agent: AgentView, queue: str, membership: Membership) -> None:
        self._membership_changes += queue not in agent.memberships
        agent.join(queue, membership)
        self._members.setdefault(queue, set()).add(agent.interface)

    def _leave(self, agent: AgentView, queue: str) -> None:
        if agent.leave(queue):
            self._membership_changes += 1
            members = self._members[queue]
            members.discard(agent.interface)
            if not members:
                del self._members[queue]

    def _end_call(self, agent: AgentView) -> None:
        """The agent is off its call: after-call work starts, as long as Asterisk keeps
        the member from the next call (the member's own wrapuptime, else the queue's,
        which [rules] wrapup_s mirrors: queues.conf's is not on AMI)."""
        call = self.calls.current(agent.interface)
        membership = agent.memberships.get(call.queue) if call is not None else None
        wrapup_s = self.rules.wrapup_s
        if membership is not None and membership.wrapup_s is not None:
            wrapup_s = membership.wrapup_s
        self.calls.release(agent.interface, self.clock.now())
        agent.wrapup_until = self.clock.now() + wrapup_s
        self._new_deadline(agent.wrapup_until)

    def _report(self, agent: AgentView, out: list[Outcome]) -> None:
        state = self.state_of(agent)
        current = (state, agent.paused_reason)
        if agent.reported != current:
            agent.reported = current
            self._dirty_queues.update(agent.memberships)
            call = self.calls.current(agent.interface)
            out.append(AgentStateChanged(agent.ref, state, agent.paused_reason,
                                         call.linkedid if call else None, self.clock.now()))

    def _caller_joined(self, event: ev.CallerJoined, out: list[Outcome]) -> None:
        now = self.clock.now()
        queue = self._queue(event.queue)
        if event.uniqueid not in queue.waiting:
            queue.waiting[event.uniqueid] = self._waiting(event.uniqueid, event.linkedid,
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
        out.append(CallAnswered(event.queue, event.uniqueid, event.linkedid, agent.ref,
                                event.hold_s, round(ring_s, 3), late, now))
        call = self.calls.known(event.linkedid)
        if call is not None:  # a transfer: the ticket, and its owner, stay
            out.append(TicketParticipantAdded(event.linkedid, agent.ref, event.queue, now))
        else:
            call = ActiveCall(event.linkedid, event.uniqueid, event.queue,
                              event.caller_number, agent.ref, late, round(ring_s, 3),
                              event.hold_s, now)
            out.append(TicketOpened(call.linkedid, call.uniqueid, call.queue,
                                    call.caller_number, call.owner, call.hold_s,
                                    call.ring_s, call.late_answer, now))
        self.calls.attach(agent.interface, call, now)  # ends the agent's previous call
        self._report(agent, out)

    def _agent_completed(self, event: ev.AgentCompleted, out: list[Outcome]) -> None:
        now = self.clock.now()
        agent = self._agent(event.interface, event.member_name)
        call = self.calls.current(agent.interface)
        if call is not None and call.linkedid == event.linkedid:
            self._end_call(agent)
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
        self._join(agent, event.queue, Membership(event.paused, event.paused_reason,
                                                  event.device_status, event.wrapup_s))
        if (self.calls.current(agent.interface) is not None and not event.in_call
                and event.device_status not in DEVICE_BUSY):
            # The member's device is free (e.g. it transferred the caller away): the
            # call is over for this agent even though AgentComplete comes later.
            self._end_call(agent)
        self._report(agent, out)

    def _resync(self, snapshot: ev.QueueSnapshot, out: list[Outcome]) -> None:
        now = self.clock.now()
        for name in snapshot.queues:
            self._queue(name)
        # QueueStatus lists every queue with all its callers: whoever is not in it
        # has left, even from a queue that no longer exists.
        for queue in self.queues.values():
            queue.waiting.clear()
        self._dirty_queues.update(self.queues)
        for entry in snapshot.waiting:
            self._queue(entry.queue).waiting[entry.uniqueid] = self._waiting(
                entry.uniqueid, entry.linkedid, entry.caller_number, now - entry.wait_s)
        # Callers that left while we were away take their ringing legs with them.
        waiting_ids = {w for q in self.queues.values() for w in q.waiting}
        for leg in list(self.ring.legs.values()):
            if leg.caller_uniqueid not in waiting_ids:
                out += self.ring.end(leg.leg_uniqueid, LegResult.CANCELLED, now)
        present = {(m.queue, m.interface) for m in snapshot.members}
        for agent in self.agents.values():
            for name in list(agent.memberships):
                if name in snapshot.queues and (name, agent.interface) not in present:
                    self._leave(agent, name)
        for member in snapshot.members:
            self._member_updated(member, out)
        for agent in self.agents.values():
            self._report(agent, out)
