"""`callcenter init`: from an installed wheel to a service in one command, and safe to
run again (after an upgrade it only migrates).

1. The config file (`--config`, $CALLCENTER_CONFIG, or /etc/callcenter/callcenter.toml):
   written from the shipped, commented template if it does not exist (0640), with
   `--database-url` filled in; an existing one is kept as it is.
2. The database: created or upgraded to the code's schema (SQLite: the file is 0600).
3. The first supervisor, if there is none: `--supervisor` (admin) with a password read
   from stdin (`--password-stdin`) or generated and printed once.

Run as root with `--owner callcenter`, what it created is handed to the service's user
(the SQLite database and its directory; the config's group)."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import sys
import time
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from callcenter import logs
from callcenter.config import load
from callcenter.core.settings import DatabaseSettings, LogSettings
from callcenter.errors import ConfigError, UserError
from callcenter.shipped import shipped
from callcenter.store import db
from callcenter.users import service as users

DEFAULT_CONFIG = Path("/etc/callcenter/callcenter.toml")
_DB_URL_LINE = re.compile(r'^url = "[^"\n]*"', re.MULTILINE)


def arguments(init: argparse.ArgumentParser) -> None:
    init.add_argument("--database-url", help="for a new config's [database] url "
                      "(better a credential for PostgreSQL: docs/install.md)")
    init.add_argument("--supervisor", default="admin", help="the first supervisor's user name")
    init.add_argument("--password-stdin", action="store_true",
                      help="read the supervisor's password from stdin (else generated, printed once)")
    init.add_argument("--owner", help="hand what init creates to this user (run as root)")


def config_text(database_url: str | None) -> str:
    text = shipped("config/callcenter.toml").read_text(encoding="utf-8")
    if database_url:
        start = text.index("\n[database]")
        found = _DB_URL_LINE.search(text, start)
        if found is None:
            raise ConfigError("database.url", "not found in the shipped template")
        line = f"url = {json.dumps(database_url, ensure_ascii=False)}"  # a TOML basic string
        text = text[:found.start()] + line + text[found.end():]
    return text


def run(args: argparse.Namespace) -> int:
    path = Path(args.config or os.environ.get("CALLCENTER_CONFIG") or DEFAULT_CONFIG)
    owner = _owner(args.owner)
    if path.exists():
        print(f"config: {path} (kept)")
    else:
        path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(config_text(args.database_url))
        if owner is not None:
            os.chown(path, -1, owner[1])  # the service reads it; only root writes it
        print(f"config: {path} (written from the template: set [ami] and review it)")
    config = load(path)
    log_settings = config.get(LogSettings)
    logs.configure(log_settings.level.upper(), log_settings.prefixed)
    url = config.get(DatabaseSettings).url
    print(f"database: at revision {db.upgrade(url)}")
    engine = db.engine_for(url)
    _first_supervisor(engine, args)
    engine.dispose()
    if owner is not None:  # last: everything it wrote is written
        _hand_over(url, config.get(DatabaseSettings).journal_path, owner)
    return 0


def _first_supervisor(engine: Engine, args: argparse.Namespace) -> None:
    supervisors = [u["username"] for u in users.list_users(engine) if u["role"] == "supervisor"]
    if supervisors:
        print(f"supervisor: {', '.join(supervisors)} (exists)")
        return
    if args.password_stdin:
        password, shown = sys.stdin.readline().rstrip("\n"), False
    else:
        password, shown = secrets.token_urlsafe(12), True
    users.add_user(engine, args.supervisor, password, "supervisor", time.time())
    print(f"supervisor: {args.supervisor} (created)")
    if shown:
        print(f"password: {password}  (shown once: sign in and keep it, or "
              f"`callcenter users passwd {args.supervisor}`)")


def _owner(name: str | None) -> tuple[int, int] | None:
    if name is None:
        return None
    import pwd  # noqa: PLC0415 - POSIX only, and only for --owner

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise UserError(f"--owner: no user {name!r} (create it first: docs/install.md)") from None
    return entry.pw_uid, entry.pw_gid


def _hand_over(url: str, journal: Path, owner: tuple[int, int]) -> None:
    """The SQLite database (with its -wal/-shm and directory) and the journal's
    directory belong to the service's user; PostgreSQL has its own owners."""
    parsed = make_url(url)
    paths = [journal] if journal.exists() else []
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        database = Path(str(parsed.database))
        paths += [database.parent, database,
                  *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]
    for found in paths:
        if found.exists():
            shutil.chown(found, owner[0], owner[1])
