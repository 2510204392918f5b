"""The Asterisk servers the dialer dials through: each server's AMI link and what its
own live picture says (free agents in a queue, whether an agent's phone is there),
and the routing of each planned attempt to one of them (domain/dial_route.py
decides; this says once when a campaign starts or stops waiting for a server)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from callcenter.ami.client import AmiClient
from callcenter.domain.dial_route import Spread

if TYPE_CHECKING:
    from callcenter.core.core import Core
    from callcenter.domain.tracker import Tracker

log = structlog.get_logger("callcenter.dialer")


def _nobody(_queue: str) -> int:
    return 0


def _absent(_interface: str) -> bool:
    return False


@dataclass(frozen=True)
class DialLink:
    name: str
    ami: AmiClient
    # Read on the event loop (the server's tracker): free agents of a queue there,
    # and whether an interface is logged in or on a call there.
    free_agents: Callable[[str], int] = _nobody
    has_agent: Callable[[str], bool] = _absent


def links_of(core: Core) -> list[DialLink]:
    def there(tracker: Tracker) -> Callable[[str], bool]:
        return lambda i: bool(tracker.memberships_of(i) or tracker.current_call(i))

    return [DialLink(s.name, s.ami, s.tracker.agents_available, there(s.tracker))
            for s in core.servers.values()]


class Router:
    def __init__(self, links: Sequence[DialLink]) -> None:
        self.links = {link.name: link for link in links}
        self.first = links[0].name
        self.spread = Spread(list(self.links))
        self._waiting: dict[int, str] = {}  # campaign -> why it waits

    def server_of(self, stored: str) -> str:
        """The server an attempt's stored name means (one stored before the servers
        were renamed: the first's)."""
        return stored if stored in self.links else self.first

    def link(self, server: str) -> AmiClient:
        return self.links[self.server_of(server)].ami

    def up(self, reconciled: Collection[str]) -> list[str]:
        """Servers that may be dialed through now: linked, and their attempts left
        under way reconciled since this daemon leads."""
        return [name for name, link in self.links.items()
                if link.ami.connected and name in reconciled]

    def route(self, campaign: Any, up: Collection[str], in_flight: Mapping[str, int],
              queue: str) -> str | None:
        several = len(self.links) > 1
        agent_on = None
        if several and campaign.mode == "agent_first" and campaign.agent_interface:
            agent_on = next((name for name, link in self.links.items()
                             if link.has_agent(campaign.agent_interface)), None)
        free = ({name: link.free_agents(queue) for name, link in self.links.items()}
                if several and campaign.mode == "customer_first" else None)
        route = self.spread.choose(campaign.server or "", up, in_flight, agent_on=agent_on,
                                   free=free)
        self.note(campaign.id, campaign.server or "", route.why)
        return route.server

    def note(self, campaign: int, server: str, why: str) -> None:
        """Once per change: a campaign waiting for a server, or going on."""
        if self._waiting.get(campaign, "") == why:
            return
        if why:
            self._waiting[campaign] = why
            log.warning("callback.campaign_waiting", campaign=campaign, server=server or None,
                        why=why)
        else:
            del self._waiting[campaign]
            log.info("callback.campaign_going_on", campaign=campaign, server=server or None)
