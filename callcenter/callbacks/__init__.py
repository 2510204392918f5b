"""Callback campaigns (回访): contacts from tickets, spreadsheets and abandoned callers,
dialed through Originate inside the dialing windows, outcomes in the center's codes."""

from callcenter.callbacks.settings import CallbacksSection
from callcenter.core.feature import Feature

FEATURE = Feature("callbacks", sections=(CallbacksSection,), wiring="callcenter.callbacks.wiring",
                  cli="callcenter.callbacks.cli")
