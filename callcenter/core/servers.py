"""The Asterisk servers the daemon follows: each with its AMI link and its own
tracker (the live picture of that server's queues, agents and calls)."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Protocol

from callcenter.ami.client import AmiClient
from callcenter.ami.settings import AmiSettings
from callcenter.core.health import Health
from callcenter.domain.clock import Clock
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker


@dataclass(frozen=True)
class Server:
    name: str
    settings: AmiSettings
    ami: AmiClient
    tracker: Tracker

    @property
    def health_part(self) -> str:
        return self.settings.health_part


class Dispatch(Protocol):
    """Where each server's AMI stream goes (the composition root)."""

    def server_wants(self, server: str, name: str, uniqueid: str) -> bool: ...

    def server_message(self, server: str, raw: Mapping[str, str]) -> None: ...

    async def server_connected(self, server: str) -> None: ...


def build_servers(every: tuple[AmiSettings, ...], rules: RingRules, clock: Clock,
                  health: Health, dispatch: Dispatch) -> dict[str, Server]:
    servers: dict[str, Server] = {}
    for settings in every:
        name = settings.name

        def wants(event: str, uniqueid: str, name: str = name) -> bool:
            return dispatch.server_wants(name, event, uniqueid)

        def on_message(raw: Mapping[str, str], name: str = name) -> None:
            dispatch.server_message(name, raw)

        def on_connected(name: str = name) -> Awaitable[None]:
            return dispatch.server_connected(name)

        def on_state(up: bool, detail: str, part: str = settings.health_part) -> None:
            health.report(part, up, detail)

        servers[name] = Server(name, settings, AmiClient(
            settings, on_message=on_message, on_connected=on_connected, wants=wants,
            on_state=on_state), Tracker(rules, clock))
    return servers
