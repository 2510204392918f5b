"""Alerts: stored rows whose every transition is also pushed to pages and webhooks."""
