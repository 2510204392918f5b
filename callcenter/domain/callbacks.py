"""Callback campaigns (回访): outcome codes and the pure decisions of the dialer.

Which contact may be dialed now, how many calls may start, and what an outcome
means for the contact (retry when, or finished) are decided here, from settings,
with the time passed in.  The shell (store, APScheduler, AMI Originate) carries
the decisions out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from callcenter.domain.calendar import DialingWindow

# The rows' statuses and modes (the store's columns), shown by their labels
# (callcenter/core/labels.py).
CAMPAIGN_STATUSES = ("active", "paused", "finished")
CAMPAIGN_MODES = ("customer_first", "agent_first")
CAMPAIGN_KINDS = ("followup", "imported", "abandoned", "after_hours", "complaint", "keep_place")
CONTACT_STATUSES = ("pending", "dialing", "awaiting_outcome", "done", "failed")
ATTEMPT_STATUSES = ("dialing", "answered", "ended", "unknown")
# Why an imported contact row was refused (callbacks/importer.py), and the columns it names.
IMPORT_REJECTIONS = ("control_characters", "too_long", "missing_phone", "invalid_number",
                     "duplicate_row", "in_campaign", "do_not_call", "bad_service_date")
CONTACT_FIELDS = ("name", "phone", "service_date", "note", "member")

FOLLOWUP_DEADLINE = "3d"  # 必须保证在三天之内回访: a follow-up within three days of service


class Outcome(StrEnum):
    """The center's outcome codes (回访记录表)."""

    SUCCESS = "success"  # 成功回访, with a score 0-5
    NO_ANSWER = "no_answer"  # 无人接听
    BUSY = "busy"  # 电话打不进
    NOT_EXIST = "not_exist"  # 空号
    SUSPENDED = "suspended"  # 停机
    POWERED_OFF = "powered_off"  # 关机
    WRONG_NUMBER = "wrong_number"  # 号码填写有误
    NO_SUCH_PERSON = "no_such_person"  # 查无此人
    CANNOT_RATE = "cannot_rate"  # 无满意度/无法评分
    TRANSFERRED = "transferred"  # 转位
    SMS = "sms"  # 短信
    REFUSED = "refused"  # refuses callbacks: goes on the do-not-call list
    FAILED = "failed"  # the network could not place the call at all


LABELS_ZH: Mapping[Outcome, str] = {
    Outcome.SUCCESS: "成功回访", Outcome.NO_ANSWER: "无人接听", Outcome.BUSY: "电话打不进",
    Outcome.NOT_EXIST: "空号", Outcome.SUSPENDED: "停机", Outcome.POWERED_OFF: "关机",
    Outcome.WRONG_NUMBER: "号码填写有误", Outcome.NO_SUCH_PERSON: "查无此人",
    Outcome.CANNOT_RATE: "无法评分", Outcome.TRANSFERRED: "转位", Outcome.SMS: "短信",
    Outcome.REFUSED: "拒绝回访", Outcome.FAILED: "呼叫失败",
}

NOT_CONNECTED = frozenset({Outcome.NO_ANSWER, Outcome.BUSY, Outcome.NOT_EXIST,
                           Outcome.SUSPENDED, Outcome.POWERED_OFF, Outcome.WRONG_NUMBER,
                           Outcome.FAILED})
# Outcomes after which calling again is pointless or unwelcome.
FINAL = frozenset({Outcome.SUCCESS, Outcome.NOT_EXIST, Outcome.WRONG_NUMBER,
                   Outcome.NO_SUCH_PERSON, Outcome.CANNOT_RATE, Outcome.TRANSFERRED,
                   Outcome.SMS, Outcome.REFUSED})

# OriginateResponse.Reason (Asterisk's AST_CONTROL_*) and Q.850 hang-up causes.
DEFAULT_REASON_MAP: Mapping[int, Outcome] = {
    0: Outcome.FAILED, 1: Outcome.FAILED, 3: Outcome.NO_ANSWER, 5: Outcome.BUSY,
    8: Outcome.BUSY,
}
DEFAULT_CAUSE_MAP: Mapping[int, Outcome] = {
    1: Outcome.NOT_EXIST,  # unallocated number
    17: Outcome.BUSY,  # user busy
    18: Outcome.NO_ANSWER, 19: Outcome.NO_ANSWER,  # no user responding / no answer
    20: Outcome.POWERED_OFF,  # subscriber absent
    21: Outcome.FAILED,  # call rejected
    22: Outcome.NOT_EXIST,  # number changed
    27: Outcome.SUSPENDED,  # destination out of order
    28: Outcome.WRONG_NUMBER,  # invalid number format
    34: Outcome.BUSY, 38: Outcome.BUSY, 41: Outcome.BUSY, 42: Outcome.BUSY,  # congestion
}


def network_outcome(reason: int, cause: int | None,
                    reason_map: Mapping[int, Outcome] = DEFAULT_REASON_MAP,
                    cause_map: Mapping[int, Outcome] = DEFAULT_CAUSE_MAP) -> Outcome | None:
    """The outcome of an attempt the network decided; None when it was answered
    (reason 4): then the agent records the outcome."""
    if reason == 4:
        return None
    if cause is not None and cause in cause_map:
        return cause_map[cause]
    return reason_map.get(reason, Outcome.FAILED)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    gap_s: Mapping[Outcome, float] = field(default_factory=lambda: {
        Outcome.NO_ANSWER: 2 * 3600.0, Outcome.BUSY: 30 * 60.0,
        Outcome.POWERED_OFF: 4 * 3600.0, Outcome.SUSPENDED: 24 * 3600.0,
        Outcome.FAILED: 15 * 60.0,
    })
    default_gap_s: float = 3600.0
    max_calls_per_number_24h: int = 2  # across every campaign: no dense calling
    ring_timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    phone: str
    deadline: float
    attempts: int = 0
    last_attempt_at: float | None = None
    last_outcome: Outcome | None = None
    appointment_at: float | None = None
    tz: ZoneInfo | None = None  # the callee's; None: the center's


@dataclass(frozen=True, slots=True)
class AfterOutcome:
    finished: bool
    retry_at: float | None
    do_not_call: bool


def after_outcome(contact: Contact, outcome: Outcome, at: float,
                  policy: RetryPolicy) -> AfterOutcome:
    if outcome in FINAL:
        return AfterOutcome(True, None, outcome is Outcome.REFUSED)
    if contact.attempts + 1 >= policy.max_attempts:
        return AfterOutcome(True, None, False)
    gap = policy.gap_s.get(outcome, policy.default_gap_s)
    return AfterOutcome(False, at + gap, False)


class Refusal(StrEnum):
    DO_NOT_CALL = "do_not_call"
    ATTEMPTS_USED = "attempts_used"
    TOO_SOON = "too_soon"
    NUMBER_CAP = "number_cap_24h"
    QUIET_HOURS = "quiet_hours"


def refusal(contact: Contact, now: float, *, policy: RetryPolicy, window: DialingWindow,
            center_tz: ZoneInfo, calls_last_24h: Sequence[float],
            do_not_call: bool) -> Refusal | None:
    """Why `contact` may not be dialed at `now`, or None if it may."""
    if do_not_call:
        return Refusal.DO_NOT_CALL
    if contact.attempts >= policy.max_attempts:
        return Refusal.ATTEMPTS_USED
    if contact.last_attempt_at is not None and contact.last_outcome is not None:
        gap = policy.gap_s.get(contact.last_outcome, policy.default_gap_s)
        if now < contact.last_attempt_at + gap:
            return Refusal.TOO_SOON
    if sum(1 for t in calls_last_24h if now - 86400.0 < t <= now) >= policy.max_calls_per_number_24h:
        return Refusal.NUMBER_CAP
    tz = contact.tz or center_tz
    if contact.appointment_at is not None and now >= contact.appointment_at:
        ok = window.appointment_ok(now, policy.ring_timeout_s, tz)
    else:
        ok = window.can_start(now, policy.ring_timeout_s, tz)
    return None if ok else Refusal.QUIET_HOURS


@dataclass(frozen=True, slots=True)
class Pacing:
    per_campaign: int = 2
    total: int = 4
    peak_agents: int = 2  # 可预见高峰: no more than 2 agents on callbacks


def free_slots(pacing: Pacing, *, in_flight_campaign: int, in_flight_total: int,
               free_agents: int, in_predictable_peak: bool, paused_by_surge: bool) -> int:
    """How many new attempts may start now: never more than agents free to take them."""
    if paused_by_surge:
        return 0
    agents = min(free_agents, pacing.peak_agents) if in_predictable_peak else free_agents
    slots = min(pacing.per_campaign - in_flight_campaign, pacing.total - in_flight_total,
                agents - in_flight_total)
    return max(0, slots)
