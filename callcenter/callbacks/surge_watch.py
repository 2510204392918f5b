"""The surge monitor's shell: reads the stored queue-length series, asks the pure
monitor, stores transitions with their evidence, raises and clears alerts, and
carries out the standard's measures (pause callbacks, call in agents on a break,
bring supervisors into the queue at level 2)."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import Engine, insert, select

from callcenter.alerts import store as alerts
from callcenter.ami.client import AmiClient
from callcenter.callbacks.settings import SurgeConfig
from callcenter.domain.alerts import AlertChange, AlertTransition
from callcenter.domain.clock import Clock
from callcenter.domain.outcomes import AgentState
from callcenter.domain.surge import Sample, SurgeLevel, SurgeMonitor, SurgeTransition
from callcenter.domain.tracker import Tracker
from callcenter.errors import AmiError
from callcenter.store import models as m

log = structlog.get_logger("callcenter.surge")

ALERT_KIND = {SurgeLevel.EARLY_WARNING: "surge_early_warning", SurgeLevel.LEVEL_1: "surge_level_1",
              SurgeLevel.LEVEL_2: "surge_level_2"}
ALERT_LEVEL = {SurgeLevel.EARLY_WARNING: "info", SurgeLevel.LEVEL_1: "warning",
               SurgeLevel.LEVEL_2: "critical"}


def _span(seconds: float) -> str:
    return f"{seconds / 60:g} 分钟" if seconds >= 60 else f"{seconds:g} 秒"


def load_series(engine: Engine, since: float, bucket_s: float, scope: str) -> list[Sample]:
    """The queue-length series: the center's total (queues summed per time bucket),
    or the busiest queue when the scope is per_queue."""
    with engine.connect() as conn:
        rows = conn.execute(select(m.QueueSample.queue, m.QueueSample.at, m.QueueSample.waiting)
                            .where(m.QueueSample.at >= since).order_by(m.QueueSample.at)).all()
    buckets: dict[int, dict[str, tuple[float, int]]] = defaultdict(dict)
    for queue, at, waiting in rows:
        buckets[int(at // bucket_s)][queue] = (at, waiting)
    samples = []
    for key in sorted(buckets):
        per_queue = buckets[key].values()
        at = max(a for a, _ in per_queue)
        waiting = (sum(w for _, w in per_queue) if scope == "total"
                   else max(w for _, w in per_queue))
        samples.append(Sample(at, waiting))
    return samples


class SurgeWatch:
    def __init__(self, engine: Engine, config: SurgeConfig, *, ami: AmiClient, tracker: Tracker,
                 clock: Clock, bucket_s: float,
                 on_alerts: Callable[[list[AlertTransition]], None] = lambda _: None) -> None:
        self.engine = engine
        self.on_alerts = on_alerts
        self.config = config
        self.ami = ami
        self.tracker = tracker
        self.clock = clock
        self.bucket_s = bucket_s
        self.monitor = SurgeMonitor(config.thresholds, self._stored_level())

    @property
    def callbacks_paused(self) -> bool:
        return self.monitor.callbacks_paused

    def _stored_level(self) -> SurgeLevel:
        with self.engine.connect() as conn:
            level = conn.execute(select(m.SurgeTransitionRow.level)
                                 .order_by(m.SurgeTransitionRow.at.desc(),
                                           m.SurgeTransitionRow.id.desc()).limit(1)).scalar()
        return SurgeLevel(level) if level is not None else SurgeLevel.NORMAL

    async def check(self) -> SurgeTransition | None:
        now = self.clock.now()
        samples = await asyncio.to_thread(load_series, self.engine, now - self.monitor.window_s(),
                                          self.bucket_s, self.config.scope)
        transition = self.monitor.evaluate(samples, now)
        if transition is None:
            return None
        log.info("surge.transition", previous=transition.previous.name,
                 level=transition.level.name, waiting=transition.waiting)
        message = self._message(transition)  # reads the tracker: on the loop, not in the thread
        changed = await asyncio.to_thread(self._store, transition, message)
        self.on_alerts(changed)
        await self._act(transition)
        return transition

    def _store(self, t: SurgeTransition, message: str) -> list[AlertTransition]:
        changed: list[AlertTransition | None] = []
        with self.engine.begin() as conn:
            conn.execute(insert(m.SurgeTransitionRow).values(
                scope=self.config.scope, previous=int(t.previous), level=int(t.level), at=t.at,
                waiting=t.waiting,
                evidence=json.dumps([[s.at, s.waiting] for s in t.evidence])))
            # One open alert per level at most: clear those above the new level.
            for level, kind in ALERT_KIND.items():
                if level > t.level:
                    ids = conn.execute(select(m.Alert.id).where(
                        m.Alert.kind == kind, m.Alert.cleared_at.is_(None))).scalars().all()
                    changed.extend(alerts.clear_alert(conn, i, t.at) for i in ids)
            if t.level > t.previous and t.level in ALERT_KIND:
                change = (AlertChange.ESCALATED if t.previous > SurgeLevel.NORMAL
                          else AlertChange.RAISED)
                changed.append(alerts.raise_alert(conn, ALERT_KIND[t.level], ALERT_LEVEL[t.level],
                                                  message, t.at, change=change))
        return [c for c in changed if c is not None]

    def _message(self, t: SurgeTransition) -> str:
        th = self.config.thresholds
        if t.level is SurgeLevel.EARLY_WARNING:
            return (f"排队预警: {t.waiting} 人排队, 已持续 {_span(th.early_warning_s)} "
                    f"(early warning: {t.waiting} waiting)")
        if t.level is SurgeLevel.LEVEL_1:
            on_break = self._agents_on_break()
            names = ", ".join(a.name for a in on_break) or "-"
            return (f"一级高峰: 排队 {t.waiting} 人已持续 {_span(th.sustain_s)}, 停止回拨, "
                    f"暂停工间休息; 请返回: {names} (level 1: callbacks paused)")
        return (f"二级高峰: 排队 {t.waiting} 人已持续 {_span(th.sustain_s)}, 主管和所有坐席接线 "
                f"(level 2: all hands)")

    def _agents_on_break(self) -> list[Any]:
        reasons = {r.lower() for r in self.config.break_reasons}
        return [a for a in self.tracker.agents.values()
                if self.tracker.state_of(a) is AgentState.PAUSED
                and a.paused_reason.lower() in reasons]

    async def _act(self, t: SurgeTransition) -> None:
        try:
            if t.level >= SurgeLevel.LEVEL_1 > t.previous and self.config.unpause_breaks:
                for agent in self._agents_on_break():
                    for queue in agent.memberships:
                        await self.ami.action({"Action": "QueuePause", "Queue": queue,
                                               "Interface": agent.interface, "Paused": "false",
                                               "Reason": "surge"})
            if t.level == SurgeLevel.LEVEL_2 > t.previous:
                for interface in self.config.supervisors:
                    for queue in self.config.supervisor_queues:
                        await self.ami.action({"Action": "QueueAdd", "Queue": queue,
                                               "Interface": interface, "Paused": "false"})
            if t.previous == SurgeLevel.LEVEL_2 > t.level:
                for interface in self.config.supervisors:
                    for queue in self.config.supervisor_queues:
                        await self.ami.action({"Action": "QueueRemove", "Queue": queue,
                                               "Interface": interface})
        except AmiError as exc:
            log.warning("surge.action_failed", error=str(exc))


def current(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(m.SurgeTransitionRow).order_by(
            m.SurgeTransitionRow.at.desc(), m.SurgeTransitionRow.id.desc()).limit(1)).one_or_none()
        waiting = conn.execute(select(m.QueueLive.waiting)).scalars().all()
    level = SurgeLevel(row.level) if row else SurgeLevel.NORMAL
    return surge_view(level, row.at if row else None, sum(waiting))


def surge_view(level: SurgeLevel, since: float | None, waiting: int) -> dict[str, Any]:
    """The surge state as the CLI and the wallboard banner show it."""
    return {"level": level.name.lower(), "since": since, "waiting": waiting,
            "callbacks_paused": level >= SurgeLevel.LEVEL_1}
