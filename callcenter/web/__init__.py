"""The web application: wallboard, agent desk, tickets, served by the daemon."""

from callcenter.core.feature import Feature
from callcenter.web.settings import WebSettings

FEATURE = Feature("web", sections=(WebSettings,), wiring="callcenter.web.wiring")
