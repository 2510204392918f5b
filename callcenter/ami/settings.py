"""The `[ami]` section: where Asterisk's manager interface is and how to keep the link.

Several Asterisk servers are several `[[ami]]` tables, each with its own `name`; a
single `[ami]` table is one server named "default" (existing configs keep working)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter.checks import port, positive
from callcenter.config import setting
from callcenter.domain.outcomes import DEFAULT_SERVER

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def server_name(value: Any) -> str | None:
    ok = isinstance(value, str) and _NAME.fullmatch(value)
    return None if ok else "must be 1-32 of a-z 0-9 _ - (starting with a letter or digit)"


@dataclass(frozen=True, slots=True)
class AmiSettings:
    SECTION: ClassVar[str] = "ami"
    LIST_KEY: ClassVar[str] = "name"  # `[[ami]]`: one table per server, told apart by name
    LIST_DEFAULT: ClassVar[str] = DEFAULT_SERVER
    # The server's name: on tickets, calls, campaigns, health parts and metrics.
    name: str = setting(DEFAULT_SERVER, server_name)
    host: str = "127.0.0.1"
    port: int = setting(5038, port)
    username: str = "callcenter"
    secret: str = ""
    connect_timeout_s: float = setting(5.0, positive)
    action_timeout_s: float = setting(10.0, positive)
    ping_interval_s: float = setting(5.0, positive)
    ping_timeout_s: float = setting(5.0, positive)
    backoff_initial_s: float = setting(0.5, positive)
    backoff_max_s: float = setting(30.0, positive)
    # Asterisk's own record of every queue call, read to backfill what the daemon did
    # not see live (and to cross-check its counts); "" when Asterisk runs elsewhere.
    queue_log: str = "/var/log/asterisk/queue_log"

    def __repr__(self) -> str:
        return (f"AmiSettings(name={self.name!r}, host={self.host!r}, port={self.port}, "
                f"username={self.username!r})")

    @property
    def health_part(self) -> str:
        """The link's health part: `ami` for the default server (as before servers had
        names), `ami:<name>` for the others (/readyz's `ami` covers both)."""
        return "ami" if self.name == DEFAULT_SERVER else f"ami:{self.name}"
