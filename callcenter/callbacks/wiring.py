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
from callcenter.callbacks.links import links_of
from callcenter.callbacks.settings import (
    CallbackSettings,
    CallbacksSection,
    callback_settings,
    import_limits,
)
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


class CampaignFeed:
    """Pushes the campaigns' progress to supervisors' pages (`campaigns` event) when an
    attempt moved or a supervisor changed a campaign: read once per burst of changes
    (one read in flight; changes meanwhile make one more), never on a timer."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._running = False
        self._again = False

    def changed(self) -> None:
        if self._running:
            self._again = True
            return
        self._running = True
        self.core.tasks.spawn(self._push(), name="campaigns-push")

    async def _push(self) -> None:
        try:
            while True:
                self._again = False
                ctx = getattr(self.core.app.state, "ctx", None)  # the web feature's, if on
                if ctx is None:
                    return
                rows = await asyncio.to_thread(service.campaigns, self.core.engine, self.core.tz)
                ctx.hub.to_supervisors("campaigns", rows)
                if not self._again:
                    return
        finally:
            self._running = False


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
                    free_agents=core.live.agents_available,
                    paused_by_surge=lambda: hold.paused,
                    phones=core.config.get(CenterSettings).phones, leader=core.leader,
                    recording=core.config.get(RecordingsSettings).asterisk_name,
                    links=links_of(core))
    abandoned = AbandonedCallers(core, settings)
    feed = CampaignFeed(core)
    dialer.on_change = feed.changed
    limits = import_limits(core.config.get(CallbacksSection))
    return Contribution(
        outcome_sinks=[abandoned.on_outcomes],
        surge_listeners=[hold.follow],
        leader_listeners=[dialer.on_leader],
        # Each server's stream: its attempts' channels, and its own reconciliation.
        server_handlers={name: [DialerStream(dialer, name)] for name in core.servers},
        jobs=[Job("dialer", settings.dialer_interval_s, dialer.tick),
              Job("callback-deadlines", DEADLINE_CHECK_S, lambda: jobs.check_deadlines(core))],
        routers=[http.routes(core, settings, limits, feed.changed), http.page_routes()],
        on_stop=[dialer.close])

