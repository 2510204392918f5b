"""Who may act: the leadership of one daemon among several on one PostgreSQL.

Pure and synchronous, clock injected (a monotonic one: leases must not jump with
NTP).  The shell (callcenter/cluster/) holds a PostgreSQL advisory lock on a
connection of its own and reports what happened to it; this machine decides when
that makes the daemon the leader, and when it must stop being one:

- the lock taken (`acquired`): a *candidate*, not yet the leader.  It becomes the
  leader only after `grace_s`, longer than any old leader can go on believing it
  still leads (its `lease_s` without a good heartbeat), so two daemons never act at
  once, even when PostgreSQL restarted under both and the other has not noticed yet;
- every good heartbeat on the lock's connection renews the lease; a failed one, or
  none for `lease_s` (a hung connection), ends the leadership at once (`lost`).

Each acquisition carries the epoch the shell wrote in the same step (the fencing
token): the claims of a leader whose epoch has been superseded are refused by the
database, whatever this daemon still believes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from callcenter.domain.clock import Clock


class Role(StrEnum):
    STANDBY = "standby"  # the lock is another's (or the database is away)
    CANDIDATE = "candidate"  # the lock is ours; waiting out the old leader's lease
    LEADER = "leader"


@dataclass(frozen=True, slots=True)
class Timing:
    heartbeat_s: float  # how often the lock's connection is checked (or the lock tried)
    lease_s: float  # a leader without a good heartbeat this long steps down
    grace_s: float  # a candidate waits this long before it leads (> lease_s)

    @classmethod
    def within(cls, heartbeat_s: float) -> Timing:
        """The lease is three heartbeats; the grace one more: what a takeover costs
        beyond PostgreSQL's noticing the old leader's connection gone is a poll and
        the grace (see `takeover_bound_s`)."""
        return cls(heartbeat_s, 3 * heartbeat_s, 4 * heartbeat_s)

    def takeover_bound_s(self, detect_s: float) -> float:
        """The longest a standby takes to lead after the leader's connection dies and
        PostgreSQL notices it within `detect_s`: noticed, polled, waited out."""
        return detect_s + self.heartbeat_s + self.grace_s


@dataclass(frozen=True, slots=True)
class LeaderChange:
    """Leadership begun or ended; `epoch` is the fencing token while leading."""

    leader: bool
    epoch: int | None
    reason: str
    at: float


class Leadership:
    def __init__(self, timing: Timing, clock: Clock) -> None:
        if timing.grace_s <= timing.lease_s:
            raise ValueError("the grace must outlast the lease, or two could lead at once")
        self.timing = timing
        self.clock = clock
        self.role = Role.STANDBY
        self.epoch: int | None = None
        self._acquired_at = 0.0
        self._renewed_at = 0.0

    @property
    def leading(self) -> bool:
        return self.role is Role.LEADER

    @property
    def holds_lock(self) -> bool:
        return self.role is not Role.STANDBY

    def acquired(self, epoch: int) -> None:
        """The lock was taken and the epoch moved to `epoch` (ours)."""
        now = self.clock.now()
        self.role, self.epoch = Role.CANDIDATE, epoch
        self._acquired_at = self._renewed_at = now

    def renewed(self) -> LeaderChange | None:
        """A good heartbeat: the lock is ours and the epoch still ours."""
        self._renewed_at = self.clock.now()
        return self.tick()

    def lost(self, reason: str) -> LeaderChange | None:
        """The lock's connection failed, or the epoch is no longer ours."""
        was_leading = self.leading
        epoch = self.epoch
        self.role, self.epoch = Role.STANDBY, None
        if was_leading:
            return LeaderChange(False, epoch, reason, self.clock.now())
        return None

    def tick(self) -> LeaderChange | None:
        """Time passed: a candidate may now lead; a leader whose lease ran out may not."""
        now = self.clock.now()
        if self.role is Role.STANDBY:
            return None
        if now - self._renewed_at >= self.timing.lease_s:
            return self.lost(f"no good heartbeat for {self.timing.lease_s:g} s")
        if self.role is Role.CANDIDATE and now - self._acquired_at >= self.timing.grace_s:
            self.role = Role.LEADER
            return LeaderChange(True, self.epoch, "lock held past the grace", now)
        return None
