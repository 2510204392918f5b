"""The `[spy]` section: the dialplan context that runs ChanSpy, how long the
supervisor's phone rings, and the caller ID it shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter import checks as ck
from callcenter.ami.grammar import check_originate, is_name
from callcenter.config import setting
from callcenter.errors import AmiUnsafeValue


def _context(value: Any) -> str | None:
    return None if isinstance(value, str) and is_name(value) else "must be a dialplan context name"


def _caller_id(value: Any) -> str | None:
    try:
        check_originate({"CallerID": str(value)})
    except AmiUnsafeValue:
        return "plain text of at most 80 characters, no , & ; | < > or quotes"
    return None


@dataclass(frozen=True, slots=True)
class SpySettings:
    SECTION: ClassVar[str] = "spy"
    # The shipped dialplan's [callcenter-spy]: ChanSpy(${CC_SPY_CHANNEL},${CC_SPY_OPTS}).
    context: str = setting("callcenter-spy", _context)
    # How long the supervisor's own phone rings before the try is given up.
    ring_timeout_s: float = setting(30.0, ck.positive)
    # What the supervisor's phone shows: plain text, no , & ; | < > or quotes.
    caller_id: str = setting("监听 Listen", _caller_id)
