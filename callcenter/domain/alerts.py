"""Alert transitions: what supervisors' pages and the webhooks are told.

An alert is raised once, may be escalated (a surge moving up a level), and is
cleared once; acknowledging it is a transition too (pages show who saw it), but
webhooks only carry raised, escalated and cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AlertChange(StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"
    CLEARED = "cleared"
    ACKNOWLEDGED = "acknowledged"


NOTIFIED_CHANGES = frozenset({AlertChange.RAISED, AlertChange.ESCALATED, AlertChange.CLEARED})


@dataclass(frozen=True, slots=True)
class AlertTransition:
    alert_id: int
    kind: str  # surge_level_1, ticket_overdue, ticket_supervision, callbacks_overdue, ...
    level: str  # info | warning | critical
    change: AlertChange
    message: str
    at: float
    ref: str = ""  # what it is about, e.g. "ticket:42"
