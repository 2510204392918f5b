"""The FastAGI server as a long-running task, with its scripts: `/after_hours` (the
hotline's hours from the center's working calendar, the standing after-hours
campaign), `/survey` (the caller's rating on the call's ticket), keep your place
(`/announce`, `/keep_place`, `/keep_place_dial`, `/keep_place_ended`: keep_place.py),
and the agents' phone feature codes (`/agent_queues`, `/pause_reason`: agent_scripts.py)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from callcenter.agi import service
from callcenter.agi.agent_scripts import AgentQueues, PauseReason
from callcenter.agi.keep_place import LoopBridge, Requests, placeholder_fields
from callcenter.agi.keep_place_scripts import Announce, KeepPlace, KeepPlaceDial, KeepPlaceEnded
from callcenter.agi.scripts import AfterHours, Survey
from callcenter.agi.server import AgiServer, Script
from callcenter.agi.settings import (
    AgiSettings,
    HotlineSettings,
    KeepPlaceSettings,
    SurveySettings,
)
from callcenter.callbacks.settings import CallbacksSection, callback_settings
from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job
from callcenter.core.metrics import Live, counter, gauge, one
from callcenter.core.settings import CenterSettings
from callcenter.desk.settings import DeskSettings
from callcenter.domain import keep_place as kp
from callcenter.domain.calendar import deadline_for
from callcenter.domain.hotline import Promise
from callcenter.domain.phone import PhoneNumber
from callcenter.domain.ratings_today import RatingChanged
from callcenter.inbound.settings import RulesSettings
from callcenter.recordings.settings import RecordingsSettings
from callcenter.tickets import service as tickets
from callcenter.tickets.service import CallerRating
from callcenter.tickets.settings import TicketSettings
from callcenter.users import service as users

STORE_WAIT_S = 2.0  # the ticket of a call just ended may still be on its way to the database


KEEP_PLACE_EXPIRY_CHECK_S = 60.0


def scripts(core: Core, bridge: LoopBridge) -> tuple[dict[str, Script], Requests]:
    # One working calendar for the whole center: the hotline keeps the callbacks' one.
    callbacks = callback_settings(core.config.get(CallbacksSection), core.tz)
    calendar = callbacks.window.calendar
    hotline = core.config.get(HotlineSettings)
    hours = hotline.hours_with(calendar)
    survey = core.config.get(SurveySettings)
    keep = core.config.get(KeepPlaceSettings)
    rules = core.config.get(TicketSettings).rules
    recordings = core.config.get(RecordingsSettings)
    phones = core.config.get(CenterSettings).phones
    desk = core.config.get(DeskSettings)
    campaign: list[int] = []
    first_use = threading.Lock()  # sessions run in threads: one campaign, made once

    def request(number: PhoneNumber, now: float, promise: Promise) -> str:
        with first_use:
            if not campaign:
                campaign.append(service.after_hours_campaign(core.engine, now))
        return service.request_callback(core.engine, campaign[0], number, now, promise)

    def to_after_hours(number: PhoneNumber, now: float) -> str:
        """A keep-your-place request not met: the after-hours campaign calls back, from
        now if the hotline is open, else from its next opening."""
        due_s = hotline.callback_due_open_h * 3600.0
        promise = (Promise(now, now + due_s) if hours.is_open(now, core.tz)
                   else hours.promise(now, core.tz, due_s))
        return request(number, now, promise) if promise is not None else "no_opening"

    def may_dial(number: PhoneNumber, now: float) -> str | None:
        if service.on_do_not_call(core.engine, number):
            return "do_not_call"
        if not callbacks.window.can_start(now, callbacks.policy.ring_timeout_s, core.tz):
            return "quiet_hours"
        return None

    def deadline(rule: str, start: float) -> float:
        return deadline_for(rule, start, core.tz, calendar)

    def find(linkedid: str) -> dict[str, Any] | None:
        ticket = tickets.by_linkedid(core.engine, linkedid)
        if ticket is None:
            core.flush_store(STORE_WAIT_S)
            ticket = tickets.by_linkedid(core.engine, linkedid)
        return ticket

    def record(linkedid: str, rating: str, now: float) -> CallerRating | None:
        stored = tickets.rate_by_caller(core.engine, linkedid, rating, now,
                                        points=survey.rules.points_for(rating), rules=rules,
                                        deadline=deadline)
        if stored is not None and stored.change is not None:
            change: RatingChanged = stored.change
            # the wallboard's split moves at once: onto the ratings bus, on the loop
            bridge.post(lambda: core.ratings.publish([change]))
        return stored

    requests = Requests(
        core.engine, keep, clock=core.clock, bridge=bridge, ami=core.ami,
        to_after_hours=to_after_hours,
        fields=lambda p: placeholder_fields(p, keep, channel_template=callbacks.channel_template,
                                            ring_s=callbacks.policy.ring_timeout_s,
                                            caller_id=callbacks.caller_id,
                                            recording=recordings.asterisk_name),
        handle_times=kp.HandleTimes(keep.handle_window, keep.default_handle_s,
                                    core.config.get(RulesSettings).wrapup_s),
        # the caller hears every server's figures; placeholders are originated through
        # the first server (core.ami), so its tracker expects them
        live=core.live, placeholders=core.tracker)
    ended = KeepPlaceEnded(requests)
    return {
        "after_hours": AfterHours(hours, hotline, tz=core.tz, clock=core.clock, request=request,
                                  recording=recordings.asterisk_name),
        "survey": Survey(survey, clock=core.clock, find=find, record=record),
        "announce": Announce(keep, requests),
        "keep_place": KeepPlace(keep, requests, clock=core.clock, may_dial=may_dial),
        "keep_place_dial": KeepPlaceDial(keep, requests, clock=core.clock, may_dial=may_dial,
                                         phones=phones),
        "keep_place_ended": ended,
        "keep_place_missed": ended,  # its former name (run only when not reached)
        "agent_queues": AgentQueues(desk, lambda member: users.agent_of(core.engine, member)),
        "pause_reason": PauseReason(desk),
    }, requests


def collectors(server: AgiServer) -> list[Live]:
    return [
        counter("callcenter_agi_sessions_started", "FastAGI sessions accepted",
                one(lambda: server.sessions_total)),
        counter("callcenter_agi_sessions_failed", "FastAGI sessions ended by a timeout, a "
                "protocol error or a failing script (not hang-ups)", one(lambda: server.failed)),
        counter("callcenter_agi_sessions_refused", "FastAGI connections refused: max_sessions "
                "reached", one(lambda: server.refused)),
        gauge("callcenter_agi_sessions_active", "FastAGI sessions running now",
              one(lambda: server.active)),
    ]


def wire(core: Core) -> Contribution:
    settings = core.config.get(AgiSettings)
    if not settings.enabled:
        return Contribution()
    bridge = LoopBridge()
    found, requests = scripts(core, bridge)
    server = AgiServer(settings, found, health=core.health,
                       phones=core.config.get(CenterSettings).phones)

    async def expire() -> None:
        await asyncio.to_thread(requests.expire)

    return Contribution(tasks=[server.serve], on_stop=[server.close],
                        on_start=[bridge.started, requests.resume],
                        outcome_sinks=[requests.on_outcomes],
                        jobs=[Job("keep-place-expiry", KEEP_PLACE_EXPIRY_CHECK_S, expire)],
                        collectors=collectors(server))
