"""The scripts the dialplan runs over FastAGI.  Each runs in its session's thread, reads
only checked values, and answers with channel variables the dialplan jumps on; the
dialplan has a default for every one of them.

- `/after_hours` (before Queue): is the hotline open now?  If not, the caller is put on
  the standing after-hours callback campaign and told when we call back.  If so, it
  names the file app_queue records the call to (CC_RECORDING: the path without its
  extension; "" = Asterisk's default name).
- `/survey` (after the agent hung up): one key for 满意 / 一般 / 不满意, stored on the
  call's ticket as the caller's own rating."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from callcenter.agi.server import Call
from callcenter.agi.settings import HotlineSettings, SurveySettings
from callcenter.domain.clock import Clock
from callcenter.domain.hotline import HotlineHours, Promise
from callcenter.domain.phone import PhoneNumber
from callcenter.domain.survey import DTMF_KEYS
from callcenter.errors import AgiScriptFailed
from callcenter.tickets.service import BY_CALLER, CallerRating

log = structlog.get_logger("callcenter.agi")

# request(number, now, promise) -> added | reopened | already_open | do_not_call
RequestCallback = Callable[[PhoneNumber, float, Promise], str]
CALLBACK_PROMISED = frozenset({"added", "reopened", "already_open"})


# linkedid -> the file app_queue records to, as Asterisk sees it, without extension
RecordingPath = Callable[[str], "str | None"]


class AfterHours:
    def __init__(self, hours: HotlineHours, settings: HotlineSettings, *, tz: ZoneInfo,
                 clock: Clock, request: RequestCallback,
                 recording: RecordingPath | None = None) -> None:
        self.hours = hours
        self.settings = settings
        self.tz = tz
        self.clock = clock
        self.request = request
        self.recording = recording

    def __call__(self, call: Call) -> str:
        now = self.clock.now()
        if self.hours.is_open(now, self.tz):
            path = self.recording(call.linkedid) if self.recording is not None else None
            log.debug("agi.recording", path=path, **call.ids)
            call.agi.set_variable("CC_RECORDING", path or "")
            call.agi.set_variable("CC_HOURS", "open")
            return "open"
        promise = self.hours.promise(now, self.tz, self.settings.callback_due_open_h * 3600.0)
        outcome = "no_number" if call.caller is None else "no_opening"
        if call.caller is not None and promise is not None:
            try:
                outcome = self.request(call.caller, now, promise)
            except Exception as exc:  # no promise we could not keep
                log.error("agi.script_failed", error_id=AgiScriptFailed.error_id,
                          exc_info=exc, **call.ids)
                outcome = "failed"
        log.info("agi.after_hours", callback=outcome,
                 caller_number=call.caller.digits if call.caller else "",
                 call_back_from=self._iso(promise.call_back_from if promise else None),
                 due_at=self._iso(promise.due_at if promise else None), **call.ids)
        agi = call.agi
        if promise is not None and outcome in CALLBACK_PROMISED:
            agi.set_variable("CC_CALLBACK", "yes")
            agi.set_variable("CC_CALLBACK_AT", str(int(promise.call_back_from)))
            agi.set_variable("CC_TZ", self.tz.key)
            agi.set_variable("CC_PROMISE", "&".join(self.settings.promise_prompt))
        else:
            agi.set_variable("CC_CALLBACK", "no")
            agi.set_variable("CC_NO_CALLBACK", "&".join(self.settings.no_callback_prompt))
        # Last: the dialplan jumps only once everything it plays is set.
        agi.set_variable("CC_HOURS", "closed")
        return "closed"

    def _iso(self, at: float | None) -> str | None:
        return None if at is None else datetime.fromtimestamp(at, self.tz).isoformat(
            timespec="minutes")


FindTicket = Callable[[str], "dict[str, Any] | None"]  # by Linkedid
RecordRating = Callable[[str, str, float], "CallerRating | None"]  # (linkedid, rating, now)


class Survey:
    def __init__(self, settings: SurveySettings, *, clock: Clock, find: FindTicket,
                 record: RecordRating) -> None:
        self.settings = settings
        self.rules = settings.rules
        self.clock = clock
        self.find = find
        self.record = record

    def __call__(self, call: Call) -> str:
        status = self._survey(call)
        call.agi.set_variable("CC_SURVEY", status)
        return status

    def _survey(self, call: Call) -> str:
        if not self.settings.enabled:
            return "off"
        ticket = self.find(call.linkedid)
        if ticket is None:  # no agent took this call: nothing to rate
            log.info("agi.survey_skipped", reason="no_ticket", **call.ids)
            return "no_ticket"
        if ticket.get("rating_source") == BY_CALLER:
            log.info("agi.survey_skipped", reason="already_rated", ticket=ticket["id"], **call.ids)
            return "already_rated"
        rating = self._ask(call)
        if rating is None:
            log.info("agi.survey_no_input", ticket=ticket["id"], **call.ids)
            return "no_input"
        try:
            stored = self.record(call.linkedid, rating, self.clock.now())
        except Exception as exc:  # the caller is thanked all the same
            log.error("agi.script_failed", error_id=AgiScriptFailed.error_id, rating=rating,
                      exc_info=exc, **call.ids)
            stored = None
        if stored is not None:
            log.info("agi.survey_rated", ticket=stored.ticket_id, rating=stored.rating,
                     agent=stored.owner_interface, points=stored.points,
                     review_due=stored.review_due_at is not None, first=stored.stored,
                     **call.ids)
        self._play(call, self.settings.thanks_prompt, "")
        return "rated" if stored is not None else "failed"

    def _ask(self, call: Call) -> str | None:
        """The prompt, then a wait for one key; one retry (by default) when none came or
        it meant nothing."""
        timeout_ms = int(self.settings.digit_timeout_s * 1000)
        for attempt in range(self.rules.retries + 1):
            prompt = self.settings.prompt
            if attempt:
                prompt = (*self.settings.retry_prompt, *prompt)
            key = (self._play(call, prompt, self.rules.escape_keys)
                   or str(call.agi.wait_for_digit(timeout_ms)))
            rating = self.rules.rating_for(key)
            if rating is not None:
                return rating
            if key:
                log.info("agi.survey_key_refused", key=key if key in DTMF_KEYS else "?",
                         **call.ids)
        return None

    def _play(self, call: Call, files: tuple[str, ...], escape: str) -> str:
        """Plays the files in turn; a key among `escape` stops them and is returned."""
        for name in files:
            key = str(call.agi.stream_file(name, escape))
            if key:
                return key
        return ""
