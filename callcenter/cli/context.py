"""What a CLI command runs with: the settings, the database, the center's zone, now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from callcenter.config import Config


@dataclass(frozen=True)
class CliContext:
    config: Config
    engine: Engine
    tz: ZoneInfo
    now: float

    def iso(self, at: float | None) -> str | None:
        """A stored time as the center's local time, for people reading a table."""
        return None if at is None else datetime.fromtimestamp(at, self.tz).isoformat(
            timespec="seconds")
