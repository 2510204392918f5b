"""The core's own sections: `[database]`, `[center]` and `[log]` (`[ami]` is in
callcenter.ami.settings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from callcenter.checks import one_of, positive, timezone
from callcenter.config import setting
from callcenter.domain.phone import PhoneRules

DEFAULT_DB_PATH = Path("/var/lib/callcenter/callcenter.db")


def _db_url(value: Any) -> str | None:
    ok = value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:"))
    return None if ok else "must be a SQLAlchemy URL (sqlite:///... or postgresql+psycopg://...)"


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    SECTION: ClassVar[str] = "database"
    url: str = setting(f"sqlite:///{DEFAULT_DB_PATH}", _db_url)
    flush_interval_s: float = setting(0.05, positive)  # at most this long on the way to disk
    batch_max: int = setting(500, positive)

    def __repr__(self) -> str:  # the URL may carry a password
        return "DatabaseSettings(...)"


_PHONES = PhoneRules()


@dataclass(frozen=True, slots=True)
class CenterSettings:
    SECTION: ClassVar[str] = "center"
    timezone: str = setting("Asia/Shanghai", timezone)  # "today" is this zone's day
    phone_min_digits: int = setting(_PHONES.min_digits, positive)
    phone_max_digits: int = setting(_PHONES.max_digits, positive)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def phones(self) -> PhoneRules:
        return PhoneRules(self.phone_min_digits, self.phone_max_digits)


_LEVELS = one_of("DEBUG", "INFO", "WARNING", "ERROR")


def _level(value: Any) -> str | None:
    problem: str | None = _LEVELS(str(value).upper())
    return problem


@dataclass(frozen=True, slots=True)
class LogSettings:
    SECTION: ClassVar[str] = "log"
    level: str = setting("INFO", _level)
