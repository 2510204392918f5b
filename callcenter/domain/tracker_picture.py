"""The tracker's state, and the live picture other layers read from it (pure).

`LivePicture` holds what the tracker keeps — queues and their waiting callers,
agents and their memberships, ringing legs, calls — and answers the `LiveView`
questions from it (an agent's state, a queue's free agents, the counts).  It also
has the small bookkeeping steps every event handler shares: find or create a
queue or an agent, join or leave a queue, and report an agent's or a queue's
changed figures.  The event handlers themselves live in tracker_calls.py and
tracker.py; `Tracker` (tracker.py) is the one entry point.
"""

from __future__ import annotations

from collections.abc import Collection

from callcenter.domain.clock import Clock
from callcenter.domain.keep_place import Placeholders, is_virtual
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
    Outcome,
    QueueChanged,
)
from callcenter.domain.ring_rule import RingRule
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker_state import AgentView, Membership, QueueView, Waiting

_NOT_STAFFED = (AgentState.LOGGED_OUT, AgentState.PAUSED, AgentState.UNAVAILABLE)
# Free within seconds: wrap-up ends long before a call's handle time would.
_FREE_SOON = (AgentState.AVAILABLE, AgentState.RINGING, AgentState.WRAP_UP)


class LivePicture(LiveView):
    """What the tracker keeps, and its reading; only `Tracker` is built from it."""

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

    # -- shared bookkeeping ---------------------------------------------------------
    def _waiting(self, uniqueid: str, linkedid: str, number: str, joined_at: float) -> Waiting:
        entry = Waiting(uniqueid, linkedid, number, joined_at,
                        joined_at + self.rules.waiting_stale_s)
        waiter = self.placeholders.of(uniqueid)
        if waiter is not None:
            entry.holds_place_of(waiter)
        return entry

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

    def _report(self, agent: AgentView, out: list[Outcome]) -> None:
        state = self.state_of(agent)
        current = (state, agent.paused_reason)
        if agent.reported != current:
            agent.reported = current
            self._dirty_queues.update(agent.memberships)
            call = self.calls.current(agent.interface)
            out.append(AgentStateChanged(agent.ref, state, agent.paused_reason,
                                         call.linkedid if call else None, self.clock.now()))
