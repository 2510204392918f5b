"""PostgreSQL's part of the leadership: a session-level advisory lock on a
connection of its own (losing the connection is losing the lock), the epoch row
moved on by whoever takes it, and the fence a claim checks in its own transaction.
Synchronous: the elector runs these in worker threads, each under a deadline."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from callcenter.store.cluster_models import ClusterLeader

_ROW = 1


def lock_engine(url: str, detect_s: float, timeout_s: float) -> Engine:
    """An engine for the lock's connection: both ends give up on a silent peer within
    `detect_s` (PostgreSQL then ends the session, and the lock with it), and no query
    waits longer than `timeout_s`."""
    ms = max(1000, int(detect_s * 1000))
    idle = max(1, int(detect_s / 3))
    server = (f"-c statement_timeout={int(timeout_s * 1000)} -c tcp_keepalives_idle={idle} "
              f"-c tcp_keepalives_interval={idle} -c tcp_keepalives_count=2 "
              f"-c tcp_user_timeout={ms} -c application_name=callcenter-leader")
    return create_engine(
        make_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": max(1, int(timeout_s)), "keepalives": 1,
                      "keepalives_idle": idle, "keepalives_interval": idle,
                      "keepalives_count": 2, "tcp_user_timeout": ms, "options": server})


class LockSession:
    """One connection holding (or trying for) the lock.  Not thread-safe: the elector
    calls it from one worker thread at a time, and drops it after any failure."""

    def __init__(self, engine: Engine, key: int, node: str) -> None:
        self.engine = engine
        self.key = key
        self.node = node
        self._conn: Connection | None = None

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self.engine.connect()
        return self._conn

    def try_acquire(self, now: float) -> int | None:
        """Take the lock if free; then move the epoch on and return it (ours)."""
        conn = self._connection()
        if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar():
            return None
        stmt = postgresql.insert(ClusterLeader).values(id=_ROW, epoch=1, holder=self.node,
                                                       since=now)
        epoch = conn.execute(stmt.on_conflict_do_update(
            index_elements=[ClusterLeader.id],
            set_={"epoch": ClusterLeader.epoch + 1, "holder": self.node, "since": now})
            .returning(ClusterLeader.epoch)).scalar_one()
        return int(epoch)

    def heartbeat(self, epoch: int) -> bool:
        """The connection answers (so the lock is still ours) and the epoch is ours."""
        current = self._connection().execute(
            select(ClusterLeader.epoch).where(ClusterLeader.id == _ROW)).scalar()
        return current == epoch

    def close(self) -> None:
        """Ends the session, and with it the lock."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                conn.invalidate()


def holds_epoch(conn: Connection, epoch: int) -> bool:
    """In the caller's transaction: the epoch is still `epoch`; the row is share-locked
    until that transaction ends, so a new leader's move of the epoch waits for it."""
    if conn.dialect.name != "postgresql":
        return False  # the standby mode runs on PostgreSQL only
    found = conn.execute(select(ClusterLeader.id).where(
        ClusterLeader.id == _ROW, ClusterLeader.epoch == epoch).with_for_update(read=True))
    return found.first() is not None


def current(engine: Engine) -> tuple[int, str, float] | None:
    """The leader row as stored: epoch, holder, since (for the status)."""
    with engine.connect() as conn:
        row = conn.execute(select(ClusterLeader.epoch, ClusterLeader.holder,
                                  ClusterLeader.since).where(ClusterLeader.id == _ROW)).first()
    return None if row is None else (int(row.epoch), row.holder, float(row.since))
