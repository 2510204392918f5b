"""Users: signing in and out over HTTP (the CLI manages the accounts)."""

from __future__ import annotations

from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.users import http


def wire(core: Core) -> Contribution:
    return Contribution(routers=[http.router])
