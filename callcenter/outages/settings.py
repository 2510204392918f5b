"""The `[outages]` section: how long each part may be down before a person is told
(网络、设备、电力故障: 报告系统管理员), and where the status file is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from callcenter.checks import non_negative, positive
from callcenter.config import setting


@dataclass(frozen=True, slots=True)
class OutageSettings:
    SECTION: ClassVar[str] = "outages"
    ami_alert_after_s: float = setting(30.0, non_negative)  # link down or login refused
    database_alert_after_s: float = setting(10.0, non_negative)
    writer_alert_after_s: float = setting(0.0, non_negative)  # restarting at all is news
    journal_alert_after_s: float = setting(0.0, non_negative)
    queue_log_alert_after_s: float = setting(60.0, non_negative)
    other_alert_after_s: float = setting(30.0, non_negative)
    # "" = next to the SQLite database, else /var/lib/callcenter/status.json
    status_file: str = ""
    status_interval_s: float = setting(5.0, positive)

    def alert_after_s(self, part: str) -> float:
        delays = {"ami": self.ami_alert_after_s, "database": self.database_alert_after_s,
                  "writer": self.writer_alert_after_s, "journal": self.journal_alert_after_s,
                  "queue_log": self.queue_log_alert_after_s}
        # `ami:pbx2`: one of several Asterisk servers, each alerted on its own.
        return delays.get(part.partition(":")[0], self.other_alert_after_s)


def status_path(settings: OutageSettings, database_url: str) -> Path:
    if settings.status_file:
        return Path(settings.status_file)
    if database_url.startswith("sqlite:///"):
        return Path(database_url.removeprefix("sqlite:///")).with_suffix(".status.json")
    return Path("/var/lib/callcenter/status.json")
