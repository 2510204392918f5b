"""The do-not-call list (不再回访): its SQL, every change kept in `dnc_audit` with who
made it and why (part of the feature's service, apart for size)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from callcenter.domain.phone import PhoneNumber, normalise
from callcenter.store import models as m
from callcenter.store.upsert import insert_for

REASON_MAX = 200


def audit(conn: Connection, phone: str, action: str, *, reason: str, by: str, now: float) -> None:
    conn.execute(insert(m.DncAudit).values(phone=phone, action=action,
                                           reason=reason[:REASON_MAX], by_user=by, at=now))


def dnc_add(engine: Engine, phone: PhoneNumber, reason: str, now: float, by: str = "") -> str:
    """On the list (once); the number's pending contacts are cancelled."""
    number = phone.digits
    with engine.begin() as conn:
        added = conn.execute(insert_for(conn, m.DoNotCall).values(
            phone=number, reason=reason[:REASON_MAX], added_at=now
        ).on_conflict_do_nothing()).rowcount
        if added:
            audit(conn, number, "add", reason=reason, by=by, now=now)
        conn.execute(update(m.Contact).where(m.Contact.phone == number,
                                             m.Contact.status == "pending")
                     .values(status="cancelled", last_outcome="refused"))
    return number


def dnc_remove(engine: Engine, phone: str, reason: str = "", now: float | None = None,
               by: str = "") -> bool:
    number = normalise(phone)
    with engine.begin() as conn:
        removed = bool(conn.execute(delete(m.DoNotCall)
                                    .where(m.DoNotCall.phone == number)).rowcount)
        if removed and now is not None:
            audit(conn, number, "remove", reason=reason, by=by, now=now)
    return removed


def _iso(at: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, tz).isoformat(timespec="seconds")


def dnc_list(engine: Engine, tz: ZoneInfo, *, offset: int = 0,
             limit: int | None = None) -> list[dict[str, Any]]:
    query = select(m.DoNotCall).order_by(m.DoNotCall.added_at, m.DoNotCall.phone).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [{"phone": d.phone, "reason": d.reason, "added_at": _iso(d.added_at, tz)}
                for d in conn.execute(query)]


def dnc_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(m.DoNotCall)).scalar_one())


def dnc_audit(engine: Engine, tz: ZoneInfo, limit: int = 200) -> list[dict[str, Any]]:
    """The newest changes first."""
    with engine.connect() as conn:
        rows = conn.execute(select(m.DncAudit).order_by(m.DncAudit.id.desc()).limit(limit))
        return [{"phone": a.phone, "action": a.action, "reason": a.reason, "by": a.by_user,
                 "at": _iso(a.at, tz)} for a in rows]
