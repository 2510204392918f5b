"""The service standards' numbers the tracker needs, as one typed value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RingRules:
    ring_cadence_s: float = 5.0  # China: 1 s on, 4 s off
    max_rings: int = 3  # 振铃3声内接起
    late_answer_penalty: int = 5  # 响铃三声未接起,一次扣5分
    wrapup_s: float = 5.0  # after-call work; match queues.conf wrapuptime
    sample_interval_s: float = 5.0  # queue-length series resolution (<= 10 s)
    # How long a call is remembered after its last agent left it.  A caller
    # transferred back into a queue may connect to the next agent well after the
    # first agent's leg ended; within this window that agent joins the same ticket
    # (TicketParticipantAdded) instead of opening a second one.
    call_retention_s: float = 4 * 3600.0
    # A backstop on the calls remembered that way (oldest forgotten first), so a
    # flood of short calls cannot grow memory within one retention window.
    call_retention_max: int = 100_000
    # A ringing leg whose end we never saw (an event lost while the link stayed
    # up) is ended as cancelled after ringing this long, so the agent does not
    # stay "ringing" for ever; far above any queues.conf member timeout.  Never
    # before the ring budget has run out (see `leg_expiry_s`).
    ring_stale_s: float = 600.0
    # A caller whose leave we never saw is dropped from the queue after waiting
    # this long, so a lost event cannot hold up the queue's figures (and a surge
    # alert) for ever.  A (re)connect's QueueStatus resync also replaces them.  A
    # keep-your-place placeholder the daemon knows of waits until its request expires
    # (4 h) and is dropped only some minutes after that (keep_place.VirtualWaiter).
    waiting_stale_s: float = 2 * 3600.0

    @property
    def ring_budget_s(self) -> float:
        """The 4th ring starts here: answering at or after it is late."""
        return self.ring_cadence_s * self.max_rings

    @property
    def leg_expiry_s(self) -> float:
        """How long a leg may ring before it is taken as lost: the violation is
        always raised first."""
        return max(self.ring_stale_s, self.ring_budget_s)
