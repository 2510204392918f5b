"""Engines and schema migrations (Alembic, in the project's migrations/)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from callcenter.errors import SchemaOutOfDate
from callcenter.shipped import shipped

__all__ = ["SchemaOutOfDate", "downgrade", "engine_for", "require_current", "upgrade"]


def engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _create_private(url)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A server that does not answer (network gone) fails the connect in 10 s rather
    # than the OS's minutes: the writer then knows it is unreachable and keeps retrying.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def _create_private(url: str) -> None:
    """A SQLite file we create is readable by its owner only (0600): it holds callers'
    numbers and session hashes, and SQLite gives its -wal and -shm files the same mode.
    Created empty here (an empty file is an empty database), with O_EXCL, rather than
    left to sqlite3 under whatever umask the process has; a file that exists already is
    left as it is."""
    parsed = make_url(url)
    name = parsed.database
    if (parsed.get_backend_name() != "sqlite" or not name or name == ":memory:"
            or name.startswith("file:")):
        return
    path = Path(name)
    if path.exists():
        return
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Created meanwhile by another process: its mode is its own.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL: the CLI reads while the daemon writes; NORMAL sync is safe with WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(shipped("migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> str:
    _create_private(url)  # Alembic makes its own engine: the file must exist first
    command.upgrade(_alembic_config(url), "head")
    return head_revision(url)


def downgrade(url: str, revision: str) -> str:
    """Back to `revision` (an id, or -1 for the one before): the schema of the release
    being rolled back to.  Data only the newer schema held is dropped with it."""
    command.downgrade(_alembic_config(url), revision)
    return current_revision(engine_for(url)) or "empty"


def head_revision(url: str) -> str:
    head = ScriptDirectory.from_config(_alembic_config(url)).get_current_head()
    return head or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current(engine: Engine, url: str) -> None:
    current, head = current_revision(engine), head_revision(url)
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, the code needs {head}: "
            "run `callcenter db upgrade` first"
        )
