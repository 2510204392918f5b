"""The tracker's own state per queue and per agent (mutable; the tracker's alone).

Kept apart from tracker.py only to keep each module short; nothing outside the
tracker should build or change these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.domain.keep_place import VirtualWaiter
from callcenter.domain.outcomes import AgentRef, AgentState

# Asterisk device states (AST_DEVICE_*) as QueueMember/QueueMemberStatus report them.
DEVICE_BUSY = {2, 3, 7, 8}  # in use, busy, ring+in use, on hold
DEVICE_RINGING_STATUS = 6
DEVICE_UNREACHABLE = {4, 5}  # invalid, unavailable


@dataclass(slots=True)
class Waiting:
    uniqueid: str
    linkedid: str
    caller_number: str
    joined_at: float  # a keep-your-place placeholder's: the caller's first join
    stale_at: float  # dropped as stale from then on if its leave was never seen

    def holds_place_of(self, waiter: VirtualWaiter) -> None:
        """This caller is the placeholder of a keep-your-place request: the wait counts
        from the caller's first join, and lasts until the request expires."""
        self.joined_at = min(self.joined_at, waiter.joined_at)
        self.stale_at = max(self.stale_at, waiter.stale_at)


@dataclass(slots=True)
class QueueView:
    name: str
    waiting: dict[str, Waiting] = field(default_factory=dict)
    last_sample_at: float | None = None
    reported: tuple[int, float | None, int, int] | None = None

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
    # The member's own wrap-up time, when Asterisk reports one (a member's
    # `wrapuptime` overrides the queue's); None: the queue's, [rules] wrapup_s.
    wrapup_s: float | None = None


@dataclass(slots=True)
class AgentView:
    interface: str
    name: str
    # Changed only through join/leave, which keep the summary below up to date.
    memberships: dict[str, Membership] = field(default_factory=dict)
    wrapup_until: float = 0.0
    reported: tuple[AgentState, str] | None = None
    # The memberships summed up on each change: the tracker asks for the state of
    # every member of a queue on each of the queue's events, so it must not walk
    # the memberships every time.
    device_busy: bool = False  # some device in use, busy, or on hold
    device_ringing: bool = False
    device_unreachable: bool = False  # every device invalid or unavailable
    paused: bool = False  # paused in some queue
    paused_reason: str = ""  # the first paused membership's reason

    @property
    def ref(self) -> AgentRef:
        return AgentRef(self.interface, self.name)

    def join(self, queue: str, membership: Membership) -> None:
        self.memberships[queue] = membership
        self._sum_up()

    def leave(self, queue: str) -> bool:
        """Whether the agent was a member of the queue."""
        if self.memberships.pop(queue, None) is None:
            return False
        self._sum_up()
        return True

    def _sum_up(self) -> None:
        statuses = {m.device_status for m in self.memberships.values()}
        self.device_busy = not statuses.isdisjoint(DEVICE_BUSY)
        self.device_ringing = DEVICE_RINGING_STATUS in statuses
        self.device_unreachable = bool(statuses) and statuses <= DEVICE_UNREACHABLE
        self.paused_reason = next((m.paused_reason for m in self.memberships.values()
                                   if m.paused), "")
        self.paused = any(m.paused for m in self.memberships.values())
