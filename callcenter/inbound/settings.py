"""The `[rules]` and `[storage]` sections: the service standards' numbers the tracker
applies, with the standard's defaults (callcenter.domain.rules holds them once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter.checks import non_negative, positive
from callcenter.config import setting
from callcenter.domain.rules import RingRules

_STANDARD = RingRules()


def _sample(value: Any) -> str | None:
    return None if 0 < value <= 10 else "must be between 0 and 10 seconds"


@dataclass(frozen=True, slots=True)
class RulesSettings:
    SECTION: ClassVar[str] = "rules"
    ring_cadence_s: float = setting(_STANDARD.ring_cadence_s, positive)
    max_rings: int = setting(_STANDARD.max_rings, positive)
    late_answer_penalty: int = setting(_STANDARD.late_answer_penalty, non_negative)
    wrapup_s: float = setting(_STANDARD.wrapup_s, non_negative)
    repeat_caller_window_days: int = setting(7, positive)
    # Bounds on what the tracker remembers of calls whose end it never saw.
    call_retention_s: float = setting(_STANDARD.call_retention_s, positive)
    call_retention_max: int = setting(_STANDARD.call_retention_max, positive)
    ring_stale_s: float = setting(_STANDARD.ring_stale_s, positive)
    waiting_stale_s: float = setting(_STANDARD.waiting_stale_s, positive)


@dataclass(frozen=True, slots=True)
class StorageSettings:
    SECTION: ClassVar[str] = "storage"
    queue_sample_interval_s: float = setting(_STANDARD.sample_interval_s, _sample)


def ring_rules(rules: RulesSettings, storage: StorageSettings) -> RingRules:
    return RingRules(ring_cadence_s=rules.ring_cadence_s, max_rings=rules.max_rings,
                     late_answer_penalty=rules.late_answer_penalty, wrapup_s=rules.wrapup_s,
                     sample_interval_s=storage.queue_sample_interval_s,
                     call_retention_s=rules.call_retention_s,
                     call_retention_max=rules.call_retention_max,
                     ring_stale_s=rules.ring_stale_s, waiting_stale_s=rules.waiting_stale_s)
