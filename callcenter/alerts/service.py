"""Writing alert transitions.  Each function runs inside the caller's transaction
and returns the transition, so the shell can push it once the row is committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, select, update

from callcenter.domain.alerts import AlertChange, AlertTransition
from callcenter.store import models as m
from callcenter.store.upsert import insert_for


def raise_alert(conn: Any, kind: str, level: str, message: str, at: float, *, ref: str = "",
                change: AlertChange = AlertChange.RAISED) -> AlertTransition:
    alert_id = conn.execute(insert(m.Alert).values(
        kind=kind, level=level, message=message, raised_at=at, ref=ref)
        .returning(m.Alert.id)).scalar_one()
    return AlertTransition(alert_id, kind, level, change, message, at, ref)


def raise_once(conn: Any, kind: str, level: str, message: str, at: float, *,
               ref: str) -> AlertTransition | None:
    """Raise the alert about `ref` unless it was ever raised (None then)."""
    alert_id = conn.execute(insert_for(conn, m.Alert).values(
        kind=kind, level=level, message=message, raised_at=at, ref=ref)
        .on_conflict_do_nothing(index_elements=["kind", "ref"], index_where=m.Alert.ref != "")
        .returning(m.Alert.id)).scalar()
    if alert_id is None:
        return None
    return AlertTransition(alert_id, kind, level, AlertChange.RAISED, message, at, ref)


def clear_alert(conn: Any, alert_id: int, at: float) -> AlertTransition | None:
    row = conn.execute(select(m.Alert).where(m.Alert.id == alert_id,
                                             m.Alert.cleared_at.is_(None))).one_or_none()
    if row is None:
        return None
    conn.execute(update(m.Alert).where(m.Alert.id == alert_id).values(cleared_at=at))
    return AlertTransition(row.id, row.kind, row.level, AlertChange.CLEARED, row.message, at,
                           row.ref)


def open_alert_id(conn: Any, kind: str, ref: str = "") -> int | None:
    found: int | None = conn.execute(select(m.Alert.id).where(
        m.Alert.kind == kind, m.Alert.ref == ref, m.Alert.cleared_at.is_(None))
        .order_by(m.Alert.id).limit(1)).scalar()
    return found


def acknowledge(engine: Engine, alert_id: int, at: float, by: str) -> AlertTransition | None:
    """First acknowledgement wins; acknowledging twice changes nothing."""
    with engine.begin() as conn:
        row = conn.execute(select(m.Alert).where(m.Alert.id == alert_id)).one_or_none()
        if row is None:
            return None
        if row.acknowledged_at is None:
            conn.execute(update(m.Alert).where(m.Alert.id == alert_id)
                         .values(acknowledged_at=at, acknowledged_by=by))
        return AlertTransition(row.id, row.kind, row.level, AlertChange.ACKNOWLEDGED,
                               row.message, row.acknowledged_at or at, row.ref)


def alert_row(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "level": row.level, "message": row.message,
            "raised_at": row.raised_at, "cleared_at": row.cleared_at,
            "acknowledged_at": row.acknowledged_at, "acknowledged_by": row.acknowledged_by,
            "ref": row.ref}


def list_alerts(engine: Engine, *, open_only: bool, limit: int = 100) -> list[dict[str, Any]]:
    query = select(m.Alert).order_by(m.Alert.raised_at.desc(), m.Alert.id.desc()).limit(limit)
    if open_only:
        query = query.where(m.Alert.cleared_at.is_(None))
    with engine.connect() as conn:
        return [alert_row(r) for r in conn.execute(query).all()]


def acknowledged_by(engine: Engine, alert_id: int) -> str | None:
    with engine.connect() as conn:
        by: str | None = conn.execute(select(m.Alert.acknowledged_by)
                                      .where(m.Alert.id == alert_id)).scalar()
    return by
