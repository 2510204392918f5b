"""The keep-your-place scripts the dialplan runs over FastAGI (see keep_place.py for
the request's life).  Each reads only checked values and answers with channel
variables; the dialplan's default for each (no answer from the daemon) is: the
announcement is skipped, a request sends the caller back in line at their place, and
the customer is dialed."""

from __future__ import annotations

from typing import Any

import structlog

from callcenter.agi.keep_place import MayDial, Requests, joined_at_from, queue_name
from callcenter.agi.server import Call
from callcenter.agi.settings import KeepPlaceSettings
from callcenter.domain import keep_place as kp
from callcenter.domain.clock import Clock
from callcenter.domain.phone import PhoneNumber, PhoneRules

log = structlog.get_logger("callcenter.agi")
WORKING = ("waiting", "connected")  # a request an agent may have taken meanwhile


def _arg(call: Call, n: int) -> str:
    return str(call.agi.env.get(f"agi_arg_{n}", ""))[:64]


def _play(agi: Any, files: tuple[str, ...]) -> None:
    for name in files:
        agi.stream_file(name, "")


class Announce:
    """Before Queue: 您前面还有N位,预计等待M分钟 — "you are caller number N+1 … the
    estimated hold time is M minutes … press 1"."""

    def __init__(self, settings: KeepPlaceSettings, requests: Requests) -> None:
        self.settings = settings
        self.requests = requests

    def __call__(self, call: Call) -> str:
        queue = queue_name(_arg(call, 1) or str(call.agi.env.get("agi_extension", "")))
        if queue is None or not self.settings.enabled:
            return "skipped"
        waiting, free, staffed, handle_s = self.requests.figures(queue)
        if free > waiting:  # taken at once (or as soon as a ringing agent answers the
            # caller ahead): nothing to announce, no wait to offer
            return "no_wait"
        if staffed == 0:  # nobody serves the queue: no honest estimate, no place to keep
            return "unstaffed"
        guess = kp.estimate(waiting, staffed, handle_s)
        log.info("agi.announce", queue=queue, ahead=guess.ahead, staffed=staffed,
                 handle_s=round(handle_s, 1), minutes=guess.minutes, **call.ids)
        s, agi = self.settings, call.agi
        _play(agi, s.position_prompt)
        agi.say_number(guess.ahead + 1, "")
        _play(agi, s.position_after_prompt)
        if guess.minutes is not None:
            _play(agi, s.wait_prompt)
            agi.say_number(guess.minutes, "")
            _play(agi, s.wait_after_prompt)
        _play(agi, s.press_prompt)
        return "announced"


class KeepPlace:
    """The caller pressed 1 in the queue: AGI(${CC_AGI}/keep_place,queue,position,joined)."""

    def __init__(self, settings: KeepPlaceSettings, requests: Requests, *, clock: Clock,
                 may_dial: MayDial) -> None:
        self.settings = settings
        self.requests = requests
        self.clock = clock
        self.may_dial = may_dial

    def __call__(self, call: Call) -> str:
        status = self._decide(call)
        accepted = status in ("placed", "already_open")
        prompt = self.settings.accepted_prompt if accepted else self.settings.refused_prompt
        call.agi.set_variable("CC_KEEP_PLACE_PROMPT", "&".join(prompt))
        call.agi.set_variable("CC_KEEP_PLACE", "yes" if accepted else "no")  # last: jumped on
        return status

    def _decide(self, call: Call) -> str:
        now = self.clock.now()
        queue, position = queue_name(_arg(call, 1)), kp.position_from(_arg(call, 2))
        if not self.settings.enabled:
            return "off"
        if call.caller is None:
            log.info("keep_place.refused", reason="no_number", **call.ids)
            return "no_number"
        if queue is None or position is None:
            log.warning("keep_place.refused", reason="bad_place", **call.ids)
            return "bad_place"
        why = self.may_dial(call.caller, now)
        if why is not None:  # quiet hours or do-not-call: back in line, told politely
            log.info("keep_place.refused", reason=why, queue=queue, **call.ids)
            return why
        outcome = self.requests.place(call.caller, queue, position,
                                      joined_at_from(_arg(call, 3), now), call.ids)
        log.info("keep_place.requested", outcome=outcome, queue=queue, position=position,
                 caller_number=call.caller.digits, **call.ids)
        return outcome


class KeepPlaceDial:
    """An agent took the placeholder: may the customer be dialed now?
    AGI(${CC_AGI}/keep_place_dial,request,number)."""

    def __init__(self, settings: KeepPlaceSettings, requests: Requests, *, clock: Clock,
                 may_dial: MayDial, phones: PhoneRules) -> None:
        self.settings = settings
        self.requests = requests
        self.clock = clock
        self.may_dial = may_dial
        self.phones = phones

    def __call__(self, call: Call) -> str:
        request = _arg(call, 1)
        number = PhoneNumber.or_none(_arg(call, 2), self.phones)
        if not (request.isascii() and request.isdigit()) or number is None:
            return "bad_request"  # the dialplan's default: dial
        why = self.may_dial(number, self.clock.now())
        if why is None:
            call.agi.set_variable("CC_DIAL", "yes")
            return "dial"
        self.requests.settle(int(request), "not_dialed", f"not dialed: {why}", only_from=WORKING)
        call.agi.set_variable("CC_NOT_DIALED_PROMPT", "&".join(self.settings.not_dialed_prompt))
        call.agi.set_variable("CC_DIAL", "no")
        log.info("keep_place.not_dialed", reason=why, request=int(request), **call.ids)
        return why


class KeepPlaceEnded:
    """The dialing half hung up: AGI(${CC_AGI}/keep_place_ended,request,dialstatus).
    ANSWER: the customer was called back (whoever hung up first, at any time after) and
    the request is done; anything else: not reached, on to the after-hours campaign."""

    def __init__(self, requests: Requests) -> None:
        self.requests = requests

    def __call__(self, call: Call) -> str:
        request = _arg(call, 1)
        if not (request.isascii() and request.isdigit()):
            return "bad_request"
        ended = kp.dial_ended(_arg(call, 2))
        self.requests.settle(int(request), ended.status, ended.note, only_from=WORKING,
                             outcome=ended.outcome)
        log.info("keep_place.ended", request=int(request), status=ended.status,
                 outcome=ended.outcome, **call.ids)
        return ended.status
