"""The service standards' numbers the tracker needs, as one typed value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RingRules:
    ring_cadence_s: float = 5.0  # China: 1 s on, 4 s off
    max_rings: int = 3  # 振铃3声内接起
    late_answer_penalty: int = 5  # 响铃三声未接起,一次扣5分
    wrapup_s: float = 5.0  # after-call work; match queues.conf wrapuptime
    sample_interval_s: float = 5.0  # queue-length series resolution (<= 10 s)

    @property
    def ring_budget_s(self) -> float:
        """The 4th ring starts here: answering at or after it is late."""
        return self.ring_cadence_s * self.max_rings
