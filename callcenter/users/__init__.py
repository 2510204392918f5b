"""Web users: supervisors and agents, each agent tied to a queue member."""

from callcenter.core.feature import Feature

FEATURE = Feature("users", wiring="callcenter.users.wiring", cli="callcenter.users.cli")
