"""The surge monitor: a job that checks the stored queue-length series.  Its state
goes on the surge bus, first as stored (a restart resumes the level it was at), then
on every transition."""

from __future__ import annotations

from callcenter.core.core import Core
from callcenter.core.feature import Contribution, Job
from callcenter.inbound.settings import StorageSettings
from callcenter.surge import service
from callcenter.surge.jobs import SurgeWatch
from callcenter.surge.settings import SurgeSection, surge_config


def wire(core: Core) -> Contribution:
    bucket_s = core.config.get(StorageSettings).queue_sample_interval_s
    config = surge_config(core.config.get(SurgeSection), bucket_s)
    watch = SurgeWatch(core, config, bucket_s)

    def announce() -> None:
        core.surge.publish([service.current(core.engine)])

    return Contribution(jobs=[Job("surge", config.check_interval_s, watch.check)],
                        on_start=[announce])
