"""The `[ami]` section: where Asterisk's manager interface is and how to keep the link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from callcenter.checks import port, positive
from callcenter.config import setting


@dataclass(frozen=True, slots=True)
class AmiSettings:
    SECTION: ClassVar[str] = "ami"
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
        return f"AmiSettings(host={self.host!r}, port={self.port}, username={self.username!r})"
