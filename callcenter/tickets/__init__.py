"""Tickets (工单): what agents record, the workflow's deadlines and their alerts."""

from callcenter.core.feature import Feature
from callcenter.tickets.settings import TicketSettings

FEATURE = Feature("tickets", sections=(TicketSettings,), wiring="callcenter.tickets.wiring",
                  cli="callcenter.tickets.cli")
