"""Gap recovery: Asterisk's queue_log read after every (re)connect to backfill what
the daemon missed, and on a timer as the running cross-check of its counts."""

from __future__ import annotations

from pathlib import Path

import structlog

from callcenter.ami.settings import AmiSettings
from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job
from callcenter.recovery import jobs
from callcenter.recovery.ami import QueueLogStream
from callcenter.recovery.backfill import QueueLogReader
from callcenter.recovery.settings import RecoverySettings

log = structlog.get_logger("callcenter.recovery")


def wire(core: Core) -> Contribution:
    path = core.config.get(AmiSettings).queue_log
    if not path:
        log.info("queue_log.off", detail="[ami] queue_log is empty: no gap recovery")
        return Contribution()
    settings = core.config.get(RecoverySettings)
    reader = QueueLogReader(core, Path(path), settings)
    return Contribution(ami_handlers=[QueueLogStream(reader)],
                        jobs=[Job("queue-log", settings.read_interval_s,
                                  lambda: jobs.follow(reader))])
