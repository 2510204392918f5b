"""`callcenter`: run the daemon, migrate the database, and read the live state.

Exit status: 0 ok, 1 runtime failure, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from callcenter import __version__, logs
from callcenter.cli import campaigns as campaigns_cli
from callcenter.cli import users as users_cli
from callcenter.config import Config, load
from callcenter.errors import CallcenterError, ConfigError, SchemaOutOfDate
from callcenter.store import db, queries

READERS: dict[str, Callable[[Any, Config, argparse.Namespace], list[dict[str, Any]]]] = {
    "queues": lambda engine, cfg, _a: queries.queues(engine, time.time(), cfg.timezone),
    "agents": lambda engine, cfg, _a: queries.agents(engine, time.time(), cfg.timezone),
    "tickets": lambda engine, cfg, a: queries.tickets(engine, cfg.timezone, a.limit),
    "violations": lambda engine, cfg, a: queries.violations(engine, cfg.timezone, a.limit),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML settings file (default: $CALLCENTER_CONFIG)")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the daemon in the foreground")
    db_parser = sub.add_parser("db", help="database schema")
    db_parser.add_argument("action", choices=["upgrade", "current"])
    for name in READERS:
        reader = sub.add_parser(name, help=f"show {name}")
        reader.add_argument("--json", action="store_true", help="a JSON array of objects")
        reader.add_argument("--limit", type=int, default=50)
    campaigns_cli.add_parsers(sub)
    users_cli.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load(args.config)
    except ConfigError as exc:
        print(f"callcenter: configuration error: {exc} [{exc.error_id}]", file=sys.stderr)
        return 2
    logs.configure(config.log_level)
    try:
        if args.command == "run":
            return _run(config)
        if args.command == "db":
            return _db(config, args.action)
        if args.command in READERS:
            return _read(config, args)
        engine = db.engine_for(config.database_url)
        db.require_current(engine, config.database_url)
        if args.command == "users":
            result = users_cli.run(args, engine)
        else:
            result = campaigns_cli.run(args.command, args, engine, config)
        campaigns_cli.print_result(result, getattr(args, "json", False), render_table)
        return 0
    except SchemaOutOfDate as exc:
        print(f"callcenter: {exc} [{exc.error_id}]", file=sys.stderr)
        return 1
    except CallcenterError as exc:
        print(f"callcenter: {exc} [{exc.error_id}]", file=sys.stderr)
        return 1


def _run(config: Config) -> int:
    from callcenter.daemon import Daemon  # noqa: PLC0415 - only `run` needs the daemon

    async def go() -> None:
        await Daemon(config).run()

    asyncio.run(go())
    return 0


def _db(config: Config, action: str) -> int:
    if action == "upgrade":
        revision = db.upgrade(config.database_url)
        print(f"database at revision {revision}")
    else:
        engine = db.engine_for(config.database_url)
        print(db.current_revision(engine) or "empty")
    return 0


def _read(config: Config, args: argparse.Namespace) -> int:
    engine = db.engine_for(config.database_url)
    db.require_current(engine, config.database_url)
    rows = READERS[args.command](engine, config, args)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        print(render_table(rows))
    return 0


def render_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(none)"
    headers = list(rows[0])
    cells = [[_cell(row.get(h)) for h in headers] for row in rows]
    widths = [max(_width(h), *(_width(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in cells]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Terminal columns: Chinese names take two columns per character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
