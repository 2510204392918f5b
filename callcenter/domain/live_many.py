"""The live picture of several Asterisk servers as one (pure): each server has its own
tracker (its own queues, agents and calls: nothing collides), and readers that ask
about the center as a whole read them all through this view.

A queue name is the center's: a queue of the same name on two servers is one queue
spread over them (its waiting callers and free agents are summed).  An interface is
one agent's phone, logged in on one server at a time: its call is the first server's
that has one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence

from callcenter.domain.live_view import (
    ActiveCall,
    LiveCounts,
    LiveView,
    PausedAgent,
    QueueMembership,
)
from callcenter.domain.outcomes import AgentState


class ManyServers:
    def __init__(self, views: Sequence[LiveView]) -> None:
        self.views = tuple(views)

    def current_call(self, interface: str) -> ActiveCall | None:
        for view in self.views:
            call = view.current_call(interface)
            if call is not None:
                return call
        return None

    def agents_available(self, queue: str) -> int:
        return sum(v.agents_available(queue) for v in self.views)

    def agents_staffed(self, queue: str) -> int:
        return sum(v.agents_staffed(queue) for v in self.views)

    def agents_free_soon(self, queue: str) -> int:
        return sum(v.agents_free_soon(queue) for v in self.views)

    def waiting(self, queue: str) -> int:
        return sum(v.waiting(queue) for v in self.views)

    def agents_paused_for(self, reasons: Collection[str]) -> list[PausedAgent]:
        found = [p for v in self.views for p in v.agents_paused_for(reasons)]
        return sorted(found, key=lambda p: (p.ref.name, p.ref.interface))

    def counts(self) -> LiveCounts:
        waiting: Counter[str] = Counter()
        longest: dict[str, float] = {}
        members: Counter[tuple[str, AgentState]] = Counter()
        agents: Counter[AgentState] = Counter()
        for view in self.views:
            c = view.counts()
            waiting.update(c.waiting)
            for queue, wait_s in c.longest_wait_s.items():
                longest[queue] = max(wait_s, longest.get(queue, 0.0))
            members.update(c.members)
            agents.update(c.agents)
        return LiveCounts(dict(waiting), longest, dict(members), dict(agents))

    def membership_changes(self) -> int:
        return sum(v.membership_changes() for v in self.views)  # each only grows

    def memberships_of(self, interface: str) -> tuple[QueueMembership, ...]:
        found = [f for f in (v.memberships_of(interface) for v in self.views) if f]
        if len(found) <= 1:  # the usual case: one server's phone, already sorted
            return found[0] if found else ()
        return tuple(sorted((m for f in found for m in f), key=lambda m: m.queue))
