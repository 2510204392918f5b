"""The surge monitor (高峰期人员配备应急预案), computed from the stored queue-length
series, so a daemon restart at minute 29 does not start the 30 minutes again.

Level 1: more than 8 callers waiting, sustained for 30 minutes -> callbacks pause.
Level 2: 16 or more, sustained for 30 minutes -> all hands.
Early warning: level 1's condition held for 5 minutes.
Back to normal only after the count stayed at or under the level-1 threshold for
the cool-down (5 minutes): no flapping.  Every number is a setting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum


class SurgeLevel(IntEnum):
    NORMAL = 0
    EARLY_WARNING = 1
    LEVEL_1 = 2
    LEVEL_2 = 3


@dataclass(frozen=True, slots=True)
class SurgeState:
    """The surge level as the CLI and the wallboard banner show it."""

    level: SurgeLevel
    since: float | None
    waiting: int

    @property
    def callbacks_paused(self) -> bool:
        return self.level >= SurgeLevel.LEVEL_1

    def view(self) -> dict[str, object]:
        return {"level": self.level.name.lower(), "since": self.since, "waiting": self.waiting,
                "callbacks_paused": self.callbacks_paused}


@dataclass(frozen=True, slots=True)
class SurgeSettings:
    level1_threshold: int = 8
    level1_inclusive: bool = False  # the owner asks for "more than 8"
    level2_threshold: int = 16
    level2_inclusive: bool = True  # "16 or more"
    sustain_s: float = 1800.0  # 持续30分钟
    early_warning_s: float = 300.0
    cooldown_s: float = 300.0
    max_gap_s: float = 60.0  # a longer hole in the series breaks a run

    def over_level1(self, waiting: int) -> bool:
        t = self.level1_threshold
        return waiting >= t if self.level1_inclusive else waiting > t

    def over_level2(self, waiting: int) -> bool:
        t = self.level2_threshold
        return waiting >= t if self.level2_inclusive else waiting > t


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    waiting: int


@dataclass(frozen=True, slots=True)
class SurgeTransition:
    previous: SurgeLevel
    level: SurgeLevel
    at: float
    waiting: int
    evidence: tuple[Sample, ...]  # the samples that caused it


def held_since(samples: Sequence[Sample], holds: Callable[[int], bool],
               max_gap_s: float) -> float | None:
    """When the current unbroken run of samples satisfying `holds` began (None if
    the latest sample does not satisfy it)."""
    since: float | None = None
    previous_at: float | None = None
    for sample in reversed(samples):
        if not holds(sample.waiting):
            break
        if previous_at is not None and previous_at - sample.at > max_gap_s:
            break
        since = sample.at
        previous_at = sample.at
    return since


class SurgeMonitor:
    """Pure: give it the recent series and the time, get the level and transitions."""

    def __init__(self, settings: SurgeSettings, level: SurgeLevel = SurgeLevel.NORMAL) -> None:
        self.settings = settings
        self.level = level

    def window_s(self) -> float:
        """How much history `evaluate` needs."""
        s = self.settings
        return max(s.sustain_s, s.cooldown_s, s.early_warning_s) + s.max_gap_s

    def target_level(self, samples: Sequence[Sample], now: float) -> SurgeLevel:
        s = self.settings
        if not samples or now - samples[-1].at > s.max_gap_s:
            return self.level  # no fresh data: change nothing
        l2 = held_since(samples, s.over_level2, s.max_gap_s)
        if l2 is not None and now - l2 >= s.sustain_s:
            return SurgeLevel.LEVEL_2
        l1 = held_since(samples, s.over_level1, s.max_gap_s)
        if l1 is not None and now - l1 >= s.sustain_s:
            # Level 2 steps down only through the cool-down, like level 1: no flapping.
            return max(SurgeLevel.LEVEL_1, self.level)
        if self.level >= SurgeLevel.LEVEL_1:
            calm = held_since(samples, lambda w: not s.over_level1(w), s.max_gap_s)
            if calm is None or now - calm < s.cooldown_s:
                return self.level  # still cooling down
            return SurgeLevel.NORMAL
        if l1 is not None and now - l1 >= s.early_warning_s:
            return SurgeLevel.EARLY_WARNING
        return SurgeLevel.NORMAL

    def evaluate(self, samples: Sequence[Sample], now: float) -> SurgeTransition | None:
        target = self.target_level(samples, now)
        if target == self.level:
            return None
        previous, self.level = self.level, target
        horizon = now - self.window_s()
        evidence = tuple(x for x in samples if x.at >= horizon)
        return SurgeTransition(previous, target, now, samples[-1].waiting, evidence)

    @property
    def callbacks_paused(self) -> bool:
        return self.level >= SurgeLevel.LEVEL_1
