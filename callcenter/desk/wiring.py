"""The desk: its routes, and the echo of Asterisk's member events to the agent's own
desk (after the inbound feature's tracker has taken them)."""

from __future__ import annotations

from typing import Any

from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.desk import http
from callcenter.desk.ami import MembershipEcho
from callcenter.desk.settings import DeskSettings


def wire(core: Core) -> Contribution:
    settings = core.config.get(DeskSettings)

    def push(interface: str, event: str, data: Any) -> None:
        ctx = getattr(core.app.state, "ctx", None)  # the web feature's push hub, if serving
        if ctx is not None:
            ctx.hub.to_agent(interface, event, data)

    return Contribution(routers=[http.routes(core, settings)],
                        ami_handlers=[MembershipEcho(core.live, push)])
