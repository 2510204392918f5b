"""The writer process: receives batches of outcomes, writes each in one transaction,
and answers how far it got.

It tells two kinds of failure apart.  The database *unreachable* (connection refused or
lost, server shutting down, its disk full): nothing is set aside or dropped, the reply
says how many outcomes are done and the parent keeps the rest and retries.  A *data*
error (the database refuses a row: a constraint, a missing table, a value it cannot
store): that outcome is retried alone and, if it still fails, kept in the `set_aside`
table with its error for a supervisor.  An OperationalError may be either (SQLite
reports "no such table" as one): a `SELECT 1` on a fresh connection decides.

This module is the spawned process's entry: it imports little before `run` has set
the group's signals aside."""

from __future__ import annotations

import dataclasses
import json
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from typing import Any

import structlog

from callcenter.domain.outcomes import Outcome

log = structlog.get_logger("callcenter.store")

# The terminal's Ctrl-C, systemd's stop and a closed terminal reach the whole process
# group.  Only the daemon decides when the writer stops, after draining, so the writer
# ignores them (the parent also starts it with them blocked, so they cannot land
# before this process gets here).
GROUP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Errors about the database's state, not the row: PostgreSQL's classes connection
# exception, insufficient resources (disk full), operator intervention (shutting
# down), system error; SQLite's busy, locked, I/O error, full, cannot open.
_SERVER_GONE_CLASSES = frozenset({"08", "53", "57", "58"})
_SQLITE_STORAGE_CODES = frozenset({5, 6, 10, 13, 14})
RETRIES = 3  # tries of one outcome alone before it is set aside
RETRY_PAUSES_S = (0.1, 0.5)  # between the tries: a lock or a blip may pass


@dataclass(frozen=True, slots=True)
class SetAsideNote:
    """An outcome the store could not write: what it was, and where it was kept."""

    kind: str
    linkedid: str
    error: str
    # Always set: an outcome that cannot even be set aside is not done (kept, retried).
    set_aside_id: int | None


@dataclass(frozen=True, slots=True)
class Reply:
    done: int  # outcomes from the head of the batch written or set aside, in order
    aside: list[SetAsideNote]
    unreachable: str = ""  # why the rest could not be written; "" when done is all of it


class _Unreachable(Exception):
    pass


def ignore_group_signals() -> None:
    for sig in GROUP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    # Ignored first, then unblocked: one that arrived while blocked is discarded.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, GROUP_SIGNALS)


def run(pipe: Pipe, database_url: str, repeat_window_s: float, log_level: str,
        log_prefix: bool = False) -> None:
    ignore_group_signals()
    # Imported here: this runs in the spawned writer process.
    from callcenter import logs  # noqa: PLC0415
    from callcenter.store.apply import Applier  # noqa: PLC0415
    from callcenter.store.db import engine_for  # noqa: PLC0415

    logs.configure(log_level, log_prefix)
    engine = engine_for(database_url)
    applier = Applier(repeat_window_s)
    while True:
        try:
            message = pipe.recv()
        except (EOFError, OSError):  # the daemon is gone: nobody to answer
            break
        if message is None:
            break
        batch, replay = message
        reply = _write(engine, applier, batch, replay)
        try:
            pipe.send(reply)
        except OSError:
            break
    engine.dispose()


def _write(engine: Any, applier: Any, batch: list[Outcome], replay: bool) -> Reply:
    from sqlalchemy import text  # noqa: PLC0415 - writer process only

    try:
        with engine.begin() as connection:
            if batch:
                applier.apply_batch(connection, batch, replay=replay)
            else:  # a probe: is the database there?
                connection.execute(text("SELECT 1"))
        return Reply(len(batch), [])
    except Exception as exc:
        why = unreachable(engine, exc)
        if why:
            engine.dispose()  # the pool's connections are dead: start afresh
            return Reply(0, [], why)
        log.warning("store.batch_failed", size=len(batch), error=_error_text(exc))
    aside: list[SetAsideNote] = []
    for done, outcome in enumerate(batch):
        try:
            error = _write_alone(engine, applier, outcome)
            if error is not None:
                aside.append(_set_aside(engine, outcome, error, replay=True))
        except _Unreachable as exc:
            engine.dispose()
            return Reply(done, aside, str(exc))
    return Reply(len(batch), aside)


def unreachable(engine: Any, exc: BaseException) -> str:
    """Why the database cannot be reached, or "" when `exc` is about the data."""
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError  # noqa: PLC0415

    if isinstance(exc, DisconnectionError | InterfaceError) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return _error_text(exc)
    if not isinstance(exc, OperationalError | OSError):
        return ""
    orig = getattr(exc, "orig", None)
    if str(getattr(orig, "sqlstate", None) or "")[:2] in _SERVER_GONE_CLASSES:
        return _error_text(exc)
    if (getattr(orig, "sqlite_errorcode", None) or 0) & 0xFF in _SQLITE_STORAGE_CODES:
        return _error_text(exc)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return _error_text(exc)
    return ""  # reachable: the statement itself failed


def _write_alone(engine: Any, applier: Any, outcome: Outcome) -> str | None:
    """Write one outcome, trying `RETRIES` times; the last error, or None when written.
    Raises _Unreachable when the database went away meanwhile."""
    error = ""
    for attempt in range(RETRIES):
        try:
            with engine.begin() as connection:
                applier.apply(connection, outcome, replay=True)
            return None
        except Exception as exc:
            why = unreachable(engine, exc)
            if why:
                raise _Unreachable(why) from exc
            error = _error_text(exc)
            if attempt < len(RETRY_PAUSES_S):
                time.sleep(RETRY_PAUSES_S[attempt])
    return error


def _set_aside(engine: Any, outcome: Outcome, error: str, *, replay: bool) -> SetAsideNote:
    """Keep the outcome in `set_aside`.  If even that fails, the outcome is not done:
    _Unreachable, so the parent keeps it and tries again later."""
    from sqlalchemy import insert, select  # noqa: PLC0415 - writer process only

    from callcenter.store import models as m  # noqa: PLC0415

    kind, linkedid = type(outcome).__name__, str(getattr(outcome, "linkedid", ""))[:64]
    payload = json.dumps(dataclasses.asdict(outcome), ensure_ascii=False, default=str)
    try:
        with engine.begin() as connection:
            # A batch re-sent after a crash may have set this one aside already.
            row_id = connection.execute(select(m.SetAside.id).where(
                m.SetAside.kind == kind, m.SetAside.linkedid == linkedid,
                m.SetAside.payload == payload, m.SetAside.resolved_at.is_(None))
                .limit(1)).scalar_one_or_none() if replay else None
            if row_id is None:
                row_id = connection.execute(insert(m.SetAside).values(
                    kind=kind, linkedid=linkedid, payload=payload, error=error, at=time.time())
                    .returning(m.SetAside.id)).scalar_one()
    except Exception as exc:
        log.error("store.set_aside_failed", outcome=kind, linkedid=linkedid,
                  error=_error_text(exc))
        raise _Unreachable(f"cannot set aside: {_error_text(exc)}") from exc
    log.error("store.set_aside", outcome=kind, linkedid=linkedid, set_aside_id=row_id,
              error=error)
    return SetAsideNote(kind, linkedid, error, int(row_id))


def _error_text(exc: BaseException) -> str:
    """The error's first line, without NUL (PostgreSQL refuses it in text) nor the
    SQL and bound values SQLAlchemy appends."""
    text = str(getattr(exc, "orig", None) or exc).split("\n", 1)[0]
    return f"{type(exc).__name__}: {text}".replace("\x00", "\\0")[:500]
