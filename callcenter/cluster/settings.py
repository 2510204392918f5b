"""The `[cluster]` section: one machine (the default), or one of several daemons on
one PostgreSQL, of which the holder of the advisory lock leads."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter import checks as ck
from callcenter.config import setting
from callcenter.domain.leadership import Timing
from callcenter.errors import ConfigError

SINGLE, STANDBY = "single", "standby"


def _name(value: Any) -> str | None:
    ok = len(value) <= 100 and all(c.isalnum() or c in "-_.:@" for c in value)
    return None if ok else "must be at most 100 letters, digits or -_.:@"


@dataclass(frozen=True, slots=True)
class ClusterSection:
    SECTION: ClassVar[str] = "cluster"
    mode: str = setting(SINGLE, ck.one_of(SINGLE, STANDBY))
    # A standby leads at most this long after the leader dies or loses the database.
    takeover_s: float = setting(10.0, ck.positive)
    heartbeat_s: float = setting(1.0, ck.positive)  # the lock's connection checked this often
    # The advisory lock's key: daemons of one center share it; two centers sharing one
    # database must not.
    lock_key: int = setting(0x63630001, ck.positive)
    node: str = setting("", _name)  # this daemon's name in the logs and the status ("": host:pid)


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    timing: Timing
    detect_s: float  # what PostgreSQL is given to notice a dead leader's connection
    lock_key: int
    node: str


def cluster_settings(section: ClusterSection, database_url: str) -> ClusterSettings:
    if not database_url.startswith("postgresql"):
        raise ConfigError("cluster.mode", f'"{STANDBY}" needs PostgreSQL: [database] url is '
                          "not a postgresql+psycopg:// URL (SQLite serves one machine only)")
    timing = Timing.within(section.heartbeat_s)
    detect_s = section.takeover_s - timing.takeover_bound_s(0.0)
    if detect_s < 2 * section.heartbeat_s:
        raise ConfigError("cluster.takeover_s", f"must be at least {7 * section.heartbeat_s:g} "
                          "(seven heartbeat_s: a poll, the grace and the time to notice)")
    return ClusterSettings(timing, detect_s, section.lock_key,
                           section.node or f"{socket.gethostname()}:{os.getpid()}")
