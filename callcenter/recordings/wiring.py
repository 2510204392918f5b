"""Recordings: the link and retention jobs and the playback route.  Asterisk records
(app_queue's MixMonitor when an agent answers: queues.conf `monitor-format`, the file
named by /after_hours through the dialplan's CC_RECORDING); this feature finds the
files, plays and deletes them."""

from __future__ import annotations

import asyncio

from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job
from callcenter.recordings import http
from callcenter.recordings.jobs import Recordings
from callcenter.recordings.settings import RecordingsSettings


def wire(core: Core) -> Contribution:
    settings = core.config.get(RecordingsSettings)
    router = http.routes(core)
    recordings = Recordings(core.engine, settings, core.clock.now)
    return Contribution(
        jobs=[Job("recordings.link", settings.link_interval_s,
                  lambda: asyncio.to_thread(recordings.link)),
              Job("recordings.retention", settings.retention_interval_s,
                  lambda: asyncio.to_thread(recordings.expire))],
        routers=[router])
