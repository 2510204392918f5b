"""The `[surge]` section (高峰期人员配备应急预案) and the monitor's typed settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter import checks as ck
from callcenter.config import setting
from callcenter.domain.surge import SurgeSettings

_STANDARD = SurgeSettings()


def _strings(value: Any) -> str | None:
    return None if all(isinstance(v, str) for v in value) else "must be a list of strings"


@dataclass(frozen=True, slots=True)
class SurgeSection:
    SECTION: ClassVar[str] = "surge"
    scope: str = setting("total", ck.one_of("total", "per_queue"))
    level1_threshold: int = setting(_STANDARD.level1_threshold, ck.positive)
    level1_inclusive: bool = _STANDARD.level1_inclusive  # false: "more than 8"
    level2_threshold: int = setting(_STANDARD.level2_threshold, ck.positive)
    sustain_s: float = setting(_STANDARD.sustain_s, ck.positive)
    early_warning_s: float = setting(_STANDARD.early_warning_s, ck.positive)
    cooldown_s: float = setting(_STANDARD.cooldown_s, ck.positive)
    break_reasons: tuple[str, ...] = setting(("午休", "休息", "lunch", "break"), _strings)
    unpause_breaks: bool = False
    supervisors: tuple[str, ...] = setting((), _strings)
    supervisor_queues: tuple[str, ...] = setting(("support",), _strings)
    check_interval_s: float = setting(5.0, ck.positive)


@dataclass(frozen=True)
class SurgeConfig:
    thresholds: SurgeSettings
    scope: str
    break_reasons: tuple[str, ...]
    unpause_breaks: bool
    supervisors: tuple[str, ...]
    supervisor_queues: tuple[str, ...]
    check_interval_s: float


def surge_config(s: SurgeSection, sample_interval_s: float) -> SurgeConfig:
    return SurgeConfig(
        thresholds=SurgeSettings(
            level1_threshold=s.level1_threshold, level1_inclusive=s.level1_inclusive,
            level2_threshold=s.level2_threshold, sustain_s=s.sustain_s,
            early_warning_s=s.early_warning_s, cooldown_s=s.cooldown_s,
            # A hole longer than a few samples breaks a run (a daemon that was down).
            max_gap_s=max(_STANDARD.max_gap_s, 4 * sample_interval_s),
        ),
        scope=s.scope, break_reasons=s.break_reasons, unpause_breaks=s.unpause_breaks,
        supervisors=s.supervisors, supervisor_queues=s.supervisor_queues,
        check_interval_s=s.check_interval_s)
