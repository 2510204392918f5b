"""The [callbacks] and [surge] settings as the domain's typed values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from callcenter.config import Config, parse_range
from callcenter.domain.calendar import DailyHours, DialingWindow, OuterBound, Season, WorkCalendar
from callcenter.domain.callbacks import Outcome, Pacing, RetryPolicy
from callcenter.domain.surge import SurgeSettings


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
class SurgeConfig:
    thresholds: SurgeSettings
    scope: str
    break_reasons: tuple[str, ...]
    unpause_breaks: bool
    supervisors: tuple[str, ...]
    supervisor_queues: tuple[str, ...]
    check_interval_s: float


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


def callback_settings(config: Config) -> CallbackSettings:
    c = config.callbacks
    summer_from, winter_from = _month_day(c["summer_from"]), _month_day(c["winter_from"])
    seasons = (
        Season("spring/summer", summer_from, _day_before(winter_from),
               _hours(c["summer_hours"], c["summer_lunch"])),
        Season("autumn/winter", winter_from, _day_before(summer_from),
               _hours(c["winter_hours"], c["winter_lunch"])),
    )
    earliest, latest = parse_range(c["outer_bound"])
    calendar = WorkCalendar(
        seasons=seasons,
        holidays=frozenset(date.fromisoformat(d) for d in c["holidays"]),
        makeup_workdays=frozenset(date.fromisoformat(d) for d in c["makeup_workdays"]),
    )
    policy = RetryPolicy(
        max_attempts=c["max_attempts"],
        gap_s={Outcome.NO_ANSWER: c["gap_no_answer_s"], Outcome.BUSY: c["gap_busy_s"],
               Outcome.POWERED_OFF: c["gap_powered_off_s"]},
        default_gap_s=c["gap_other_s"],
        max_calls_per_number_24h=c["max_calls_per_number_24h"],
        ring_timeout_s=c["ring_timeout_s"],
    )
    peaks = []
    for item in c["predictable_peaks"]:
        start, end = (datetime.fromisoformat(x) for x in item.split("/"))
        if start.tzinfo is None:
            start, end = start.replace(tzinfo=config.timezone), end.replace(tzinfo=config.timezone)
        peaks.append((start, end))
    return CallbackSettings(
        window=DialingWindow(calendar, OuterBound(earliest, latest)),
        policy=policy,
        pacing=Pacing(per_campaign=c["max_in_flight_per_campaign"],
                      total=c["max_in_flight_total"], peak_agents=c["peak_max_agents"]),
        peaks=tuple(peaks),
        channel_template=c["channel_template"],
        callback_queue=c["callback_queue"],
        customer_first_context=c["customer_first_context"],
        agent_first_context=c["agent_first_context"],
        caller_id=c["caller_id"],
        followup_deadline=c["followup_deadline"],
        reason_outcomes={int(k): Outcome(v) for k, v in c["reason_outcomes"].items()},
        cause_outcomes={int(k): Outcome(v) for k, v in c["cause_outcomes"].items()},
        abandoned_min_wait_s=c["abandoned_min_wait_s"],
        abandoned_deadline_s=c["abandoned_deadline_hours"] * 3600.0,
        dialer_interval_s=c["dialer_interval_s"],
    )


def surge_config(config: Config) -> SurgeConfig:
    s = config.surge
    return SurgeConfig(
        thresholds=SurgeSettings(
            level1_threshold=s["level1_threshold"], level1_inclusive=s["level1_inclusive"],
            level2_threshold=s["level2_threshold"], sustain_s=s["sustain_s"],
            early_warning_s=s["early_warning_s"], cooldown_s=s["cooldown_s"],
            max_gap_s=max(60.0, 4 * config.rules.sample_interval_s),
        ),
        scope=s["scope"],
        break_reasons=tuple(s["break_reasons"]),
        unpause_breaks=s["unpause_breaks"],
        supervisors=tuple(s["supervisors"]),
        supervisor_queues=tuple(s["supervisor_queues"]),
        check_interval_s=s["check_interval_s"],
    )


def in_peak(settings: CallbackSettings, now: datetime) -> bool:
    return any(start <= now < end for start, end in settings.peaks)

