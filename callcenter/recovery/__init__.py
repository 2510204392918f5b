"""Gap recovery: Asterisk's queue_log read after every start and AMI reconnect to
backfill the calls the daemon did not see live, and kept reading as the running
cross-check of its counts."""

from callcenter.core.feature import Feature
from callcenter.recovery.settings import RecoverySettings

FEATURE = Feature("recovery", sections=(RecoverySettings,), wiring="callcenter.recovery.wiring")
