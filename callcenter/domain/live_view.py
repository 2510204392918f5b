"""What is live right now, as the other layers may read it (pure).

The tracker is the one owner of "which call is this agent on": the desk, the live
feed and the surge monitor read it through `LiveView` instead of keeping copies
of their own, which drifted apart whenever one of them missed an outcome.

`CallBook` is the tracker's bookkeeping behind `current_call`: one frozen
`ActiveCall` per call an agent is on (a transferred caller's second agent shares
the first one's), and, for a while after the last agent left, the ended call, so
a transfer that connects after the first agent's leg ended still joins the same
ticket.  Every map in it is bounded (see `CallBook`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from callcenter.domain.outcomes import AgentRef, AgentState


@dataclass(frozen=True, slots=True)
class ActiveCall:
    """A queue call an agent connected to, as its ticket was opened."""

    linkedid: str
    uniqueid: str
    queue: str
    caller_number: str
    owner: AgentRef  # the first agent who answered (首问负责制); transfers keep it
    late_answer: bool  # answered at or after the ring budget: "apologise first"
    ring_s: float  # rounded to the millisecond, as TicketOpened carries it
    hold_s: float
    answered_at: float


@dataclass(frozen=True, slots=True)
class QueueMembership:
    """One queue an agent is logged in to, as Asterisk last reported it."""

    queue: str
    paused: bool
    reason: str  # the pause reason ("" when not paused)


@dataclass(frozen=True, slots=True)
class PausedAgent:
    ref: AgentRef
    reason: str  # the pause reason that matched (as Asterisk reports it)
    queues: tuple[str, ...]  # the queues it is paused in for that reason, sorted


@dataclass(frozen=True, slots=True)
class LiveCounts:
    """The live picture in numbers (the metrics): per queue the callers waiting and the
    longest wait; its members per state; and every agent once, by state."""

    waiting: Mapping[str, int]
    longest_wait_s: Mapping[str, float]
    members: Mapping[tuple[str, AgentState], int]  # (queue, state) -> members
    agents: Mapping[AgentState, int]


class LiveView(Protocol):
    """The tracker's live picture, read-only.  Read it on the event loop (the
    tracker is not thread-safe), never from a worker thread."""

    def current_call(self, interface: str) -> ActiveCall | None:
        """The call the agent on this interface is on, or None."""
        ...

    def agents_available(self, queue: str) -> int:
        """Members of the queue free to take a call now."""
        ...

    def agents_staffed(self, queue: str) -> int:
        """Members of the queue who take calls (not logged out, paused or unreachable)."""
        ...

    def agents_free_soon(self, queue: str) -> int:
        """Members of the queue free or ringing (not on a call, paused or in wrap-up)."""
        ...

    def waiting(self, queue: str) -> int:
        """Callers waiting in the queue, keep-your-place placeholders included."""
        ...

    def agents_paused_for(self, reasons: Collection[str]) -> list[PausedAgent]:
        """Agents paused (and doing nothing else) for one of these reasons,
        compared case-insensitively; sorted by name."""
        ...

    def counts(self) -> LiveCounts:
        """Callers waiting and agents by state, per queue, now."""
        ...

    def membership_changes(self) -> int:
        """A count of every time an interface joined or left a queue: unchanged, no
        agent's queues changed (a reader compares it rather than asking every agent)."""
        ...

    def memberships_of(self, interface: str) -> tuple[QueueMembership, ...]:
        """The queues this interface is logged in to, sorted by queue."""
        ...


class CallBook:
    """Calls in progress by agent, and recently ended ones by linkedid.

    Bounds: `live` and `_agents_on` hold at most one call per agent (an agent's
    next call releases its previous one, whatever we missed); `ended` keeps a call
    for `retention_s` after its last agent left (expired by the injected clock,
    through `forget_ended`) and never more than `max_ended` calls (oldest first).
    """

    def __init__(self, retention_s: float, max_ended: int) -> None:
        self.retention_s = retention_s
        self.max_ended = max_ended
        self.live: dict[str, ActiveCall] = {}  # linkedid -> call with an agent on it
        self._agents_on: dict[str, set[str]] = {}  # linkedid -> interfaces on it
        self._call_of: dict[str, str] = {}  # interface -> linkedid
        # linkedid -> (when its last agent left, the call); insertion order is that
        # time's order, so expiry only ever looks at the front.  An OrderedDict, not
        # a dict: popping a plain dict's front again and again leaves a run of
        # deleted slots that every `next(iter(...))` has to walk.
        self.ended: OrderedDict[str, tuple[float, ActiveCall]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.live) + len(self.ended)

    def known(self, linkedid: str) -> ActiveCall | None:
        """The call with this linkedid if an agent is or recently was on it."""
        call = self.live.get(linkedid)
        if call is None:
            entry = self.ended.get(linkedid)
            call = entry[1] if entry else None
        return call

    def current(self, interface: str) -> ActiveCall | None:
        linkedid = self._call_of.get(interface)
        return None if linkedid is None else self.live[linkedid]

    def has_call(self, interface: str) -> bool:
        return interface in self._call_of

    def attach(self, interface: str, call: ActiveCall, now: float) -> None:
        """The agent is on `call` now; a different call it was on ends for it."""
        if self._call_of.get(interface) == call.linkedid:
            return
        self.release(interface, now)
        self.ended.pop(call.linkedid, None)
        self.live[call.linkedid] = call
        self._agents_on.setdefault(call.linkedid, set()).add(interface)
        self._call_of[interface] = call.linkedid

    def release(self, interface: str, now: float) -> str | None:
        """The agent is off its call; returns the call's linkedid.  The call moves
        to `ended` once no agent is on it."""
        linkedid = self._call_of.pop(interface, None)
        if linkedid is None:
            return None
        on_it = self._agents_on[linkedid]
        on_it.discard(interface)
        if not on_it:
            del self._agents_on[linkedid]
            self.ended[linkedid] = (now, self.live.pop(linkedid))
            while len(self.ended) > self.max_ended:  # the backstop: oldest go first
                self.ended.popitem(last=False)
        return linkedid

    def forget_ended(self, now: float) -> None:
        """Drop ended calls past the retention window (amortised O(1) per call)."""
        while self.ended:
            ended_at, _ = next(iter(self.ended.values()))
            if now - ended_at < self.retention_s:
                return
            self.ended.popitem(last=False)

    def next_expiry(self) -> float | None:
        if not self.ended:
            return None
        ended_at, _ = next(iter(self.ended.values()))
        return ended_at + self.retention_s
