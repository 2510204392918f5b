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


MESSAGE_MAX = 500  # the alerts.message columns' length


@dataclass(frozen=True, slots=True)
class Wording:
    """An alert's message in the center's two languages: Chinese (with full-width
    punctuation) for the Chinese pages, the CLI and the webhooks' groups, English for
    the English pages.  Each is clipped to the column."""

    zh: str
    en: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "zh", self.zh[:MESSAGE_MAX])
        object.__setattr__(self, "en", self.en[:MESSAGE_MAX])


@dataclass(frozen=True, slots=True)
class AlertTransition:
    alert_id: int
    kind: str  # surge_level_1, ticket_overdue, ticket_supervision, callbacks_overdue, ...
    level: str  # info | warning | critical
    change: AlertChange
    message: str  # Chinese
    at: float
    ref: str = ""  # what it is about, e.g. "ticket:42"
    message_en: str = ""
