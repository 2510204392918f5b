"""The tracker's handling of a queue call, event by event (pure).

A caller joins a queue, member legs ring (the three-ring rule, `RingRule`), one
is answered (a ticket opened, or a participant added on a transfer) or the
caller abandons or hangs up, and the agent completes the call and goes into
wrap-up.  `CallHandling` adds these steps to the state `LivePicture` keeps;
`Tracker` (tracker.py) dispatches the events to them.
"""

from __future__ import annotations

from callcenter.domain import events as ev
from callcenter.domain.live_view import ActiveCall
from callcenter.domain.outcomes import (
    CallAbandoned,
    CallAnswered,
    CallCompleted,
    CallJoined,
    LegResult,
    Outcome,
    TicketOpened,
    TicketParticipantAdded,
)
from callcenter.domain.ring_rule import RingingLeg
from callcenter.domain.tracker_picture import LivePicture
from callcenter.domain.tracker_state import AgentView


class CallHandling(LivePicture):
    """A queue call's steps; `Tracker.handle` calls them."""

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
