"""structlog set-up: JSON lines on stdout, phone numbers masked and secrets redacted
before output.  Libraries' log records (the HTTP client, the AMI library, the web
server, the scheduler) go through the same chain: one JSON object per line, whatever
they print (a multi-line action, a URL with its token).

Under systemd each line starts with its syslog priority, `<4>{...}` for a warning
(sd-daemon's convention; journald strips it with SyslogLevelPrefix=yes, its default,
and files the JSON under that priority, so `journalctl -p warning` finds it).  On
only when stdout is journald's stream (JOURNAL_STREAM), or when `[log]
priority_prefix` says so."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import structlog

from callcenter.domain.phone import mask

# Keys that carry phone numbers; anything else that looks like one is masked too.
_PHONE_KEYS = {"caller_number", "caller", "phone", "number", "callerid"}
_PHONE_LIKE = re.compile(r"(?<!\d)(?:\+|00)?\d{7,15}(?!\d)")


# Credentials in URLs and key=value text: webhook robots' keys and tokens, DingTalk's
# signature, AMI secrets, user:password@ in a URL.
_SECRET_PARAMS = re.compile(
    r"(?i)(\b(?:key|access_token|token|sign|signature|secret|password|passwd|timestamp)"
    r"\s*[=:]\s*)[^\s&#,;\"'<>]+")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s@]+@")
_SECRET_KEYS = {"secret", "password", "token", "access_token", "sign", "signature", "url"}


def redact_secret(text: str) -> str:
    return _USERINFO.sub(r"\1***@", _SECRET_PARAMS.sub(r"\1***", text))


def redact_secrets(_logger: Any, _name: str,
                   event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = "***" if key in _SECRET_KEYS - {"url"} else redact_secret(value)
    return event


def mask_phones(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            if key in _PHONE_KEYS:
                event[key] = mask(value)
            elif key not in ("uniqueid", "linkedid", "leg_uniqueid", "timestamp"):
                event[key] = _PHONE_LIKE.sub(lambda m_: mask(m_.group(0)), value)
    return event


class _CurrentStdout:
    """Writes to whatever sys.stdout is *now*: a cached logger never holds on to a
    stream that was replaced or closed (test runners, daemonizing, redirection)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _from_library(_logger: Any, _name: str,
                  event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if record is not None:
        event["logger"] = record.name
    return event


# syslog priorities (sd-daemon.h SD_ERR ...) by log level.
PRIORITY = {"critical": 2, "error": 3, "exception": 3, "warning": 4, "warn": 4, "info": 6,
            "debug": 7}


def journald_prefix(mode: str = "auto", environ: Mapping[str, str] | None = None,
                    stream: Any = None) -> bool:
    """`yes`, `no`, or `auto`: on when stdout is the stream systemd connected to
    journald, which it names in JOURNAL_STREAM as `<device>:<inode>` (a pipe to
    another program, or a terminal, gets plain JSON)."""
    mode = mode.lower()
    if mode in ("yes", "no"):
        return mode == "yes"
    named = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    try:
        stat = os.fstat((stream or sys.stdout).fileno())
    except (AttributeError, OSError, ValueError):  # no file descriptor (a test's capture)
        return False
    return bool(named) and named == f"{stat.st_dev}:{stat.st_ino}"


class _Prefixed:
    """The rendered line, after its syslog priority."""

    def __init__(self, render: Callable[..., str]) -> None:
        self.render = render

    def __call__(self, logger: Any, name: str, event: MutableMapping[str, Any]) -> str:
        level = str(event.get("level", name)).lower()
        return f"<{PRIORITY.get(level, 6)}>{self.render(logger, name, event)}"


# Loggers are bound once, on first use (speed).  Tests turn this off: a logger cached
# under one test's configuration would escape a later test's structlog.capture_logs.
CACHE_LOGGERS = True


def configure(level: str = "INFO", priority_prefix: bool = False) -> None:
    render: Any = structlog.processors.JSONRenderer(ensure_ascii=False)
    rendering: list[Any] = [structlog.processors.format_exc_info, redact_secrets, mask_phones,
                            _Prefixed(render) if priority_prefix else render]
    handler = logging.StreamHandler(_CurrentStdout())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.processors.add_log_level,
                           structlog.processors.TimeStamper(fmt="iso", utc=True), _from_library],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl ..." on every read
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # "Running job ..." every tick
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *rendering,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.WriteLoggerFactory(file=_CurrentStdout()),  # type: ignore[arg-type]
        cache_logger_on_first_use=CACHE_LOGGERS,
    )
