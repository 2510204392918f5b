"""Supervisors' reports (issue 12): the KPIs per queue and per agent in 15-minute
intervals, added to as calls complete and rolled up to hours, days, weeks and months
in the center's time zone; `callcenter report queues|agents`."""

from callcenter.core.feature import Feature
from callcenter.reports.settings import ReportSettings

FEATURE = Feature("reports", sections=(ReportSettings,), wiring="callcenter.reports.wiring",
                  cli="callcenter.reports.cli")
