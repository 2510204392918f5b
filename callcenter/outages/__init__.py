"""Outages told: the AMI link, the database, the store writer and its journal, and
Asterisk's queue_log each report their health; one down longer than its setting
raises an alert (pages, webhooks), cleared on recovery; `callcenter status` reads the
status file the daemon keeps."""

from callcenter.core.feature import Feature
from callcenter.outages.settings import OutageSettings

FEATURE = Feature("outages", sections=(OutageSettings,), wiring="callcenter.outages.wiring",
                  cli="callcenter.outages.cli")
