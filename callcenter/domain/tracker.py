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

from callcenter.domain import events as ev
from callcenter.domain.keep_place import VirtualWaiter
from callcenter.domain.outcomes import AgentState, LegResult, Outcome, QueueSampled
from callcenter.domain.tracker_calls import CallHandling
from callcenter.domain.tracker_state import DEVICE_BUSY, Membership, QueueView


class Tracker(CallHandling):
    """The entry point: events and time in, outcomes out.  The state and its reading
    are `LivePicture`'s (tracker_picture.py), a queue call's steps `CallHandling`'s
    (tracker_calls.py); here are the dispatch, the timers, members and resyncs."""

    # -- time ---------------------------------------------------------------------
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

    # -- members and resync ---------------------------------------------------------
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
