"""Listen / whisper / barge: its one route."""

from __future__ import annotations

from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.spy import http
from callcenter.spy.settings import SpySettings


def wire(core: Core) -> Contribution:
    return Contribution(routers=[http.routes(core, core.config.get(SpySettings))])
