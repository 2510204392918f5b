"""The daemon's parts as every page sees them: the AMI link to each Asterisk server,
the database, the store writer and its journal, the queue_log, the AGI server.  A
page blind to Asterisk says so instead of showing stale figures as live."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callcenter.core.health import Condition

# The parts a page names, in the order it lists them (others follow by name).
ORDER = ("ami", "writer", "database", "journal", "queue_log", "agi")


def health_view(c: Condition, servers: Mapping[str, str]) -> dict[str, Any]:
    """One part: whether it is ok, since when, what is wrong; `server` is the Asterisk
    address the part talks to (the AMI link), or ""."""
    return {"part": c.part, "ok": c.ok, "detail": c.detail, "since": c.since,
            "server": servers.get(c.part, "")}


def health_views(parts: Mapping[str, Condition], servers: Mapping[str, str]) -> list[dict[str, Any]]:
    rank = {name: i for i, name in enumerate(ORDER)}
    # "ami:<server>" (one of several Asterisk servers) ranks as the AMI link.
    return [health_view(c, servers) for c in sorted(
        parts.values(), key=lambda c: (rank.get(c.part.split(":")[0], len(ORDER)), c.part))]
