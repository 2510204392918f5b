"""The ledger: the zero-complaint month award as a job, and the supervisors' routes."""

from __future__ import annotations

from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job
from callcenter.ledger import http, jobs
from callcenter.ledger.settings import LedgerSettings


def wire(core: Core) -> Contribution:
    settings = core.config.get(LedgerSettings)
    rules = settings.rules
    return Contribution(
        jobs=[Job("ledger-month-award", settings.award_check_interval_s,
                  lambda: jobs.award_month(core, rules))],
        routers=[http.routes(core, settings)])
