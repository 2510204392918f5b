"""The FastAGI server as a long-running task, with its scripts: `/after_hours` (the
hotline's hours from the center's working calendar, the standing after-hours
campaign) and `/survey` (the caller's rating on the call's ticket)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from callcenter.agi import service
from callcenter.agi.scripts import AfterHours, Survey
from callcenter.agi.server import AgiServer, Script
from callcenter.agi.settings import AgiSettings, HotlineSettings, SurveySettings
from callcenter.callbacks.settings import CallbacksSection, callback_settings
from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.core.metrics import Live, counter, gauge, one
from callcenter.core.settings import CenterSettings
from callcenter.domain.calendar import deadline_for
from callcenter.domain.hotline import Promise
from callcenter.domain.phone import PhoneNumber
from callcenter.domain.ratings_today import RatingChanged
from callcenter.recordings.settings import RecordingsSettings
from callcenter.tickets import service as tickets
from callcenter.tickets.service import CallerRating
from callcenter.tickets.settings import TicketSettings

STORE_WAIT_S = 2.0  # the ticket of a call just ended may still be on its way to the database


class RatingPublisher:
    """A rating the survey stored (in its session's thread), onto the core's ratings bus
    on the event loop: the wallboard's split moves at once."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.loop: asyncio.AbstractEventLoop | None = None

    def on_start(self) -> None:
        self.loop = asyncio.get_running_loop()

    def __call__(self, change: RatingChanged) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.core.ratings.publish, [change])


def scripts(core: Core, publish: RatingPublisher | None = None) -> dict[str, Script]:
    # One working calendar for the whole center: the hotline keeps the callbacks' one.
    calendar = callback_settings(core.config.get(CallbacksSection), core.tz).window.calendar
    hotline = core.config.get(HotlineSettings)
    survey = core.config.get(SurveySettings)
    rules = core.config.get(TicketSettings).rules
    recordings = core.config.get(RecordingsSettings)
    campaign: list[int] = []
    first_use = threading.Lock()  # sessions run in threads: one campaign, made once

    def request(number: PhoneNumber, now: float, promise: Promise) -> str:
        with first_use:
            if not campaign:
                campaign.append(service.after_hours_campaign(core.engine, now))
        return service.request_callback(core.engine, campaign[0], number, now, promise)

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
        if stored is not None and stored.change is not None and publish is not None:
            publish(stored.change)
        return stored

    return {
        "after_hours": AfterHours(hotline.hours_with(calendar), hotline, tz=core.tz,
                                  clock=core.clock, request=request,
                                  recording=recordings.asterisk_name),
        "survey": Survey(survey, clock=core.clock, find=find, record=record),
    }


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
    publish = RatingPublisher(core)
    server = AgiServer(settings, scripts(core, publish), health=core.health,
                       phones=core.config.get(CenterSettings).phones)
    return Contribution(tasks=[server.serve], on_start=[publish.on_start],
                        on_stop=[server.close], collectors=collectors(server))
