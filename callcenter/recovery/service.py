"""Database work of gap recovery: the queue_log checkpoint, what the store holds about
the calls queue_log names, the calls the cross-check compares, and its alerts.
Synchronous (run in worker threads)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select

from callcenter.alerts import service as alerts
from callcenter.domain.alerts import AlertTransition, Wording
from callcenter.domain.cross_check import Mismatch, StoredOutcome
from callcenter.domain.gap_recovery import Stored, StoredCall, StoredViolation
from callcenter.recovery.tail import Position
from callcenter.store import models as m
from callcenter.store.upsert import insert_for

MISMATCH = "queue_log_mismatch"  # the alert's kind
_CHUNK = 500  # ids per IN (...): well under every database's bound on parameters
T = TypeVar("T")


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def load_checkpoint(engine: Engine, server: str,
                    formerly: str | None = None) -> tuple[Position, float | None] | None:
    """How far this server's queue_log was read; `formerly`: the name its row may
    still have (the first server's: `default`, from before the servers had names)."""
    names = [server] if formerly is None or formerly == server else [server, formerly]
    with engine.connect() as conn:
        rows = {r.server: r for r in conn.execute(select(m.QueueLogCheckpoint)
                                                  .where(m.QueueLogCheckpoint.server.in_(names)))}
    row = next((rows[n] for n in names if n in rows), None)
    if row is None:
        return None
    return Position(row.device, row.inode, row.head, row.read_offset), row.last_entry_at


def save_checkpoint(engine: Engine, server: str, path: str, position: Position, *,
                    last_entry_at: float | None, now: float) -> None:
    values = {"path": path[:500], "device": position.device, "inode": position.inode,
              "head": position.head, "read_offset": position.offset,
              "last_entry_at": last_entry_at, "updated_at": now}
    with engine.begin() as conn:
        conn.execute(insert_for(conn, m.QueueLogCheckpoint).values(server=server, **values)
                     .on_conflict_do_update(index_elements=["server"], set_=values))


def stored(engine: Engine, callids: set[str], live_agents: Mapping[str, str]) -> Stored:
    """What the store holds about these callers: their calls (by Uniqueid), their
    tickets and violations (by Linkedid), and every agent's interface by name."""
    calls: dict[tuple[str, str], StoredCall] = {}
    with engine.connect() as conn:
        for batch in _chunks(sorted(callids)):
            for r in conn.execute(select(m.Call.uniqueid, m.Call.queue, m.Call.linkedid,
                                         m.Call.outcome, m.Call.ended_at, m.Call.caller_phone)
                                  .where(m.Call.uniqueid.in_(batch))):
                calls[r.uniqueid, r.queue] = StoredCall(r.linkedid, r.outcome,
                                                        r.ended_at is not None, r.caller_phone)
        # A caller nothing was stored about: its Linkedid is its own Uniqueid.
        linkedids = {c.linkedid for c in calls.values()} | callids
        tickets: set[str] = set()
        violations: list[StoredViolation] = []
        for batch in _chunks(sorted(linkedids)):
            tickets.update(conn.execute(select(m.Ticket.linkedid)
                                        .where(m.Ticket.linkedid.in_(batch))).scalars())
            violations += [StoredViolation(v.leg_uniqueid, v.linkedid, v.agent_interface,
                                           v.agent_name, v.raised_at, v.settled)
                           for v in conn.execute(select(m.Violation)
                                                 .where(m.Violation.linkedid.in_(batch)))]
        agents = {a.name: a.interface for a in conn.execute(
            select(m.Agent.name, m.Agent.interface).order_by(m.Agent.interface.desc()))}
    agents.update(live_agents)
    return Stored(calls, frozenset(tickets), tuple(violations), agents)


def stored_outcomes(engine: Engine, start: float, end: float, callids: set[str],
                    margin_s: float, *, server: str | None = None) -> list[StoredOutcome]:
    """The stored calls answered or ended in and around an interval (on this server,
    when several share the store), and every call queue_log names in it."""
    found: dict[tuple[str, str], StoredOutcome] = {}
    columns = (m.Call.uniqueid, m.Call.queue, m.Call.outcome, m.Call.answered_at,
               m.Call.ended_at)
    lo, hi = start - margin_s, end + margin_s
    with engine.connect() as conn:
        around = select(*columns).where(or_(m.Call.answered_at.between(lo, hi),
                                            m.Call.ended_at.between(lo, hi)))
        if server is not None:
            around = around.where(m.Call.server == server)
        rows: list[Any] = list(conn.execute(around))
        for batch in _chunks(sorted(callids)):
            rows += conn.execute(select(*columns).where(m.Call.uniqueid.in_(batch)))
    for r in rows:
        found[r.uniqueid, r.queue] = StoredOutcome(r.uniqueid, r.queue, r.outcome,
                                                   r.answered_at, r.ended_at)
    return list(found.values())


def _message(x: Mismatch, tz: ZoneInfo, where: str) -> Wording:
    span = (f"{datetime.fromtimestamp(x.start, tz):%m-%d %H:%M}-"
            f"{datetime.fromtimestamp(x.end, tz):%H:%M}")
    return Wording(f"呼叫记录核对不符：{x.queue}{where} {span} 接通 Asterisk {x.answered[0]} / "
                   f"系统 {x.answered[1]}，放弃 {x.abandoned[0]} / {x.abandoned[1]}",
                   f"Call records disagree with queue_log: {x.queue}{where} {span} answered "
                   f"{x.answered[0]} (Asterisk) vs {x.answered[1]} (stored), abandoned "
                   f"{x.abandoned[0]} vs {x.abandoned[1]}")


def record_check(engine: Engine, mismatches: Sequence[Mismatch], agreed: Iterable[str],
                 now: float, tz: ZoneInfo, *, server: str | None = None,
                 ) -> list[AlertTransition]:
    """One alert per queue (of this server, when named: `support@pbx2`) and interval
    that disagrees; a queue's open ones cleared once an interval of it agrees again."""
    where = f"@{server}" if server else ""
    changed: list[AlertTransition | None] = []
    with engine.begin() as conn:
        for x in mismatches:
            changed.append(alerts.raise_once(
                conn, MISMATCH, "warning", _message(x, tz, where), now,
                ref=f"queue_log:{x.queue}{where}:{int(x.start)}"[:80]))
        prefixes = tuple(f"queue_log:{q}{where}:" for q in agreed)
        if prefixes:
            for a in conn.execute(select(m.Alert.id, m.Alert.ref).where(
                    m.Alert.kind == MISMATCH, m.Alert.cleared_at.is_(None))):
                if a.ref.startswith(prefixes):
                    changed.append(alerts.clear_alert(conn, a.id, now))
    return [c for c in changed if c is not None]
