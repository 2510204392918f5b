"""When the hotline answers (工作时间), pure.

By default the hotline keeps the center's working calendar (the one the callbacks
dial by: seasonal hours with lunch, holidays, make-up working days).  A center may
give the hotline its own daily hours on those working days, or open it around the
clock.  A caller outside the hours is promised a callback (明天工作时间给您回电): at the
next opening, due once the hotline has been open for a while (the first hour of the
next working day by default), counted in open time only so a lunch break or a
weekend never eats into it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from callcenter.domain.calendar import DailyHours, Interval, WorkCalendar

_HORIZON_DAYS = 370  # a year of holidays cannot hide every opening


@dataclass(frozen=True, slots=True)
class Promise:
    """What an after-hours caller is told and what the callback must meet."""

    call_back_from: float  # the next opening (epoch seconds)
    due_at: float  # the callback's deadline


@dataclass(frozen=True, slots=True)
class HotlineHours:
    calendar: WorkCalendar
    daily: DailyHours | None = None  # None: the calendar's own seasonal hours
    always_open: bool = False

    def intervals_on(self, day: date) -> list[Interval]:
        if self.always_open:
            return [(time.min, time.max)]
        if not self.calendar.is_working_day(day):
            return []
        hours = self.daily or self.calendar.hours_on(day)
        return [] if hours is None else hours.intervals()

    def is_open(self, at: float, tz: ZoneInfo) -> bool:
        local = datetime.fromtimestamp(at, tz)
        now = local.time()
        return any(opens <= now < closes for opens, closes in self.intervals_on(local.date()))

    def _spans(self, at: float, tz: ZoneInfo) -> Iterator[tuple[float, float]]:
        """Open spans (epoch seconds) ending after `at`, in order, cut to start at `at`."""
        first = datetime.fromtimestamp(at, tz).date()
        for offset in range(_HORIZON_DAYS + 1):
            day = first + timedelta(days=offset)
            for opens, closes in self.intervals_on(day):
                start = datetime.combine(day, opens, tzinfo=tz).timestamp()
                end = datetime.combine(day, closes, tzinfo=tz).timestamp()
                if end > at:
                    yield max(start, at), end

    def promise(self, at: float, tz: ZoneInfo, open_s: float) -> Promise | None:
        """From a time outside the hours: when we call back and by when.  None if the
        hotline never opens again within a year (a calendar with no working day)."""
        spans = self._spans(at, tz)
        first = next(spans, None)
        if first is None:
            return None
        left, (start, end) = open_s, first
        while end - start < left:
            left -= end - start
            following = next(spans, None)
            if following is None:
                return None
            start, end = following
        return Promise(call_back_from=first[0], due_at=start + left)
