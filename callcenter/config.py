"""Settings: built-in defaults, then the TOML file, then environment variables.

The file's path comes from `--config` or CALLCENTER_CONFIG.  Any setting can be
overridden as CALLCENTER__<SECTION>__<KEY> (e.g. CALLCENTER__AMI__SECRET), so
secrets need not live in the file.  Everything is validated at start: a wrong
value raises ConfigError naming the key and what is wrong (the CLI exits 2).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
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


def _hhmm_range(value: Any) -> str | None:
    try:
        if value != "":  # empty: no such interval (e.g. no lunch break)
            parse_range(value)
    except ValueError:
        return "must be a time range like 09:00-18:00"
    return None


def _month_day(value: Any) -> str | None:
    try:
        datetime.strptime("2000-" + value, "%Y-%m-%d")
    except ValueError:
        return "must be a month-day like 05-01"
    return None


def _dates(value: Any) -> str | None:
    for item in value:
        try:
            date.fromisoformat(item)
        except (TypeError, ValueError):
            return f"{item!r} is not a date (YYYY-MM-DD)"
    return None


def _peaks(value: Any) -> str | None:
    for item in value:
        try:
            start, end = (datetime.fromisoformat(x) for x in item.split("/"))
        except (AttributeError, TypeError, ValueError):
            return f"{item!r} is not a period like 2026-11-11T09:00/2026-11-11T21:00"
        if end <= start:
            return f"{item!r} ends before it starts"
    return None


def _strings(value: Any) -> str | None:
    return None if all(isinstance(v, str) for v in value) else "must be a list of strings"


def parse_range(text: str) -> tuple[time, time]:
    start, end = (time.fromisoformat(x.strip()) for x in text.split("-"))
    if end <= start:
        raise ValueError(text)
    return start, end


def _deadline_rule(value: Any) -> str | None:
    ok = re.fullmatch(r"\d+(\.\d+)?d|\d+wd|([1-9]|1\d|2[0-8])nm", value)
    return None if ok else "must be like 3d (days), 1wd (working days) or 25nm (day of next month)"


_OUTCOMES = ("success", "no_answer", "busy", "not_exist", "suspended", "powered_off",
             "wrong_number", "no_such_person", "cannot_rate", "transferred", "sms", "refused",
             "failed")


def _outcome_map(value: Any) -> str | None:
    for code, outcome in value.items():
        if not str(code).isdigit():
            return f"key {code!r} must be a number (an OriginateResponse reason or Q.850 cause)"
        if outcome not in _OUTCOMES:
            return f"{outcome!r} is not an outcome code ({', '.join(_OUTCOMES)})"
    return None


def _webhook_targets(value: Any) -> str | None:
    for item in value:
        if not isinstance(item, dict):
            return "each target must be a table like {kind = \"wecom\", url = \"https://...\"}"
        if item.get("kind") not in ("wecom", "dingtalk", "json"):
            return f"kind {item.get('kind')!r} must be wecom, dingtalk or json"
        url = item.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return f"url {url!r} must be an http(s) URL"
        unknown = set(item) - {"kind", "url", "secret", "name"}
        if unknown:
            return f"unknown keys {sorted(unknown)} (known: kind, url, secret, name)"
    return None


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
    "callbacks": {
        "channel_template": Setting(str, "PJSIP/{number}@trunk"),
        "callback_queue": Setting(str, "callback"),
        "customer_first_context": Setting(str, "callcenter-callback"),
        "agent_first_context": Setting(str, "callcenter-callback-agent-first"),
        "caller_id": Setting(str, ""),
        "max_in_flight_total": Setting(int, 4, _positive),
        "max_in_flight_per_campaign": Setting(int, 2, _positive),
        "max_attempts": Setting(int, 3, _positive),
        "max_calls_per_number_24h": Setting(int, 2, _positive),
        "ring_timeout_s": Setting(float, 30.0, _positive),
        "gap_no_answer_s": Setting(float, 7200.0, _non_negative),
        "gap_busy_s": Setting(float, 1800.0, _non_negative),
        "gap_powered_off_s": Setting(float, 14400.0, _non_negative),
        "gap_other_s": Setting(float, 3600.0, _non_negative),
        "followup_deadline": Setting(str, "3d", _deadline_rule),
        "reason_outcomes": Setting(dict, {"0": "failed", "1": "failed", "3": "no_answer",
                                          "5": "busy", "8": "busy"}, _outcome_map),
        "cause_outcomes": Setting(dict, {
            "1": "not_exist", "17": "busy", "18": "no_answer", "19": "no_answer",
            "20": "powered_off", "21": "failed", "22": "not_exist", "27": "suspended",
            "28": "wrong_number", "34": "busy", "38": "busy", "41": "busy", "42": "busy"},
            _outcome_map),
        "abandoned_min_wait_s": Setting(float, 20.0, _non_negative),
        "abandoned_deadline_hours": Setting(float, 24.0, _positive),
        "outer_bound": Setting(str, "08:00-21:00", _hhmm_range),
        "summer_from": Setting(str, "05-01", _month_day),
        "summer_hours": Setting(str, "09:00-18:00", _hhmm_range),
        "summer_lunch": Setting(str, "12:00-13:30", _hhmm_range),
        "winter_from": Setting(str, "10-01", _month_day),
        "winter_hours": Setting(str, "09:00-17:30", _hhmm_range),
        "winter_lunch": Setting(str, "12:00-13:00", _hhmm_range),
        "holidays": Setting(list, [], _dates),
        "makeup_workdays": Setting(list, [], _dates),
        "predictable_peaks": Setting(list, [], _peaks),
        "peak_max_agents": Setting(int, 2, _positive),
        "dialer_interval_s": Setting(float, 2.0, _positive),
    },
    "surge": {
        "scope": Setting(str, "total", lambda v: None if v in ("total", "per_queue")
                         else "must be total or per_queue"),
        "level1_threshold": Setting(int, 8, _positive),
        "level1_inclusive": Setting(bool, False),
        "level2_threshold": Setting(int, 16, _positive),
        "sustain_s": Setting(float, 1800.0, _positive),
        "early_warning_s": Setting(float, 300.0, _positive),
        "cooldown_s": Setting(float, 300.0, _positive),
        "break_reasons": Setting(list, ["午休", "休息", "lunch", "break"], _strings),
        "unpause_breaks": Setting(bool, False),
        "supervisors": Setting(list, [], _strings),
        "supervisor_queues": Setting(list, ["support"], _strings),
        "check_interval_s": Setting(float, 5.0, _positive),
    },
    "web": {
        "enabled": Setting(bool, True),
        "host": Setting(str, "127.0.0.1"),
        "port": Setting(int, 8080, _port),
        "session_hours": Setting(float, 12.0, _positive),
        "secure_cookies": Setting(bool, False),  # set true behind HTTPS
        "login_max_failures": Setting(int, 5, _positive),
        "login_lockout_s": Setting(float, 300.0, _positive),
        "default_language": Setting(str, "zh-CN", lambda v: None if v in ("zh-CN", "en")
                                    else "must be zh-CN or en"),
        "client_queue_max": Setting(int, 1000, _positive),
    },
    "tickets": {
        "complaint_callback": Setting(str, "1wd", _deadline_rule),
        "dispatch_accept_s": Setting(float, 1800.0, _positive),
        "review_s": Setting(float, 7200.0, _positive),
        "check_interval_s": Setting(float, 30.0, _positive),
    },
    "webhooks": {
        "targets": Setting(list, [], _webhook_targets),
        "max_per_minute": Setting(int, 20, _positive),
        "retries": Setting(int, 5, _non_negative),
        "backoff_initial_s": Setting(float, 1.0, _positive),
        "backoff_max_s": Setting(float, 60.0, _positive),
        "timeout_s": Setting(float, 5.0, _positive),
        "queue_max": Setting(int, 1000, _positive),
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
    callbacks: dict[str, Any]
    surge: dict[str, Any]
    web: dict[str, Any]
    tickets: dict[str, Any]
    webhooks: dict[str, Any]


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
    if not isinstance(value, setting.kind) or (isinstance(value, bool) and setting.kind is not bool):
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
            value: Any = (text.lower() in ("1", "true", "yes") if kind is bool
                          else [x for x in text.split(",") if x] if kind is list else kind(text))
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
        callbacks=dict(v["callbacks"]),
        surge=dict(v["surge"]),
        web=dict(v["web"]),
        tickets=dict(v["tickets"]),
        webhooks=dict(v["webhooks"]),
    )
