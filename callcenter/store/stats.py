"""Adding `FiguresAdded` to the interval tables: once per fact (its key is recorded in
`stat_keys` in the same transaction; a key already there adds nothing), by an
additive upsert (sums add, the longest wait takes the larger)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, case, delete

from callcenter.domain import outcomes as oc
from callcenter.domain.kpi import MAXIMA
from callcenter.store import stat_models as sm
from callcenter.store.upsert import insert_for

_CONFLICT = {"queue": ["start", "queue"], "agent": ["start", "interface"],
             "pause": ["start", "interface", "reason"]}


def fact_key(o: oc.FiguresAdded) -> str:
    return hashlib.sha1(f"{o.scope}\x00{o.name}\x00{o.key}".encode(),
                        usedforsecurity=False).hexdigest()


def add_figures(s: Connection, o: oc.FiguresAdded) -> None:
    table = sm.SCOPES.get(o.scope)
    if table is None:
        return
    columns = table.__table__.c
    figures = {k: v for k, v in o.figures.items() if k in columns and k not in _CONFLICT[o.scope]}
    if not figures:
        return
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here.
    added = s.execute(insert_for(s, sm.StatKey).values(key=fact_key(o), at=o.start)
                      .on_conflict_do_nothing().returning(sm.StatKey.key)).first()
    if added is None:
        return  # added before (a replayed batch, a queue_log line read again)
    keys: dict[str, Any] = {"start": o.start}
    if o.scope == "queue":
        keys["queue"] = o.name
    else:
        keys["interface"] = o.name
        keys["reason" if o.scope == "pause" else "name"] = o.label
    statement = insert_for(s, table).values(**keys, **figures)
    excluded = statement.excluded
    set_: dict[str, Any] = {}
    for name in figures:
        if name in MAXIMA:
            set_[name] = case((excluded[name] > columns[name], excluded[name]),
                              else_=columns[name])
        else:
            set_[name] = columns[name] + excluded[name]
    if o.scope == "agent" and o.label:
        set_["name"] = excluded["name"]
    s.execute(statement.on_conflict_do_update(index_elements=_CONFLICT[o.scope], set_=set_))


def prune_keys(s: Connection, before: float) -> int:
    """Forget the keys of facts older than any replay can bring back."""
    return int(s.execute(delete(sm.StatKey).where(sm.StatKey.at < before)).rowcount)
