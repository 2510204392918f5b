"""Writing alert transitions.  Each function runs inside the caller's transaction
and returns the transition, so the shell can push it once the row is committed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, insert, select, update

from callcenter.domain.alerts import AlertChange, AlertTransition, Wording
from callcenter.store import models as m
from callcenter.store.upsert import insert_for
from callcenter.store.writer import SetAsideNote


def raise_alert(conn: Any, kind: str, level: str, message: Wording, at: float, *,
                ref: str = "", change: AlertChange = AlertChange.RAISED) -> AlertTransition:
    alert_id = conn.execute(insert(m.Alert).values(
        kind=kind, level=level, message=message.zh, message_en=message.en, raised_at=at,
        ref=ref).returning(m.Alert.id)).scalar_one()
    return AlertTransition(alert_id, kind, level, change, message.zh, at, ref, message.en)


def raise_once(conn: Any, kind: str, level: str, message: Wording, at: float, *,
               ref: str) -> AlertTransition | None:
    """Raise the alert about `ref` unless it was ever raised (None then)."""
    alert_id = conn.execute(insert_for(conn, m.Alert).values(
        kind=kind, level=level, message=message.zh, message_en=message.en, raised_at=at,
        ref=ref)
        .on_conflict_do_nothing(index_elements=["kind", "ref"], index_where=m.Alert.ref != "")
        .returning(m.Alert.id)).scalar()
    if alert_id is None:
        return None
    return AlertTransition(alert_id, kind, level, AlertChange.RAISED, message.zh, at, ref,
                           message.en)


def clear_alert(conn: Any, alert_id: int, at: float) -> AlertTransition | None:
    row = conn.execute(select(m.Alert).where(m.Alert.id == alert_id,
                                             m.Alert.cleared_at.is_(None))).one_or_none()
    if row is None:
        return None
    conn.execute(update(m.Alert).where(m.Alert.id == alert_id).values(cleared_at=at))
    return AlertTransition(row.id, row.kind, row.level, AlertChange.CLEARED, row.message, at,
                           row.ref, row.message_en)


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
                               row.message, row.acknowledged_at or at, row.ref, row.message_en)


def alert_row(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "level": row.level, "message": row.message,
            "message_en": row.message_en,
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


def set_aside_wording(note: SetAsideNote) -> Wording:
    what = f"{note.kind} {note.linkedid}".strip()
    if note.set_aside_id is not None:
        return Wording(f"记录写入失败（已留存 #{note.set_aside_id}）：{what}（{note.error}）",
                       f"Write failed (kept aside as #{note.set_aside_id}): {what} "
                       f"({note.error})")
    return Wording(f"记录写入失败，留存也失败，见日志：{what}（{note.error}）",
                   f"Write failed, and keeping it aside failed too (see the log): {what} "
                   f"({note.error})")


def raise_set_aside(engine: Engine, notes: Sequence[SetAsideNote], at: float) -> list[AlertTransition]:
    """One critical alert per outcome kept aside: a supervisor must look at it."""
    raised: list[AlertTransition] = []
    with engine.begin() as conn:
        for note in notes:
            what = f"{note.kind} {note.linkedid}".strip()
            t = raise_once(conn, "store_set_aside", "critical", set_aside_wording(note), at,
                           ref=f"set_aside:{note.set_aside_id or what}"[:80])
            if t is not None:
                raised.append(t)
    return raised


def set_aside_rows(engine: Engine, *, open_only: bool) -> list[dict[str, Any]]:
    query = select(m.SetAside).order_by(m.SetAside.id)
    if open_only:
        query = query.where(m.SetAside.resolved_at.is_(None))
    with engine.connect() as conn:
        return [{"id": r.id, "kind": r.kind, "linkedid": r.linkedid, "error": r.error,
                 "at": r.at, "resolved_at": r.resolved_at, "payload": r.payload}
                for r in conn.execute(query)]


def resolve_set_aside(engine: Engine, row_id: int, at: float) -> AlertTransition | None:
    """A supervisor dealt with it: marked resolved, and its alert cleared."""
    with engine.begin() as conn:
        done = conn.execute(update(m.SetAside).where(m.SetAside.id == row_id,
                                                     m.SetAside.resolved_at.is_(None))
                            .values(resolved_at=at)).rowcount
        if not done:
            return None
        alert_id = open_alert_id(conn, "store_set_aside", f"set_aside:{row_id}")
        return None if alert_id is None else clear_alert(conn, alert_id, at)
