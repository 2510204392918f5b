"""Active/standby on PostgreSQL: the daemon that holds the cluster's advisory lock
leads (dials, sends webhooks, runs the scheduled jobs and its own AMI actions); the
others follow AMI, write and serve pages and FastAGI, ready to take over."""

from callcenter.cluster.settings import ClusterSection
from callcenter.core.feature import Feature

FEATURE = Feature("cluster", sections=(ClusterSection,), wiring="callcenter.cluster.wiring")
