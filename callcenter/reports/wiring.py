"""Interval statistics from the outcome bus: the aggregator turns what the tracker
(and queue_log's reader) decided into `FiguresAdded`, published on the same bus so
the store writer adds them like any outcome (once per fact)."""

from __future__ import annotations

from collections.abc import Sequence

from callcenter.complaints.settings import ComplaintSettings
from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job
from callcenter.domain import outcomes as oc
from callcenter.domain.kpi_intervals import IntervalAggregator
from callcenter.ledger.settings import LedgerSettings
from callcenter.reports import http, jobs
from callcenter.reports.people import PeopleRules
from callcenter.reports.settings import ReportSettings
from callcenter.webhooks.dispatcher import WebhookDispatcher
from callcenter.webhooks.settings import WebhooksSection, webhook_settings

PRUNE_EVERY_S = 3600.0


def wire(core: Core) -> Contribution:
    settings = core.config.get(ReportSettings)
    aggregator = IntervalAggregator(settings.rules, core.tracker.rules.ring_budget_s)

    def figures(outcomes: Sequence[oc.Outcome]) -> None:
        # Our own FiguresAdded come back through here: the aggregator skips them.
        core.outcomes.publish(aggregator.feed(outcomes))

    more = PeopleRules(core.config.get(ComplaintSettings).flag_threshold,
                       core.config.get(LedgerSettings).rules)
    routers = [http.routes(core, settings.rules, more)]
    kept_s = settings.keys_kept_days * 86400.0
    scheduled = [
        Job("report-intervals", settings.close_interval_s,
            lambda: jobs.close_intervals(core, aggregator)),
        Job("report-keys", PRUNE_EVERY_S, lambda: jobs.prune_keys(core, kept_s)),
    ]
    hooks = webhook_settings(core.config.get(WebhooksSection), core.tz)
    if not (settings.close_enabled and hooks.targets):
        return Contribution(outcome_sinks=[figures], routers=routers,
                            jobs=scheduled)
    # The closes go through a dispatcher of their own to the same targets (a message or
    # two a day): each target on its own queue, retried, never blocking the loop.
    dispatcher = WebhookDispatcher(hooks)
    scheduled.append(Job("report-close", settings.close_check_interval_s,
                         lambda: jobs.send_closes(core.engine, core.clock, core.tz, settings,
                                                  dispatcher.submit)))
    return Contribution(outcome_sinks=[figures], routers=routers,
                        jobs=scheduled, on_start=[dispatcher.start], on_stop=[dispatcher.close])
