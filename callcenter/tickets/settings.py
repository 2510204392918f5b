"""The `[tickets]` section: the ticket workflow's deadlines (SERVICE_STANDARDS 2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from callcenter.checks import deadline_rule, positive
from callcenter.config import setting
from callcenter.domain.ticket_rules import TicketRules

_STANDARD = TicketRules()


@dataclass(frozen=True, slots=True)
class TicketSettings:
    SECTION: ClassVar[str] = "tickets"
    complaint_callback: str = setting(_STANDARD.complaint_callback, deadline_rule)
    dispatch_accept_s: float = setting(_STANDARD.dispatch_accept_s, positive)
    review_s: float = setting(_STANDARD.review_s, positive)
    check_interval_s: float = setting(30.0, positive)

    @property
    def rules(self) -> TicketRules:
        return TicketRules(complaint_callback=self.complaint_callback,
                           dispatch_accept_s=self.dispatch_accept_s, review_s=self.review_s)
