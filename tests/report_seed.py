"""A seeded month of interval figures (October 2026, Asia/Shanghai): three queues and
six agents, busy 08:00-20:00 with a morning and an afternoon peak, deterministic, so
pages, exports and the daily close have real figures to show."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from callcenter.store import stat_models as sm

TZ = ZoneInfo("Asia/Shanghai")
MONTH_START = datetime(2026, 10, 1, tzinfo=TZ).timestamp()
DAYS = 31
QUEUES = ("support", "complaints", "callback")
AGENTS = tuple((f"PJSIP/{1001 + i}", name) for i, name in
               enumerate(("王芳", "李雷", "张伟", "刘洋", "陈静", "=cmd|' /C calc'!A0")))


def seed_month(engine: Engine) -> None:
    rnd = random.Random(12)
    queue_rows, agent_rows = [], []
    for i in range(DAYS * 96):
        start = MONTH_START + i * 900
        hour = (i % 96) / 4
        if not 8 <= hour < 20:
            continue
        peak = 2.0 if 9 <= hour < 11 or 14 <= hour < 16 else 1.0
        for q, queue in enumerate(QUEUES):
            offered = int(rnd.randint(4, 9) * peak / (q + 1)) + 1
            abandoned = rnd.randint(0, 2) if offered > 3 else 0
            short = rnd.randint(0, 1) if offered - abandoned > 2 else 0
            timeouts = 1 if rnd.random() < 0.05 and offered - abandoned - short > 1 else 0
            answered = offered - abandoned - short - timeouts
            in_sl = max(0, answered - rnd.randint(0, 2))
            queue_rows.append({
                "start": start, "queue": queue, "offered": offered, "answered": answered,
                "answered_in_sl": in_sl, "answered_in_rings": max(0, answered - rnd.randint(0, 1)),
                "abandoned": abandoned, "abandoned_in_sl": min(abandoned, 1),
                "short_abandoned": short, "timeouts": timeouts, "exit_key": 0, "exit_empty": 0,
                "wait_answered_s": answered * rnd.uniform(6, 25),
                "wait_s": offered * rnd.uniform(8, 30), "longest_wait_s": rnd.uniform(20, 90),
                "handled": answered, "talk_s": answered * rnd.uniform(120, 240),
                "wrapup_s": answered * 5.0})
        for interface, name in AGENTS:
            answered = rnd.randint(1, 4)
            talk = answered * rnd.uniform(120, 200)
            paused = rnd.choice((0.0, 0.0, 60.0, 120.0))
            agent_rows.append({
                "start": start, "interface": interface, "name": name, "answered": answered,
                "missed_rings": int(rnd.random() < 0.1), "violations": int(rnd.random() < 0.05),
                "talk_s": talk, "wrapup_s": answered * 5.0, "paused_s": paused,
                "logged_in_s": 900.0, "available_s": max(0.0, 900.0 - talk - answered * 5 - paused)})
    with engine.begin() as conn:
        conn.execute(insert(sm.StatQueueInterval), queue_rows)
        conn.execute(insert(sm.StatAgentInterval), agent_rows)
