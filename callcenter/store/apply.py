"""Write each domain outcome.  Every function is idempotent: replaying the same
outcomes (a reconnect, a replayed stream) changes nothing, and the unique
constraints in models.py guarantee it where code alone could race.

The two history series (agent state changes, queue samples) have no natural key, so
a plain replay would add their rows twice.  The store writer replays with
`replay=True` whenever a batch may already be in the database (re-sent after the
writer process died, retried after the connection broke, read back from a journal
an earlier run left): then a history row is inserted only if the same row is not
there yet (every column equal, found through the agent/queue and time index)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from callcenter.domain import outcomes as oc
from callcenter.domain.phone import normalise
from callcenter.store import models as m
from callcenter.store.stats import add_figures
from callcenter.store.upsert import insert_for


class Applier:
    def __init__(self, repeat_window_s: float) -> None:
        self.repeat_window_s = repeat_window_s
        self._handlers: dict[type, Callable[[Connection, Any], None]] = {
            oc.CallJoined: self.call_joined,
            oc.CallAbandoned: self.call_abandoned,
            oc.CallAnswered: self.call_answered,
            oc.TicketOpened: self.ticket_opened,
            oc.TicketParticipantAdded: self.participant_added,
            oc.CallCompleted: self.call_completed,
            oc.RingLegEnded: self.ring_leg_ended,
            oc.ViolationRaised: self.violation_raised,
            oc.ViolationSettled: self.violation_settled,
            oc.AgentStateChanged: self.agent_state_changed,
            oc.QueueChanged: self.queue_changed,
            oc.QueueSampled: self.queue_sampled,
            oc.FiguresAdded: add_figures,
            # How a caller left, as queue_log tells it: only the interval figures
            # (FiguresAdded) keep it.
            oc.QueueExited: lambda s, o: None,
        }

    def apply(self, session: Connection, outcome: oc.Outcome, *, replay: bool = False) -> None:
        if replay and isinstance(outcome, oc.AgentStateChanged):
            self._agent_row(session, outcome)
            self._history(session, [_change_row(outcome)], [])
        elif replay and isinstance(outcome, oc.QueueSampled):
            self._history(session, [], [_sample_row(outcome)])
        else:
            self._handlers[type(outcome)](session, outcome)

    def apply_batch(self, session: Connection, batch: list[oc.Outcome], *,
                    replay: bool = False) -> None:
        """Apply a batch in order, with two shortcuts that change no result: the
        live rows (agents, queues_live) keep only their latest value, and history
        rows (state changes, queue samples) are inserted in one statement each."""
        latest_agent: dict[str, oc.AgentStateChanged] = {}
        latest_queue: dict[str, oc.QueueChanged] = {}
        changes: list[dict[str, Any]] = []
        samples: list[dict[str, Any]] = []
        for outcome in batch:
            if isinstance(outcome, oc.AgentStateChanged):
                latest_agent[outcome.agent.interface] = outcome
                changes.append(_change_row(outcome))
            elif isinstance(outcome, oc.QueueChanged):
                latest_queue[outcome.queue] = outcome
            elif isinstance(outcome, oc.QueueSampled):
                samples.append(_sample_row(outcome))
            else:
                self.apply(session, outcome)
        for state in latest_agent.values():
            self._agent_row(session, state)
        for queue in latest_queue.values():
            self.queue_changed(session, queue)
        if replay:
            self._history(session, changes, samples)
            return
        if changes:
            session.execute(insert(m.AgentStateChange), changes)
        if samples:
            session.execute(insert(m.QueueSample), samples)

    def _history(self, s: Connection, changes: list[dict[str, Any]],
                 samples: list[dict[str, Any]]) -> None:
        """History rows not already stored (a replay): one indexed lookup each."""
        change, sample = m.AgentStateChange, m.QueueSample
        new_changes = [row for row in changes if s.execute(select(change.id).where(
            change.agent_interface == row["agent_interface"], change.at == row["at"],
            change.state == row["state"], change.reason == row["reason"]).limit(1)).first() is None]
        new_samples = [row for row in samples if s.execute(select(sample.id).where(
            sample.queue == row["queue"], sample.at == row["at"], sample.waiting == row["waiting"],
            sample.longest_wait_s == row["longest_wait_s"]).limit(1)).first() is None]
        if new_changes:
            s.execute(insert(change), new_changes)
        if new_samples:
            s.execute(insert(sample), new_samples)

    # A call's row is written whichever of its outcomes comes first: a caller who joined
    # while the daemon was not listening is answered or gives up live, and the join is
    # recovered from queue_log afterwards; the later join only adds what it knows.
    def call_joined(self, s: Connection, o: oc.CallJoined) -> None:
        phone = normalise(o.caller_number)
        s.execute(insert_for(s, m.Call).values(
            linkedid=o.linkedid, uniqueid=o.uniqueid, queue=o.queue,
            caller_phone=phone, joined_at=o.at, outcome="waiting", server=o.server,
        ).on_conflict_do_update(index_elements=["linkedid", "queue"],
                                set_={"caller_phone": phone, "joined_at": o.at},
                                where=(m.Call.caller_phone == "") & (m.Call.outcome != "waiting")))

    def call_abandoned(self, s: Connection, o: oc.CallAbandoned) -> None:
        s.execute(insert_for(s, m.Call).values(
            linkedid=o.linkedid, uniqueid=o.uniqueid, queue=o.queue,
            caller_phone=normalise(o.caller_number), joined_at=o.at - o.waited_s,
            outcome="abandoned", ended_at=o.at, server=o.server,
        ).on_conflict_do_update(index_elements=["linkedid", "queue"],
                                set_={"outcome": "abandoned", "ended_at": o.at},
                                where=m.Call.outcome == "waiting"))

    def call_answered(self, s: Connection, o: oc.CallAnswered) -> None:
        values = {"outcome": "answered", "answered_at": o.at,
                  "agent_interface": o.agent.interface, "hold_s": o.hold_s,
                  "ring_s": o.ring_s, "late_answer": o.late_answer}
        s.execute(insert_for(s, m.Call).values(
            linkedid=o.linkedid, uniqueid=o.uniqueid, queue=o.queue, caller_phone="",
            joined_at=o.at - o.hold_s, server=o.server, **values,
        ).on_conflict_do_update(index_elements=["linkedid", "queue"], set_=values))

    def _customer(self, s: Connection, phone: str, at: float) -> int:
        s.execute(insert_for(s, m.Customer).values(phone=phone, name="", created_at=at)
                  .on_conflict_do_nothing())
        return s.execute(select(m.Customer.id).where(m.Customer.phone == phone)).scalar_one()

    def ticket_opened(self, s: Connection, o: oc.TicketOpened) -> None:
        phone = normalise(o.caller_number)
        customer_id = self._customer(s, phone, o.at)
        recent = s.execute(select(func.count()).select_from(m.Call).where(
            m.Call.caller_phone == phone, m.Call.joined_at >= o.at - self.repeat_window_s,
            m.Call.joined_at <= o.at)).scalar_one()
        s.execute(insert_for(s, m.Ticket).values(
            linkedid=o.linkedid, customer_id=customer_id, caller_phone=phone,
            owner_interface=o.owner.interface, owner_name=o.owner.name, queue=o.queue,
            opened_at=o.at, hold_s=o.hold_s, ring_s=o.ring_s, late_answer=o.late_answer,
            calls_last_window=max(recent, 1), status="open", recovered=o.recovered,
            server=o.server,
        ).on_conflict_do_nothing(index_elements=["linkedid"]))
        # Already opened (daemon restarted mid-call): a different agent joins it.
        self.participant_added(s, oc.TicketParticipantAdded(o.linkedid, o.owner, o.queue, o.at))

    def participant_added(self, s: Connection, o: oc.TicketParticipantAdded) -> None:
        ticket = s.execute(select(m.Ticket.id, m.Ticket.owner_interface)
                           .where(m.Ticket.linkedid == o.linkedid)).one_or_none()
        if ticket is None:
            return
        s.execute(insert_for(s, m.TicketParticipant).values(
            ticket_id=ticket.id, agent_interface=o.agent.interface, agent_name=o.agent.name,
            queue=o.queue, joined_at=o.at,
        ).on_conflict_do_nothing())

    def call_completed(self, s: Connection, o: oc.CallCompleted) -> None:
        s.execute(update(m.Call)
                  .where(m.Call.linkedid == o.linkedid, m.Call.queue == o.queue)
                  .values(ended_at=o.at, talk_s=o.talk_s, hangup_by=o.hangup_by))
        # The ticket's talk time runs from the first answer to the last hang-up,
        # transfers included (Asterisk's per-agent TalkTime overlaps after one).
        ticket = s.execute(select(m.Ticket.opened_at, m.Ticket.completed_at)
                           .where(m.Ticket.linkedid == o.linkedid)).one_or_none()
        if ticket is None or (ticket.completed_at is not None and ticket.completed_at > o.at):
            return
        s.execute(update(m.Ticket).where(m.Ticket.linkedid == o.linkedid)
                  .values(talk_s=round(o.at - ticket.opened_at, 1), hangup_by=o.hangup_by,
                          completed_at=o.at))

    def ring_leg_ended(self, s: Connection, o: oc.RingLegEnded) -> None:
        s.execute(insert_for(s, m.RingLeg).values(
            leg_uniqueid=o.leg_uniqueid, linkedid=o.linkedid, queue=o.queue,
            agent_interface=o.agent.interface, started_at=o.started_at, ended_at=o.at,
            ring_s=o.ring_s, result=o.result.value, server=o.server,
        ).on_conflict_do_nothing())

    def violation_raised(self, s: Connection, o: oc.ViolationRaised) -> None:
        s.execute(insert_for(s, m.Violation).values(
            leg_uniqueid=o.leg_uniqueid, linkedid=o.linkedid, queue=o.queue,
            agent_interface=o.agent.interface, agent_name=o.agent.name,
            kind=oc.ViolationKind.NO_ANSWER.value, settled=False, budget_s=o.budget_s,
            raised_at=o.at, server=o.server,
        ).on_conflict_do_nothing())
        violation_id = s.execute(select(m.Violation.id)
                                 .where(m.Violation.leg_uniqueid == o.leg_uniqueid)).scalar_one()
        s.execute(insert_for(s, m.PointsEntry).values(
            agent_interface=o.agent.interface, points=-o.penalty_points,
            reason="late_answer", violation_id=violation_id, at=o.at,
        ).on_conflict_do_nothing())

    def violation_settled(self, s: Connection, o: oc.ViolationSettled) -> None:
        s.execute(update(m.Violation).where(m.Violation.leg_uniqueid == o.leg_uniqueid)
                  .values(kind=o.kind.value, ring_s=o.ring_s, settled=True, settled_at=o.at))

    def agent_state_changed(self, s: Connection, o: oc.AgentStateChanged) -> None:
        self._agent_row(s, o)
        s.execute(insert(m.AgentStateChange).values(_change_row(o)))

    def _agent_row(self, s: Connection, o: oc.AgentStateChanged) -> None:
        values = {"name": o.agent.name, "state": o.state.value, "paused_reason": o.reason,
                  "current_linkedid": o.current_linkedid, "since": o.at}
        s.execute(insert_for(s, m.Agent).values(interface=o.agent.interface, **values)
                  .on_conflict_do_update(index_elements=["interface"], set_=values))

    def queue_changed(self, s: Connection, o: oc.QueueChanged) -> None:
        values = {"waiting": o.waiting, "oldest_joined_at": o.oldest_joined_at,
                  "agents_available": o.agents_available, "updated_at": o.at}
        s.execute(insert_for(s, m.QueueLive).values(queue=o.queue, **values)
                  .on_conflict_do_update(index_elements=["queue"], set_=values))

    def queue_sampled(self, s: Connection, o: oc.QueueSampled) -> None:
        s.execute(insert(m.QueueSample).values(_sample_row(o)))


def _change_row(o: oc.AgentStateChanged) -> dict[str, Any]:
    return {"agent_interface": o.agent.interface, "state": o.state.value, "reason": o.reason,
            "at": o.at}


def _sample_row(o: oc.QueueSampled) -> dict[str, Any]:
    return {"queue": o.queue, "at": o.at, "waiting": o.waiting,
            "longest_wait_s": o.longest_wait_s}
