"""Inbound tracking: queues, agents, ring legs and the three-ring rule, live from AMI."""

from callcenter.core.feature import Feature
from callcenter.inbound.settings import RulesSettings, StorageSettings

FEATURE = Feature("inbound", sections=(RulesSettings, StorageSettings),
                  wiring="callcenter.inbound.wiring", cli="callcenter.inbound.cli")
