"""When a customer may be called (避免在客户休息时打扰客户).

A dialing window is the campaign's working hours for the day (seasonal: summer
9:00-18:00 with lunch 12:00-13:30, winter 9:00-17:30 with lunch 12:00-13:00),
on working days (weekdays, minus public holidays, plus make-up working days, 调休),
always cut to a hard outer bound no campaign can widen (default 08:00-21:00), and
read in the callee's time zone.  An attempt may start only if its whole ring time
fits in one open interval.  Wall-clock checks throughout: daylight-saving shifts
cannot smuggle a call outside the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[time, time]
IntervalsOn = Callable[[date], list[Interval]]


@dataclass(frozen=True, slots=True)
class DailyHours:
    opens: time
    closes: time
    lunch: Interval | None = None

    def intervals(self) -> list[Interval]:
        if self.lunch is None:
            return [(self.opens, self.closes)]
        start, end = self.lunch
        return [iv for iv in ((self.opens, start), (end, self.closes)) if iv[0] < iv[1]]


@dataclass(frozen=True, slots=True)
class Season:
    """Hours from `first` to `last` (month, day), inclusive; may wrap the new year."""

    name: str
    first: tuple[int, int]
    last: tuple[int, int]
    hours: DailyHours

    def covers(self, day: date) -> bool:
        md = (day.month, day.day)
        if self.first <= self.last:
            return self.first <= md <= self.last
        return md >= self.first or md <= self.last


SUMMER = Season("spring/summer", (5, 1), (9, 30),
                DailyHours(time(9), time(18), (time(12), time(13, 30))))
WINTER = Season("autumn/winter", (10, 1), (4, 30),
                DailyHours(time(9), time(17, 30), (time(12), time(13))))


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    seasons: tuple[Season, ...] = (SUMMER, WINTER)
    working_weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() in self.working_weekdays and day not in self.holidays

    def hours_on(self, day: date) -> DailyHours | None:
        if not self.is_working_day(day):
            return None
        return next((s.hours for s in self.seasons if s.covers(day)), None)

    def add_working_days(self, start: date, days: int) -> date:
        """The end of `days` working days after `start` (e.g. "within 1 working day")."""
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day


@dataclass(frozen=True, slots=True)
class OuterBound:
    """The hard limit of the whole center: nobody is called at night."""

    earliest: time = time(8)
    latest: time = time(21)


@dataclass(frozen=True, slots=True)
class DialingWindow:
    calendar: WorkCalendar
    bound: OuterBound = OuterBound()

    def intervals_on(self, day: date) -> list[Interval]:
        hours = self.calendar.hours_on(day)
        if hours is None:
            return []
        out = []
        for start, end in hours.intervals():
            clipped = (max(start, self.bound.earliest), min(end, self.bound.latest))
            if clipped[0] < clipped[1]:
                out.append(clipped)
        return out

    def can_start(self, at: float, ring_s: float, tz: ZoneInfo) -> bool:
        return _fits(self.intervals_on, at, ring_s, tz)

    def next_start(self, at: float, ring_s: float, tz: ZoneInfo,
                   horizon_days: int = 370) -> float | None:
        return _next_fit(self.intervals_on, at, ring_s, tz, horizon_days)

    def appointment_ok(self, at: float, ring_s: float, tz: ZoneInfo) -> bool:
        """A time the customer chose: only the outer bound applies."""
        return _fits(self._outer, at, ring_s, tz)

    def _outer(self, _day: date) -> list[Interval]:
        return [(self.bound.earliest, self.bound.latest)]


def _fits(intervals_on: IntervalsOn, at: float, ring_s: float, tz: ZoneInfo) -> bool:
    start = datetime.fromtimestamp(at, tz)
    end = datetime.fromtimestamp(at + ring_s, tz)
    if start.date() != end.date():
        return False
    return any(opens <= start.time() and end.time() <= closes
               for opens, closes in intervals_on(start.date()))


def _next_fit(intervals_on: IntervalsOn, at: float, ring_s: float, tz: ZoneInfo,
              horizon_days: int) -> float | None:
    if _fits(intervals_on, at, ring_s, tz):
        return at
    first_day = datetime.fromtimestamp(at, tz).date()
    for offset in range(horizon_days + 1):
        day = first_day + timedelta(days=offset)
        for opens, _closes in intervals_on(day):
            candidate = datetime.combine(day, opens, tzinfo=tz).timestamp()
            # a whole second later if the opening wall time fell into a DST gap
            for probe in (candidate, candidate + 3600):
                if probe >= at and _fits(intervals_on, probe, ring_s, tz):
                    return probe
    return None


def deadline_for(rule: str, service_at: float, tz: ZoneInfo, calendar: WorkCalendar) -> float:
    """When a follow-up is due (回访期限), by the campaign's rule:
    "3d" three days after the service (必须保证在三天之内回访), "1wd" by the end of the next
    working day (服务完毕后要在1个工作日内完毕回访), "25nm" by the 25th of the next month
    (家政类工单需在次月25日前回访完毕)."""
    served = datetime.fromtimestamp(service_at, tz)
    if rule.endswith("wd"):
        day = calendar.add_working_days(served.date(), int(rule[:-2]))
        return datetime.combine(day, time(23, 59, 59), tzinfo=tz).timestamp()
    if rule.endswith("nm"):
        year, month = (served.year + 1, 1) if served.month == 12 else (served.year, served.month + 1)
        return datetime.combine(date(year, month, int(rule[:-2])), time(23, 59, 59),
                                tzinfo=tz).timestamp()
    if rule.endswith("d"):
        return service_at + float(rule[:-1]) * 86400.0
    raise ValueError(f"unknown deadline rule {rule!r} (use 3d, 1wd or 25nm)")
