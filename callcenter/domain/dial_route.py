"""Which Asterisk server a callback attempt dials through (pure).

A campaign names its server (`campaigns.server`) or is spread over every server
that is up.  A named server that is down dials nothing until it is back (the
campaign waits; the server's own outage alert says why).  Agent-first dials the
agent's phone, which only its own server can ring: the server that agent is on,
whatever the campaign says of spreading.  Spreading takes, among the servers that
are up, one with a free agent in the callback queue if any has (a customer-first
customer is queued on the server that dialed them), then the fewest attempts
under way, then turns (the server after the last one chosen first), so idle
servers share the calls rather than the first taking them all."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Route:
    server: str | None  # None: not now
    why: str = ""  # when None: "server_down" | "unknown_server" | "agent_server_down" | "none_up"


class Spread:
    def __init__(self, servers: Sequence[str]) -> None:
        self.servers = tuple(servers)
        self._last = -1  # index of the server chosen last

    def choose(self, pinned: str, up: Collection[str], in_flight: Mapping[str, int], *,
               agent_on: str | None = None, free: Mapping[str, int] | None = None) -> Route:
        """`pinned`: the campaign's server ("" = spread); `agent_on`: the server the
        agent of an agent-first campaign is on (None: unknown or customer-first);
        `free`: free callback agents by server (customer-first)."""
        if agent_on is not None:
            return Route(agent_on) if agent_on in up else Route(None, "agent_server_down")
        if pinned:
            if pinned not in self.servers:
                return Route(None, "unknown_server")
            return Route(pinned) if pinned in up else Route(None, "server_down")
        count = len(self.servers)
        order = [self.servers[(self._last + 1 + k) % count] for k in range(count)]
        candidates = [name for name in order if name in up]
        if not candidates:
            return Route(None, "none_up")
        if free is not None and any(free.get(name, 0) > 0 for name in candidates):
            candidates = [name for name in candidates if free.get(name, 0) > 0]
        best = min(candidates, key=lambda name: in_flight.get(name, 0))  # first of equals
        self._last = self.servers.index(best)
        return Route(best)
