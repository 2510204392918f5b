"""The `[reports]` section: the KPI definitions' numbers and switches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from callcenter.checks import non_negative, positive
from callcenter.config import setting
from callcenter.domain.kpi import KpiRules, ServiceLevelTerms

_STANDARD = KpiRules()
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

    @property
    def rules(self) -> KpiRules:
        return KpiRules(self.sl_threshold_s, self.short_abandon_s, ServiceLevelTerms(
            abandoned=self.sl_count_abandoned, short_abandoned=self.sl_count_short_abandoned,
            timeouts=self.sl_count_timeouts, exits=self.sl_count_exits,
            abandoned_in_sl_met=self.sl_abandoned_in_sl_met))
