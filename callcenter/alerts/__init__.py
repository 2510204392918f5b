"""Alerts: stored rows whose every transition is also pushed to pages and webhooks."""

from callcenter.core.feature import Feature

FEATURE = Feature("alerts", wiring="callcenter.alerts.wiring", cli="callcenter.alerts.cli")
