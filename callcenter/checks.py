"""Checks that settings apply to their values: each returns the problem, or None."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def non_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def port(value: Any) -> str | None:
    return None if 0 < value < 65536 else "must be a TCP port (1-65535)"


def one_of(*allowed: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be {' or '.join(allowed)}"
    return check


def timezone(value: Any) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)"
    return None


def parse_range(text: str) -> tuple[time, time]:
    start, end = (time.fromisoformat(x.strip()) for x in text.split("-"))
    if end <= start:
        raise ValueError(text)
    return start, end


def hhmm_range(value: Any) -> str | None:
    try:
        if value != "":  # empty: no such interval (e.g. no lunch break)
            parse_range(value)
    except ValueError:
        return "must be a time range like 09:00-18:00"
    return None


def month_day(value: Any) -> str | None:
    try:
        datetime.strptime("2000-" + value, "%Y-%m-%d")
    except ValueError:
        return "must be a month-day like 05-01"
    return None


def dates(value: Any) -> str | None:
    for item in value:
        try:
            date.fromisoformat(item)
        except (TypeError, ValueError):
            return f"{item!r} is not a date (YYYY-MM-DD)"
    return None


def periods(value: Any) -> str | None:
    for item in value:
        try:
            start, end = (datetime.fromisoformat(x) for x in item.split("/"))
        except (AttributeError, TypeError, ValueError):
            return f"{item!r} is not a period like 2026-11-11T09:00/2026-11-11T21:00"
        if end <= start:
            return f"{item!r} ends before it starts"
    return None


def deadline_rule(value: Any) -> str | None:
    ok = re.fullmatch(r"\d+(\.\d+)?d|\d+wd|([1-9]|1\d|2[0-8])nm", value)
    return None if ok else "must be like 3d (days), 1wd (working days) or 25nm (day of next month)"
