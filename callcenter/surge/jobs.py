"""The surge check, every few seconds: the stored series through the pure monitor;
a transition is stored with its evidence, raises or clears alerts, goes on the surge
bus, and its measures are carried out."""

from __future__ import annotations

import asyncio

import structlog

from callcenter.core.core import Core
from callcenter.domain.alerts import Wording
from callcenter.domain.surge import (
    SurgeLevel,
    SurgeMonitor,
    SurgeSettings,
    SurgeState,
    SurgeTransition,
)
from callcenter.surge import service
from callcenter.surge.ami import carry_out
from callcenter.surge.settings import SurgeConfig

log = structlog.get_logger("callcenter.surge")


def _span(seconds: float) -> str:
    return f"{seconds / 60:g} 分钟" if seconds >= 60 else f"{seconds:g} 秒"


def _span_en(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def message(t: SurgeTransition, th: SurgeSettings, on_break: list[str]) -> Wording:
    """The alert's words: the level, how many wait and for how long, who to call back."""
    if t.level is SurgeLevel.EARLY_WARNING:
        return Wording(f"排队预警：{t.waiting} 人排队，已持续 {_span(th.early_warning_s)}",
                       f"Early warning: {t.waiting} callers waiting for "
                       f"{_span_en(th.early_warning_s)}")
    if t.level is SurgeLevel.LEVEL_1:
        return Wording(f"一级高峰：排队 {t.waiting} 人已持续 {_span(th.sustain_s)}，停止回拨，"
                       f"暂停工间休息；请返回：{'、'.join(on_break) or '无'}",
                       f"Level 1 surge: {t.waiting} callers waiting for "
                       f"{_span_en(th.sustain_s)}; callbacks and breaks paused; back to "
                       f"the phones: {', '.join(on_break) or 'nobody on a break'}")
    return Wording(f"二级高峰：排队 {t.waiting} 人已持续 {_span(th.sustain_s)}，主管和所有坐席接线",
                   f"Level 2 surge: {t.waiting} callers waiting for {_span_en(th.sustain_s)}; "
                   f"supervisors and every agent on the phones")


class SurgeWatch:
    def __init__(self, core: Core, config: SurgeConfig, bucket_s: float) -> None:
        self.core = core
        self.config = config
        self.bucket_s = bucket_s
        self.monitor = SurgeMonitor(config.thresholds, service.stored_level(core.engine))

    @property
    def callbacks_paused(self) -> bool:
        return self.monitor.callbacks_paused

    async def check(self) -> SurgeTransition | None:
        now = self.core.clock.now()
        samples = await asyncio.to_thread(service.load_series, self.core.engine,
                                          now - self.monitor.window_s(), self.bucket_s,
                                          self.config.scope)
        transition = self.monitor.evaluate(samples, now)
        if transition is None:
            return None
        log.info("surge.transition", previous=transition.previous.name,
                 level=transition.level.name, waiting=transition.waiting)
        # The live picture belongs to the event loop: read it here, not in the thread.
        on_break = self.core.live.agents_paused_for(self.config.break_reasons)
        words = message(transition, self.config.thresholds, [a.ref.name for a in on_break])
        changed = await asyncio.to_thread(service.store_transition, self.core.engine,
                                          self.config.scope, transition, words)
        self.core.alerts.publish(changed)
        self.core.surge.publish([SurgeState(transition.level, transition.at, transition.waiting)])
        await carry_out(self.core.ami_of, self.config, transition, on_break)
        return transition

