"""Complaints: the edits themselves go through the tickets' path (which calls
`service.on_edit`); this runs the flags' check."""

from __future__ import annotations

from callcenter.complaints import jobs
from callcenter.complaints.settings import ComplaintSettings
from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job


def wire(core: Core) -> Contribution:
    settings = core.config.get(ComplaintSettings)
    threshold = settings.flag_threshold
    return Contribution(jobs=[Job("complaint-flags", settings.check_interval_s,
                                  lambda: jobs.check_flags(core, threshold))])
