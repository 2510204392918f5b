"""Gap recovery: Asterisk's queue_log read after every (re)connect to backfill what
the daemon missed, and on a timer as the running cross-check of its counts."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import structlog

from callcenter.core.core import Core
from callcenter.core.feature import AmiHandler, Contribution, Job
from callcenter.recovery import jobs
from callcenter.recovery.ami import QueueLogStream
from callcenter.recovery.backfill import QueueLogReader
from callcenter.recovery.settings import RecoverySettings

log = structlog.get_logger("callcenter.recovery")


def wire(core: Core) -> Contribution:
    """One reader per server whose `queue_log` path is set, each on that server's
    reconnects and on its own timer."""
    settings = core.config.get(RecoverySettings)
    handlers: dict[str, list[AmiHandler]] = {}
    timed: list[Job] = []
    for server in core.servers.values():
        path = server.settings.queue_log
        if not path:
            log.info("queue_log.off", server=server.name,
                     detail="[ami] queue_log is empty: no gap recovery")
            continue
        reader = QueueLogReader(core, Path(path), settings, server)
        handlers[server.name] = [QueueLogStream(reader)]
        timed.append(Job(reader.part.replace("queue_log", "queue-log", 1),
                         settings.read_interval_s, partial(jobs.follow, reader)))
    return Contribution(server_handlers=handlers, jobs=timed)
