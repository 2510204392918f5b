"""The `[callbacks]` section, and the domain's typed values built from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from callcenter import checks as ck
from callcenter.ami.grammar import is_dial_template, is_name
from callcenter.checks import parse_range
from callcenter.config import setting
from callcenter.domain.calendar import DailyHours, DialingWindow, OuterBound, Season, WorkCalendar
from callcenter.domain.callbacks import (
    DEFAULT_CAUSE_MAP,
    DEFAULT_REASON_MAP,
    FOLLOWUP_DEADLINE,
    Outcome,
    Pacing,
    RetryPolicy,
)

_PACING, _POLICY = Pacing(), RetryPolicy()


def _outcome_map(value: Any) -> str | None:
    for code, outcome in value.items():
        if not str(code).isdigit():
            return f"key {code!r} must be a number (an OriginateResponse reason or Q.850 cause)"
        if outcome not in set(Outcome):
            return f"{outcome!r} is not an outcome code ({', '.join(Outcome)})"
    return None


def _template(value: Any) -> str | None:
    ok = "{number}" in value and is_dial_template(value)
    return None if ok else "must be a dial string with {number}, like PJSIP/{number}@trunk"


def _name(value: Any) -> str | None:
    return None if is_name(value) else "must be a dialplan name (letters, digits, _ and -)"


def _as_setting(table: Mapping[int, Outcome]) -> dict[str, str]:
    return {str(code): outcome.value for code, outcome in table.items()}


@dataclass(frozen=True, slots=True)
class CallbacksSection:
    SECTION: ClassVar[str] = "callbacks"
    channel_template: str = setting("PJSIP/{number}@trunk", _template)  # how a number is dialed
    callback_queue: str = setting("callback", _name)
    customer_first_context: str = setting("callcenter-callback", _name)
    agent_first_context: str = setting("callcenter-callback-agent-first", _name)
    caller_id: str = ""
    max_in_flight_total: int = setting(_PACING.total, ck.positive)
    max_in_flight_per_campaign: int = setting(_PACING.per_campaign, ck.positive)
    max_attempts: int = setting(_POLICY.max_attempts, ck.positive)
    max_calls_per_number_24h: int = setting(_POLICY.max_calls_per_number_24h, ck.positive)
    ring_timeout_s: float = setting(_POLICY.ring_timeout_s, ck.positive)
    gap_no_answer_s: float = setting(_POLICY.gap_s[Outcome.NO_ANSWER], ck.non_negative)
    gap_busy_s: float = setting(_POLICY.gap_s[Outcome.BUSY], ck.non_negative)
    gap_powered_off_s: float = setting(_POLICY.gap_s[Outcome.POWERED_OFF], ck.non_negative)
    gap_other_s: float = setting(_POLICY.default_gap_s, ck.non_negative)
    followup_deadline: str = setting(FOLLOWUP_DEADLINE, ck.deadline_rule)
    reason_outcomes: Mapping[str, str] = setting(
        None, _outcome_map, factory=lambda: _as_setting(DEFAULT_REASON_MAP))
    cause_outcomes: Mapping[str, str] = setting(
        None, _outcome_map, factory=lambda: _as_setting(DEFAULT_CAUSE_MAP))
    abandoned_min_wait_s: float = setting(20.0, ck.non_negative)
    abandoned_deadline_hours: float = setting(24.0, ck.positive)
    outer_bound: str = setting("08:00-21:00", ck.hhmm_range)
    summer_from: str = setting("05-01", ck.month_day)
    summer_hours: str = setting("09:00-18:00", ck.hhmm_range)
    summer_lunch: str = setting("12:00-13:30", ck.hhmm_range)
    winter_from: str = setting("10-01", ck.month_day)
    winter_hours: str = setting("09:00-17:30", ck.hhmm_range)
    winter_lunch: str = setting("12:00-13:00", ck.hhmm_range)
    holidays: tuple[str, ...] = setting((), ck.dates)
    makeup_workdays: tuple[str, ...] = setting((), ck.dates)
    predictable_peaks: tuple[str, ...] = setting((), ck.periods)
    peak_max_agents: int = setting(_PACING.peak_agents, ck.positive)
    dialer_interval_s: float = setting(2.0, ck.positive)
    # Contact-list imports (CSV, .xlsx) are read as they stream in; any of these passed
    # refuses the whole file, so a hostile file costs bounded memory and time.
    import_max_bytes: int = setting(20_000_000, ck.positive)
    import_max_rows: int = setting(100_000, ck.positive)
    import_max_field_chars: int = setting(1_000, ck.positive)


@dataclass(frozen=True)
class CallbackSettings:
    window: DialingWindow
    policy: RetryPolicy
    pacing: Pacing
    peaks: tuple[tuple[datetime, datetime], ...]
    channel_template: str
    callback_queue: str
    customer_first_context: str
    agent_first_context: str
    caller_id: str
    followup_deadline: str
    reason_outcomes: dict[int, Outcome]
    cause_outcomes: dict[int, Outcome]
    abandoned_min_wait_s: float
    abandoned_deadline_s: float
    dialer_interval_s: float


@dataclass(frozen=True)
class ImportLimits:
    """What one contact-list import may cost: its file's size, its data rows (blank ones
    included) and the characters in any one cell."""

    max_bytes: int
    max_rows: int
    max_field_chars: int


def import_limits(c: CallbacksSection) -> ImportLimits:
    return ImportLimits(c.import_max_bytes, c.import_max_rows, c.import_max_field_chars)


def _hours(span: str, lunch: str) -> DailyHours:
    opens, closes = parse_range(span)
    return DailyHours(opens, closes, parse_range(lunch) if lunch else None)


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def _day_before(md: tuple[int, int]) -> tuple[int, int]:
    previous = date(2001, *md).toordinal() - 1  # a non-leap year
    d = date.fromordinal(previous)
    return d.month, d.day


def callback_settings(c: CallbacksSection, tz: ZoneInfo) -> CallbackSettings:
    summer_from, winter_from = _month_day(c.summer_from), _month_day(c.winter_from)
    seasons = (
        Season("spring/summer", summer_from, _day_before(winter_from),
               _hours(c.summer_hours, c.summer_lunch)),
        Season("autumn/winter", winter_from, _day_before(summer_from),
               _hours(c.winter_hours, c.winter_lunch)),
    )
    earliest, latest = parse_range(c.outer_bound)
    calendar = WorkCalendar(
        seasons=seasons,
        holidays=frozenset(date.fromisoformat(d) for d in c.holidays),
        makeup_workdays=frozenset(date.fromisoformat(d) for d in c.makeup_workdays),
    )
    policy = RetryPolicy(
        max_attempts=c.max_attempts,
        gap_s={Outcome.NO_ANSWER: c.gap_no_answer_s, Outcome.BUSY: c.gap_busy_s,
               Outcome.POWERED_OFF: c.gap_powered_off_s},
        default_gap_s=c.gap_other_s,
        max_calls_per_number_24h=c.max_calls_per_number_24h,
        ring_timeout_s=c.ring_timeout_s,
    )
    peaks = []
    for item in c.predictable_peaks:
        start, end = (datetime.fromisoformat(x) for x in item.split("/"))
        if start.tzinfo is None:
            start, end = start.replace(tzinfo=tz), end.replace(tzinfo=tz)
        peaks.append((start, end))
    return CallbackSettings(
        window=DialingWindow(calendar, OuterBound(earliest, latest)),
        policy=policy,
        pacing=Pacing(per_campaign=c.max_in_flight_per_campaign, total=c.max_in_flight_total,
                      peak_agents=c.peak_max_agents),
        peaks=tuple(peaks),
        channel_template=c.channel_template,
        callback_queue=c.callback_queue,
        customer_first_context=c.customer_first_context,
        agent_first_context=c.agent_first_context,
        caller_id=c.caller_id,
        followup_deadline=c.followup_deadline,
        reason_outcomes={int(k): Outcome(v) for k, v in c.reason_outcomes.items()},
        cause_outcomes={int(k): Outcome(v) for k, v in c.cause_outcomes.items()},
        abandoned_min_wait_s=c.abandoned_min_wait_s,
        abandoned_deadline_s=c.abandoned_deadline_hours * 3600.0,
        dialer_interval_s=c.dialer_interval_s,
    )


def in_peak(settings: CallbackSettings, now: datetime) -> bool:
    return any(start <= now < end for start, end in settings.peaks)

