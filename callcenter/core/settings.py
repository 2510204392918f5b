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
DEFAULT_JOURNAL_DIR = Path("/var/lib/callcenter/journal")


def _db_url(value: Any) -> str | None:
    ok = value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:"))
    return None if ok else "must be a SQLAlchemy URL (sqlite:///... or postgresql+psycopg://...)"


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    SECTION: ClassVar[str] = "database"
    url: str = setting(f"sqlite:///{DEFAULT_DB_PATH}", _db_url)
    flush_interval_s: float = setting(0.05, positive)  # at most this long on the way to disk
    batch_max: int = setting(500, positive)
    # Nothing is lost while the database is away: this many outcomes wait in memory,
    # the rest in the journal on disk, written in order when it is back.
    buffer_max: int = setting(100_000, positive)
    journal_dir: str = ""  # "": next to the SQLite file (<name>.journal/), else DEFAULT_JOURNAL_DIR
    journal_max_bytes: int = setting(1 << 30, positive)  # health says so past this
    retry_max_s: float = setting(5.0, positive)  # back-off cap while the database is away
    probe_interval_s: float = setting(5.0, positive)  # idle: is the database still there?
    # A stop writes what is waiting for at most this long (keep it below the unit's
    # TimeoutStopSec); what is left then stays in the journal for the next start.
    drain_timeout_s: float = setting(20.0, positive)

    def __repr__(self) -> str:  # the URL may carry a password
        return "DatabaseSettings(...)"

    @property
    def journal_path(self) -> Path:
        if self.journal_dir:
            return Path(self.journal_dir)
        if self.url.startswith("sqlite:///"):  # sqlite:////abs/path or sqlite:///relative
            name = self.url.removeprefix("sqlite:///").split("?", 1)[0]
            if name and name != ":memory:":
                return Path(name).with_suffix(".journal")
        return DEFAULT_JOURNAL_DIR


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
    # Each line's syslog priority as a `<N>` prefix, for journald: "auto" (when stdout
    # is journald's stream), "yes", "no".
    priority_prefix: str = setting("auto", one_of("auto", "yes", "no"))

    @property
    def prefixed(self) -> bool:
        from callcenter.logs import journald_prefix  # noqa: PLC0415 - structlog, only if asked

        return journald_prefix(self.priority_prefix)
