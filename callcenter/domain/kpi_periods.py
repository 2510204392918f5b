"""Rolling 15-minute intervals up to the periods a report shows, in the center's time
zone.  Pure.  Intervals are UTC-aligned 15-minute buckets; an hour, day, week or
month is the run of consecutive buckets that share the local hour, date, ISO week
or month: a day with a daylight-saving change is 23 or 25 hours long, the repeated
hour of a fall-back day is two hours (told apart by their UTC offset), and a zone
offset by half an hour (Asia/Kolkata) gets its local hours.  Every zone's offset
today is a multiple of 15 minutes, so a bucket never straddles a local boundary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.domain.kpi_intervals import INTERVAL_S, interval_start

INTERVALS = ("15m", "1h", "1d", "1w", "1mo")


@dataclass(frozen=True, slots=True)
class Period:
    start: float  # UTC epoch seconds, inclusive
    end: float  # exclusive


def _key(at: float, interval: str, tz: ZoneInfo) -> Any:
    local = datetime.fromtimestamp(at, tz)
    match interval:
        case "15m":
            return at
        case "1h":
            return local.date(), local.hour, local.utcoffset()
        case "1d":
            return local.date()
        case "1w":
            return local.isocalendar()[:2]
        case _:
            return local.year, local.month


def periods(start: float, end: float, interval: str | None, tz: ZoneInfo) -> list[Period]:
    """The periods covering the buckets that start in [start, end); None: one period."""
    if interval is not None and interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
    first = interval_start(start)
    if first < start:
        first += INTERVAL_S
    if end <= first:
        return []
    if interval is None:
        return [Period(first, end)]
    out: list[Period] = []
    at, current, key = first, first, _key(first, interval, tz)
    while at < end:
        next_key = _key(at, interval, tz)
        if next_key != key:
            out.append(Period(current, at))
            current, key = at, next_key
        at += INTERVAL_S
    out.append(Period(current, min(at, end)))
    return out


def local_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[float, float]:
    """From the start of `first` to the end of `last`, local days (both included)."""
    start = datetime.combine(first, time(0), tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tz)
    return start.timestamp(), end.timestamp()


def parse_moment(text: str, tz: ZoneInfo, *, end: bool) -> float:
    """A `--from`/`--to` value: a date (a whole local day: `--to` includes it) or a
    local date and time (`--to` excludes it)."""
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return local_bounds(day, day, tz)[1 if end else 0]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()
