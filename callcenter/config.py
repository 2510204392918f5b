"""Settings: built-in defaults, then the TOML file, then environment variables.

The file's path comes from `--config` or CALLCENTER_CONFIG.  Any setting can be
overridden as CALLCENTER__<SECTION>__<KEY> (e.g. CALLCENTER__AMI__SECRET), so
secrets need not live in the file.  Everything is validated at start: a wrong
value raises ConfigError naming the key and what is wrong (the CLI exits 2).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.ami.client import AmiSettings
from callcenter.domain.rules import RingRules
from callcenter.errors import ConfigError

DEFAULT_DB_PATH = Path("/var/lib/callcenter/callcenter.db")
ENV_PREFIX = "CALLCENTER__"


@dataclass(frozen=True)
class Setting:
    kind: type
    default: Any
    check: Callable[[Any], str | None] | None = None  # returns the problem, or None


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _non_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _port(value: Any) -> str | None:
    return None if 0 < value < 65536 else "must be a TCP port (1-65535)"


def _timezone(value: Any) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)"
    return None


def _db_url(value: Any) -> str | None:
    ok = value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:"))
    return None if ok else "must be a SQLAlchemy URL (sqlite:///... or postgresql+psycopg://...)"


def _sample(value: Any) -> str | None:
    return None if 0 < value <= 10 else "must be between 0 and 10 seconds"


def _level(value: Any) -> str | None:
    ok = value.upper() in ("DEBUG", "INFO", "WARNING", "ERROR")
    return None if ok else "must be DEBUG, INFO, WARNING or ERROR"


SCHEMA: dict[str, dict[str, Setting]] = {
    "ami": {
        "host": Setting(str, "127.0.0.1"),
        "port": Setting(int, 5038, _port),
        "username": Setting(str, "callcenter"),
        "secret": Setting(str, ""),
        "connect_timeout_s": Setting(float, 5.0, _positive),
        "action_timeout_s": Setting(float, 10.0, _positive),
        "ping_interval_s": Setting(float, 5.0, _positive),
        "ping_timeout_s": Setting(float, 5.0, _positive),
        "backoff_initial_s": Setting(float, 0.5, _positive),
        "backoff_max_s": Setting(float, 30.0, _positive),
    },
    "database": {
        "url": Setting(str, f"sqlite:///{DEFAULT_DB_PATH}", _db_url),
        "flush_interval_s": Setting(float, 0.05, _positive),
        "batch_max": Setting(int, 500, _positive),
    },
    "center": {
        "timezone": Setting(str, "Asia/Shanghai", _timezone),
    },
    "rules": {
        "ring_cadence_s": Setting(float, 5.0, _positive),
        "max_rings": Setting(int, 3, _positive),
        "late_answer_penalty": Setting(int, 5, _non_negative),
        "wrapup_s": Setting(float, 5.0, _non_negative),
        "repeat_caller_window_days": Setting(int, 7, _positive),
    },
    "storage": {
        "queue_sample_interval_s": Setting(float, 5.0, _sample),
    },
    "log": {
        "level": Setting(str, "INFO", _level),
    },
}


@dataclass(frozen=True)
class Config:
    ami: AmiSettings
    database_url: str
    flush_interval_s: float
    batch_max: int
    timezone: ZoneInfo
    rules: RingRules
    repeat_caller_window_days: int
    log_level: str
    source: str


def load(path: str | os.PathLike[str] | None = None,
         environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    source = "defaults"
    chosen = path or env.get("CALLCENTER_CONFIG")
    if chosen:
        file = Path(chosen)
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("--config", f"{file} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("--config", f"{file} is not valid TOML: {exc}") from None
        source = str(file)
    values = _validate(raw)
    _apply_env(values, env)
    return _build(values, source)


def _validate(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    values = {section: {k: s.default for k, s in keys.items()} for section, keys in SCHEMA.items()}
    for section, table in raw.items():
        if section not in SCHEMA:
            raise ConfigError(section, f"unknown section (known: {', '.join(SCHEMA)})")
        if not isinstance(table, dict):
            raise ConfigError(section, "must be a table")
        for key, value in table.items():
            values[section][key] = _checked(section, key, value)
    return values


def _checked(section: str, key: str, value: Any) -> Any:
    name = f"{section}.{key}"
    setting = SCHEMA[section].get(key)
    if setting is None:
        raise ConfigError(name, f"unknown setting (known: {', '.join(SCHEMA[section])})")
    if setting.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, setting.kind) or isinstance(value, bool):
        raise ConfigError(name, f"must be {setting.kind.__name__}, got {value!r}")
    problem = setting.check(value) if setting.check else None
    if problem:
        raise ConfigError(name, problem)
    return value


def _apply_env(values: dict[str, dict[str, Any]], env: Mapping[str, str]) -> None:
    for var, text in env.items():
        if not var.startswith(ENV_PREFIX):
            continue
        parts = var[len(ENV_PREFIX):].lower().split("__")
        if len(parts) != 2 or parts[0] not in SCHEMA or parts[1] not in SCHEMA[parts[0]]:
            raise ConfigError(var, "does not name a setting (CALLCENTER__<SECTION>__<KEY>)")
        section, key = parts
        kind = SCHEMA[section][key].kind
        try:
            value: Any = kind(text)
        except ValueError:
            raise ConfigError(var, f"must be {kind.__name__}, got {text!r}") from None
        values[section][key] = _checked(section, key, value)


def _build(v: dict[str, dict[str, Any]], source: str) -> Config:
    ami = v["ami"]
    return Config(
        ami=AmiSettings(**ami),
        database_url=v["database"]["url"],
        flush_interval_s=v["database"]["flush_interval_s"],
        batch_max=v["database"]["batch_max"],
        timezone=ZoneInfo(v["center"]["timezone"]),
        rules=RingRules(
            ring_cadence_s=v["rules"]["ring_cadence_s"],
            max_rings=v["rules"]["max_rings"],
            late_answer_penalty=v["rules"]["late_answer_penalty"],
            wrapup_s=v["rules"]["wrapup_s"],
            sample_interval_s=v["storage"]["queue_sample_interval_s"],
        ),
        repeat_caller_window_days=v["rules"]["repeat_caller_window_days"],
        log_level=v["log"]["level"].upper(),
        source=source,
    )
