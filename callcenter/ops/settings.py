"""The `[ops]` section: what `/readyz` requires and who may read `/metrics`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter.config import setting

# Health parts `/readyz` requires by default.  Leadership (active/standby) will report
# its own part; a balancer that must reach only the leader adds it here.
DEFAULT_READY_PARTS = ("ami", "database", "writer")


def _parts(value: Any) -> str | None:
    return None if value and all(value) else "must name at least one health part"


@dataclass(frozen=True, slots=True)
class OpsSettings:
    SECTION: ClassVar[str] = "ops"
    metrics: bool = True  # serve /metrics on the web server
    # "": /metrics is open (keep the web port to the local network or the proxy);
    # else Prometheus sends `Authorization: Bearer <token>` (its `authorization` option).
    metrics_token: str = ""
    ready_parts: tuple[str, ...] = setting(DEFAULT_READY_PARTS, _parts)

    def __repr__(self) -> str:  # the token is a secret
        return f"OpsSettings(metrics={self.metrics}, ready_parts={self.ready_parts!r})"
