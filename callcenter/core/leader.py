"""The leadership gate every feature consults before a side effect: dialing, a
webhook, a scheduled job, an AMI action of its own.  On one machine (the default)
this daemon is the sole leader from the start and the gate never changes; in the
standby mode the cluster feature drives it from its PostgreSQL advisory lock.

`fence(conn)` is the check a claim makes inside its own transaction: with a
cluster, that the epoch this daemon took is still the current one (the row is
share-locked until the claim commits, so a new leader's epoch waits for the claim
or refuses it); alone, always true."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy import Connection

from callcenter.core.bus import Bus
from callcenter.domain.leadership import LeaderChange

log = structlog.get_logger("callcenter.leader")

Fencer = Callable[[Connection, int], bool]


class LeaderGate:
    def __init__(self, *, sole: bool = True) -> None:
        self.sole = sole  # one machine: always the leader, no fencing
        self._leader = sole
        self._epoch: int | None = None
        self._fencer: Fencer | None = None
        self.bus: Bus[LeaderChange] = Bus("leader")  # on the event loop, on every change

    def is_leader(self) -> bool:
        return self._leader

    @property
    def epoch(self) -> int | None:
        return self._epoch

    def join_cluster(self, fencer: Fencer) -> None:
        """Standby mode (before the features are wired): not the leader until the
        cluster says so; `fencer` checks an epoch inside a transaction."""
        self.sole, self._leader, self._fencer = False, False, fencer

    def fence(self, conn: Connection) -> bool:
        """In the caller's transaction: may this daemon still act?"""
        if self.sole:
            return True
        epoch, fencer = self._epoch, self._fencer
        if not self._leader or epoch is None or fencer is None:
            return False
        return fencer(conn, epoch)

    def change(self, change: LeaderChange) -> None:
        """From the cluster feature, on the event loop."""
        if self.sole or change.leader == self._leader:
            return
        self._leader, self._epoch = change.leader, change.epoch if change.leader else None
        self.bus.publish([change])
