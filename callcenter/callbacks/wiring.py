"""Callbacks: the dialer (a job, and its part of the AMI stream), callers who gave up
put on the standing abandoned-callers campaign (and taken off it when they get
through), the overdue-callbacks alert, and the campaign routes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog

from callcenter.callbacks import http, jobs, service
from callcenter.callbacks.ami import DialerStream
from callcenter.callbacks.dialer import Dialer
from callcenter.callbacks.settings import CallbackSettings, CallbacksSection, callback_settings
from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job
from callcenter.core.settings import CenterSettings
from callcenter.domain import outcomes as oc
from callcenter.domain.keep_place import is_virtual
from callcenter.domain.phone import PhoneNumber
from callcenter.domain.surge import SurgeState
from callcenter.recordings.settings import RecordingsSettings

log = structlog.get_logger("callcenter.callbacks")

DEADLINE_CHECK_S = 60.0  # overdue callbacks are counted in days: once a minute is plenty


class AbandonedCallers:
    """A caller who waited long enough and gave up gets a callback entry; one who
    gets through first no longer needs it."""

    def __init__(self, core: Core, settings: CallbackSettings) -> None:
        self.core = core
        self.settings = settings
        self.phones = core.config.get(CenterSettings).phones
        # Ensured once, here: concurrent abandons must all land in the same campaign.
        self.campaign = service.abandoned_campaign(core.engine, core.clock.now())

    def on_outcomes(self, outcomes: Sequence[oc.Outcome]) -> None:
        for o in outcomes:
            # A keep-your-place placeholder leaving the queue is no caller giving up:
            # its request goes on by its own rules (agi/keep_place.py).
            if (isinstance(o, oc.CallAbandoned) and o.caller_number
                    and not is_virtual(o.uniqueid)
                    and o.waited_s >= self.settings.abandoned_min_wait_s):
                number = PhoneNumber.or_none(o.caller_number, self.phones)
                if number is None:  # a caller ID that is no number is never called back
                    log.warning("callback.contact_refused", error_id="phone.invalid",
                                linkedid=o.linkedid, uniqueid=o.uniqueid)
                    continue
                self.core.tasks.spawn(asyncio.to_thread(self._add, number, o.at),
                                      name="abandoned-caller")
            elif isinstance(o, oc.TicketOpened) and o.caller_number:
                self.core.tasks.spawn(asyncio.to_thread(service.cancel_abandoned,
                                                        self.core.engine, o.caller_number),
                                      name="got-through")

    def _add(self, number: PhoneNumber, at: float) -> None:
        service.add_contact(self.core.engine, self.campaign, number, at, tz=self.core.tz,
                            calendar=self.settings.window.calendar,
                            deadline=at + self.settings.abandoned_deadline_s,
                            note="abandoned in queue")


class SurgeHold:
    """Whether a surge holds follow-up callbacks, as the surge bus last said (the surge
    monitor announces the stored level at start, before any job runs)."""

    def __init__(self) -> None:
        self.paused = False

    def follow(self, states: Sequence[SurgeState]) -> None:
        self.paused = states[-1].callbacks_paused


def wire(core: Core) -> Contribution:
    settings = callback_settings(core.config.get(CallbacksSection), core.tz)
    hold = SurgeHold()
    dialer = Dialer(core.engine, core.ami, settings=settings, clock=core.clock, center_tz=core.tz,
                    free_agents=core.tracker.agents_available,
                    paused_by_surge=lambda: hold.paused,
                    phones=core.config.get(CenterSettings).phones,
                    recording=core.config.get(RecordingsSettings).asterisk_name)
    abandoned = AbandonedCallers(core, settings)
    return Contribution(
        outcome_sinks=[abandoned.on_outcomes],
        surge_listeners=[hold.follow],
        ami_handlers=[DialerStream(dialer)],
        jobs=[Job("dialer", settings.dialer_interval_s, dialer.tick),
              Job("callback-deadlines", DEADLINE_CHECK_S, lambda: jobs.check_deadlines(core))],
        routers=[http.routes(core, settings)],
        on_stop=[dialer.close])

