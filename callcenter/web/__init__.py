"""The web application: wallboard, agent desk, tickets, served by the daemon."""

from callcenter.core.feature import Feature
from callcenter.web.settings import WallboardSettings, WebSettings

FEATURE = Feature("web", sections=(WebSettings, WallboardSettings), wiring="callcenter.web.wiring")
