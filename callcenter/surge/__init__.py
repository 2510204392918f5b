"""The surge monitor (高峰期人员配备应急预案): levels from the stored queue-length
series, alerts, and the standard's measures (pause callbacks, call in agents on a
break, bring supervisors into the queues)."""

from callcenter.core.feature import Feature
from callcenter.surge.settings import SurgeSection

FEATURE = Feature("surge", sections=(SurgeSection,), wiring="callcenter.surge.wiring",
                  cli="callcenter.surge.cli")
