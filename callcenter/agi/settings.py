"""The `[agi]`, `[survey]` and `[hotline]` sections, and the typed values built from them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter import checks as ck
from callcenter.ami.grammar import is_name
from callcenter.checks import parse_range
from callcenter.config import setting
from callcenter.domain.calendar import DailyHours, WorkCalendar
from callcenter.domain.hotline import HotlineHours
from callcenter.domain.survey import DTMF_KEYS, STANDARD_KEYS, STANDARD_POINTS, SurveyRules
from callcenter.domain.ticket_rules import RATINGS

# A sound file as Playback and STREAM FILE take it: a name or a relative path, no
# extension.  Nothing that separates files or arguments (& , | quotes, spaces) and no
# way up the tree: these names reach the dialplan through a channel variable.
_SOUND = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+){0,3}")


def _sounds(value: Any) -> str | None:
    if not value:
        return "must name at least one sound file"
    bad = [v for v in value if not _SOUND.fullmatch(v)]
    return f"{bad[0]!r} is not a sound file name (like digits/1 or custom/cc-survey)" if bad else None


def _dialplan_name(value: Any) -> str | None:
    return None if is_name(value) else "must be a dialplan name (letters, digits, _ and -)"


def _keys(value: Any) -> str | None:
    for key, rating in value.items():
        if len(key) != 1 or key not in DTMF_KEYS:
            return f"key {key!r} must be one DTMF key (0-9, *, #)"
        if rating not in RATINGS:
            return f"{rating!r} is not a rating ({', '.join(RATINGS)})"
    return None if value else "must map at least one key"


@dataclass(frozen=True, slots=True)
class AgiSettings:
    SECTION: ClassVar[str] = "agi"
    enabled: bool = True
    host: str = "127.0.0.1"  # the dialplan's ${CC_AGI} must point here
    port: int = setting(4573, ck.port)
    # Sessions at once (one thread each); a call beyond them goes on without its script,
    # as the dialplan's defaults say.
    max_sessions: int = setting(64, ck.positive)
    handshake_timeout_s: float = setting(5.0, ck.positive)  # Asterisk sends its lines at once
    # A peer silent this long mid-script is dropped: longer than the longest prompt plus
    # the digit wait.
    io_timeout_s: float = setting(30.0, ck.positive)


@dataclass(frozen=True, slots=True)
class SurveySettings:
    SECTION: ClassVar[str] = "survey"
    enabled: bool = True
    keys: Mapping[str, str] = setting(None, _keys, factory=lambda: dict(STANDARD_KEYS))
    points_satisfied: int = STANDARD_POINTS["satisfied"]
    points_ordinary: int = STANDARD_POINTS["ordinary"]
    points_unsatisfied: int = STANDARD_POINTS["unsatisfied"]
    # Sounds that exist in Debian's asterisk-core-sounds-en: "press 1, 2 and 3" ...
    # Record your own (custom/...) for Chinese wording.
    prompt: tuple[str, ...] = setting(("vm-press", "digits/1", "digits/2", "vm-and", "digits/3"),
                                      _sounds)
    retry_prompt: tuple[str, ...] = setting(("please-try-again",), _sounds)
    thanks_prompt: tuple[str, ...] = setting(("auth-thankyou", "goodbye"), _sounds)
    digit_timeout_s: float = setting(5.0, ck.positive)
    retries: int = setting(1, ck.non_negative)

    @property
    def rules(self) -> SurveyRules:
        return SurveyRules(keys=dict(self.keys), retries=self.retries,
                           points={"satisfied": self.points_satisfied,
                                   "ordinary": self.points_ordinary,
                                   "unsatisfied": self.points_unsatisfied})


@dataclass(frozen=True, slots=True)
class HotlineSettings:
    SECTION: ClassVar[str] = "hotline"
    always_open: bool = False  # true: around the clock, nobody is ever told to wait
    # "": the center's working calendar ([callbacks]: seasonal hours with lunch, holidays,
    # make-up days); "08:00-20:00": these hours on the calendar's working days.
    hours: str = setting("", ck.hhmm_range)
    callback_due_open_h: float = setting(1.0, ck.positive)  # due after this much open time
    # "Nobody is available to take your call at the moment", then the callback's day and
    # time are spoken (SayUnixTime: core sounds, no TTS), then "thank you, goodbye".
    promise_prompt: tuple[str, ...] = setting(("vm-nobodyavail",), _sounds)
    # For a caller we may not call back (no number, or on the do-not-call list).
    no_callback_prompt: tuple[str, ...] = setting(("vm-nobodyavail", "please-try-call-later"),
                                                  _sounds)

    def hours_with(self, calendar: WorkCalendar) -> HotlineHours:
        daily = None
        if self.hours:
            opens, closes = parse_range(self.hours)
            daily = DailyHours(opens, closes)
        return HotlineHours(calendar, daily=daily, always_open=self.always_open)


@dataclass(frozen=True, slots=True)
class KeepPlaceSettings:
    """Keep your place (排队回呼): a caller waiting in a queue presses 1 and is called
    back at their place in line, by a placeholder that waits there for them."""

    SECTION: ClassVar[str] = "keep_place"
    enabled: bool = True
    # A request still unanswered this long after it was made moves to the standing
    # after-hours campaign (its placeholder leaves the queue then).
    expiry_hours: float = setting(4.0, ck.positive)
    # How long the caller waits for their placeholder to join before we say yes; if it
    # does not, they go back into the queue at their place.
    join_timeout_s: float = setting(5.0, ck.positive)
    # The dialplan's contexts for the placeholder's two halves (dialplan/extensions_callcenter.conf).
    placeholder_context: str = setting("callcenter-keep-place", _dialplan_name)
    dial_context: str = setting("callcenter-keep-place-dial", _dialplan_name)
    # The estimate (您前面还有N位,预计等待M分钟): the mean of the queue's last
    # `handle_window` calls (talk + [rules] wrap-up), or `default_handle_s` before any.
    handle_window: int = setting(20, ck.positive)
    default_handle_s: float = setting(240.0, ck.positive)
    # Spoken by /announce before the queue (core sounds, no TTS): "you are currently
    # caller number" N "waiting to speak with a representative"; "the estimated hold
    # time is currently" M "minutes"; then "press 1" — record a Chinese custom/...
    # prompt that says what pressing 1 does.
    position_prompt: tuple[str, ...] = setting(("queue-thereare",), _sounds)
    position_after_prompt: tuple[str, ...] = setting(("queue-callswaiting",), _sounds)
    wait_prompt: tuple[str, ...] = setting(("queue-holdtime",), _sounds)
    wait_after_prompt: tuple[str, ...] = setting(("queue-minutes",), _sounds)
    press_prompt: tuple[str, ...] = setting(("vm-press", "digits/1"), _sounds)
    # After pressing 1: the request is taken (then hang-up), or refused (back in line).
    accepted_prompt: tuple[str, ...] = setting(("auth-thankyou", "goodbye"), _sounds)
    refused_prompt: tuple[str, ...] = setting(("queue-thankyou",), _sounds)
    # Played to the agent when the customer may not be dialed now (quiet hours, do-not-call).
    not_dialed_prompt: tuple[str, ...] = setting(("vm-nobodyavail",), _sounds)
