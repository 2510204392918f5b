"""A seeded month of interval figures (October 2026, Asia/Shanghai): three queues and
six agents, busy 08:00-20:00 with a morning and an afternoon peak, deterministic, so
pages, exports and the daily close have real figures to show; and (`seed_people`) the
month's complaints and ledger entries."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from callcenter.store import models as m
from callcenter.store import stat_models as sm
from callcenter.store.upsert import insert_for

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


# Complaints in the seeded month: (day, agent, kind, department, verdict, status).  李雷
# (PJSIP/1002) has three confirmed ones in October: flagged.
COMPLAINTS = (
    (3, "PJSIP/1002", "服务态度", "客服部", "confirmed", "closed"),
    (9, "PJSIP/1002", "服务态度", "客服部", "confirmed", "resolved"),
    (17, "PJSIP/1002", "业务差错", "营业部", "confirmed", "open"),
    (5, "PJSIP/1003", "服务态度", "客服部", "unfounded", "closed"),
    (12, "PJSIP/1003", "业务差错", "营业部", "confirmed", "closed"),
    (20, "PJSIP/1004", "其他", "", "", "open"),
    (28, None, "业务差错", "营业部", "", "resolved"),
)
FLAGGED = "PJSIP/1002"


def seed_people(engine: Engine) -> None:
    """Complaint tickets and ledger entries for the seeded month (the complaint table,
    complaints per agent with one flagged agent, the ledger and the quarter's bonus)."""
    rnd = random.Random(13)
    with engine.begin() as conn:
        for interface, name in AGENTS:  # their names (agents the test knows already kept)
            conn.execute(insert_for(conn, m.Agent).values(
                interface=interface, name=name, state="logged_out", since=MONTH_START)
                .on_conflict_do_nothing())
        for n, (day, about, kind, dept, verdict, status) in enumerate(COMPLAINTS, 1):
            at = MONTH_START + (day - 1) * 86400 + 10 * 3600 + n * 60
            phone = f"1380000{n:04d}"
            customer = conn.execute(insert(m.Customer).values(phone=phone, created_at=at)
                                    .returning(m.Customer.id)).scalar_one()
            owner, owner_name = AGENTS[n % len(AGENTS)]
            ticket = conn.execute(insert(m.Ticket).values(
                linkedid=f"seed-{n}", customer_id=customer, caller_phone=phone,
                owner_interface=owner, owner_name=owner_name, queue="complaints",
                opened_at=at, hold_s=12.0, ring_s=4.0, late_answer=False, calls_last_window=1,
                status=status, category="投诉", complaint_kind=kind, department=dept,
                about_agent=about, verdict=verdict, verdict_by="boss" if verdict else "",
                verdict_at=at + 3600 if verdict else None).returning(m.Ticket.id)).scalar_one()
            if verdict == "confirmed" and about:
                conn.execute(insert(m.PointsEntry).values(
                    agent_interface=about, points=-10, reason="complaint", ticket_id=ticket,
                    at=at + 3600, entered_by="boss", note=f"工单 #{ticket}"))
        for day in range(DAYS):
            for interface, _ in AGENTS:
                if rnd.random() < 0.15:
                    conn.execute(insert(m.PointsEntry).values(
                        agent_interface=interface, points=-5, reason="late_answer",
                        at=MONTH_START + day * 86400 + 9 * 3600 + rnd.randint(0, 36000)))
        conn.execute(insert(m.PointsEntry).values(
            agent_interface="PJSIP/1001", points=50, reason="praise_letter",
            at=MONTH_START + 14 * 86400 + 15 * 3600, entered_by="boss", note="表扬信"))
        manual = conn.execute(insert(m.PointsEntry).values(
            agent_interface="PJSIP/1005", points=-20, reason="manual",
            at=MONTH_START + 21 * 86400 + 11 * 3600, entered_by="boss", note="迟到")
            .returning(m.PointsEntry.id)).scalar_one()
        conn.execute(insert(m.PointsEntry).values(
            agent_interface="PJSIP/1005", points=20, reason="reversal", reverses_id=manual,
            at=MONTH_START + 22 * 86400 + 9 * 3600, entered_by="boss", note="录入有误"))
