"""Tickets: opened by the store from the tracker's outcomes (exactly once per call);
this feature logs them, runs the workflow's overdue check and serves the desk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import structlog

from callcenter.callbacks.settings import CallbacksSection, callback_settings
from callcenter.complaints.service import ComplaintPolicy
from callcenter.complaints.settings import ComplaintSettings
from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job
from callcenter.core.settings import CenterSettings
from callcenter.domain import outcomes as oc
from callcenter.domain.calendar import deadline_for
from callcenter.ledger.settings import LedgerSettings
from callcenter.tickets import http, jobs, listing
from callcenter.tickets.settings import TicketSettings

log = structlog.get_logger("callcenter.tickets")


def _log(outcomes: Sequence[oc.Outcome]) -> None:
    for o in outcomes:
        if isinstance(o, oc.TicketOpened):
            log.info("ticket.opened", linkedid=o.linkedid, uniqueid=o.uniqueid, queue=o.queue,
                     agent=o.owner.name, caller_number=o.caller_number, ring_s=o.ring_s,
                     apologise_first=o.late_answer, recovered=o.recovered)
        elif isinstance(o, oc.TicketParticipantAdded):
            log.info("ticket.participant", linkedid=o.linkedid, agent=o.agent.name,
                     queue=o.queue)


def wire(core: Core) -> Contribution:
    settings = core.config.get(TicketSettings)
    complaint_rules = core.config.get(ComplaintSettings).rules
    # The investigation's deadline is the complaints' setting: its overdue alert says it.
    rules = replace(settings.rules, investigation=complaint_rules.investigation)
    # Deadlines in working days follow the center's one working calendar.
    calendar = callback_settings(core.config.get(CallbacksSection), core.tz).window.calendar

    def deadline(rule: str, start: float) -> float:
        return deadline_for(rule, start, core.tz, calendar)

    callback_queue = core.config.get(CallbacksSection).callback_queue
    policy = ComplaintPolicy(complaint_rules,
                             core.config.get(LedgerSettings).rules,
                             core.config.get(CenterSettings).phones)
    return Contribution(
        outcome_sinks=[_log],
        jobs=[Job("tickets", settings.check_interval_s, lambda: jobs.check_overdue(core, rules))],
        routers=[http.routes(core, rules, deadline, callback_queue, policy),
                 listing.routes(core)])


