"""The surge monitor's database work: the stored queue-length series it reads, the
transitions it stores with their evidence, and the alerts they raise and clear."""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import Engine, insert, select

from callcenter.alerts import service as alerts
from callcenter.domain.alerts import AlertChange, AlertTransition, Wording
from callcenter.domain.surge import Sample, SurgeLevel, SurgeState, SurgeTransition
from callcenter.store import models as m

ALERT_KIND = {SurgeLevel.EARLY_WARNING: "surge_early_warning", SurgeLevel.LEVEL_1: "surge_level_1",
              SurgeLevel.LEVEL_2: "surge_level_2"}
ALERT_LEVEL = {SurgeLevel.EARLY_WARNING: "info", SurgeLevel.LEVEL_1: "warning",
               SurgeLevel.LEVEL_2: "critical"}


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


def stored_level(engine: Engine) -> SurgeLevel:
    """The level last stored: a restart resumes where the center was."""
    with engine.connect() as conn:
        level = conn.execute(select(m.SurgeTransitionRow.level)
                             .order_by(m.SurgeTransitionRow.at.desc(),
                                       m.SurgeTransitionRow.id.desc()).limit(1)).scalar()
    return SurgeLevel(level) if level is not None else SurgeLevel.NORMAL


def store_transition(engine: Engine, scope: str, t: SurgeTransition,
                     message: Wording) -> list[AlertTransition]:
    changed: list[AlertTransition | None] = []
    with engine.begin() as conn:
        conn.execute(insert(m.SurgeTransitionRow).values(
            scope=scope, previous=int(t.previous), level=int(t.level), at=t.at,
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


def current(engine: Engine) -> SurgeState:
    with engine.connect() as conn:
        row = conn.execute(select(m.SurgeTransitionRow).order_by(
            m.SurgeTransitionRow.at.desc(), m.SurgeTransitionRow.id.desc()).limit(1)).one_or_none()
        waiting = conn.execute(select(m.QueueLive.waiting)).scalars().all()
    level = SurgeLevel(row.level) if row else SurgeLevel.NORMAL
    return SurgeState(level, row.at if row else None, sum(waiting))
