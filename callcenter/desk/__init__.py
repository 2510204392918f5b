"""The agent desk's own parts: ticket drafts kept while typing, the agent's state
controls (pause with a reason, unpause, log in and out of queues, through AMI) and the
standard phrases (标准用语)."""

from callcenter.core.feature import Feature
from callcenter.desk.settings import DeskSettings

FEATURE = Feature("desk", sections=(DeskSettings,), wiring="callcenter.desk.wiring")
