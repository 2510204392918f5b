"""The `[reports]` section: the KPI definitions' numbers and switches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any, ClassVar

from callcenter.checks import non_negative, positive
from callcenter.config import setting
from callcenter.domain.kpi import KpiRules, ServiceLevelTerms

_STANDARD = KpiRules()


def _hhmm(value: Any) -> str | None:
    try:
        time.fromisoformat(value)
    except (TypeError, ValueError):
        return "must be a local time like 08:30"
    return None


def _base_url(value: Any) -> str | None:
    ok = isinstance(value, str) and value.startswith(("http://", "https://"))
    return None if ok else "must be an http(s) URL (where supervisors open the pages)"

_TERMS = ServiceLevelTerms()


@dataclass(frozen=True, slots=True)
class ReportSettings:
    SECTION: ClassVar[str] = "reports"
    # Service level's T: answered within this many seconds of joining the queue.
    sl_threshold_s: float = setting(_STANDARD.sl_threshold_s, positive)
    # Callers who hang up sooner are short abandons: apart from abandons.
    short_abandon_s: float = setting(_STANDARD.short_abandon_s, non_negative)
    # Which exits count in service level's denominator (domain/kpi.py ServiceLevelTerms).
    sl_count_abandoned: bool = setting(_TERMS.abandoned)
    sl_count_short_abandoned: bool = setting(_TERMS.short_abandoned)
    sl_count_timeouts: bool = setting(_TERMS.timeouts)
    sl_count_exits: bool = setting(_TERMS.exits)
    sl_abandoned_in_sl_met: bool = setting(_TERMS.abandoned_in_sl_met)
    # How often agents' time in their current state is added to the intervals.
    close_interval_s: float = setting(60.0, positive)
    # Facts already added are remembered this long (any replay comes sooner).
    keys_kept_days: float = setting(7.0, positive)
    # The daily close (日结) of the previous day goes to the [webhooks] targets at this
    # local time (before the morning meeting); on the 1st, the previous month's report.
    close_enabled: bool = setting(True)
    close_at: str = setting("08:30", _hhmm)
    monthly_close: bool = setting(True)
    # How often the close's time is checked.
    close_check_interval_s: float = setting(60.0, positive)
    # The reports page's address in the close's link (the [web] server, or its proxy).
    page_base_url: str = setting("http://127.0.0.1:8080", _base_url)

    @property
    def close_time(self) -> time:
        return time.fromisoformat(self.close_at)

    @property
    def rules(self) -> KpiRules:
        return KpiRules(self.sl_threshold_s, self.short_abandon_s, ServiceLevelTerms(
            abandoned=self.sl_count_abandoned, short_abandoned=self.sl_count_short_abandoned,
            timeouts=self.sl_count_timeouts, exits=self.sl_count_exits,
            abandoned_in_sl_met=self.sl_abandoned_in_sl_met))
