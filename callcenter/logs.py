"""structlog set-up: JSON lines on stdout, phone numbers masked before output."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from callcenter.domain.phone import mask

# Keys that carry phone numbers; anything else that looks like one is masked too.
_PHONE_KEYS = {"caller_number", "caller", "phone", "number", "callerid"}
_PHONE_LIKE = re.compile(r"(?<!\d)(?:\+|00)?\d{7,15}(?!\d)")


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


def configure(level: str = "INFO") -> None:
    logging.basicConfig(stream=sys.stderr, level=level, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl ..." on every read
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # "Running job ..." every tick
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_phones,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.WriteLoggerFactory(file=_CurrentStdout()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
