"""The wiring list: every feature the daemon runs, in order.  Outcomes, alerts and
AMI messages reach features in this order; at shutdown they stop in reverse.  A new
feature is a folder with its declaration in `__init__.py`, added here."""

from __future__ import annotations

from callcenter import (
    agi,
    alerts,
    callbacks,
    cluster,
    complaints,
    desk,
    inbound,
    ledger,
    ops,
    outages,
    recordings,
    recovery,
    reports,
    spy,
    surge,
    tickets,
    users,
    web,
    webhooks,
)
from callcenter.ami.settings import AmiSettings
from callcenter.core.feature import Feature
from callcenter.core.settings import CenterSettings, DatabaseSettings, LogSettings

FEATURES: tuple[Feature, ...] = (
    cluster.FEATURE,  # first: in the standby mode the others are wired to a standby's gate
    inbound.FEATURE,
    recovery.FEATURE,  # after inbound: its backfill follows the QueueStatus resync
    tickets.FEATURE,
    complaints.FEATURE,  # after tickets, whose edits it judges
    ledger.FEATURE,
    reports.FEATURE,  # after inbound and recovery, whose outcomes it sums
    callbacks.FEATURE,
    agi.FEATURE,  # after tickets and callbacks: its scripts use both
    recordings.FEATURE,
    surge.FEATURE,
    alerts.FEATURE,
    webhooks.FEATURE,
    outages.FEATURE,
    ops.FEATURE,  # /healthz, /readyz, /metrics
    users.FEATURE,
    spy.FEATURE,
    web.FEATURE,
    desk.FEATURE,  # after inbound: it echoes member events the tracker has taken
)

CORE_SECTIONS = (AmiSettings, DatabaseSettings, CenterSettings, LogSettings)
SECTIONS = CORE_SECTIONS + tuple(s for f in FEATURES for s in f.sections)
