"""`callcenter`: run the daemon, migrate the database, and every feature's commands.

Exit status: 0 ok, 1 runtime failure, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import unicodedata
from collections.abc import Sequence
from typing import Any

from callcenter import __version__, logs
from callcenter.cli import init
from callcenter.cli.context import CliContext
from callcenter.config import Config, load
from callcenter.core import labels
from callcenter.core.feature import Command
from callcenter.core.settings import CenterSettings, DatabaseSettings, LogSettings
from callcenter.domain.text import BEYOND_C0, CONTROLS
from callcenter.errors import CallcenterError, ConfigError
from callcenter.features import FEATURES
from callcenter.store import db


def commands() -> dict[str, Command]:
    return {c.name: c for f in FEATURES for c in f.commands()}


def build_parser(known: dict[str, Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML settings file (default: $CALLCENTER_CONFIG)")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the daemon in the foreground")
    init.arguments(sub.add_parser("init", help="first installation: config, database, supervisor"))
    db_parser = sub.add_parser("db", help="database schema")
    db_parser.add_argument("action", choices=["upgrade", "current", "downgrade"])
    db_parser.add_argument("revision", nargs="?",
                           help="downgrade: the revision to go back to (e.g. 0007, or -1)")
    for command in known.values():
        own = sub.add_parser(command.name, help=command.help)
        command.arguments(own)
        for each in [own, *_children(own)]:
            each.add_argument("--json", action="store_true", help="a JSON array or object")
    return parser


def _children(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices.values())
    return []


def main(argv: Sequence[str] | None = None) -> int:
    known = commands()
    args = build_parser(known).parse_args(argv)
    try:
        if args.command == "init":  # before the config: it may write it
            return init.run(args)
        config = load(args.config)
    except ConfigError as exc:
        print(f"callcenter: configuration error: {exc} [{exc.error_id}]", file=sys.stderr)
        return 2
    except CallcenterError as exc:
        print(f"callcenter: {visible(str(exc))} [{exc.error_id}]", file=sys.stderr)
        return 1
    log_settings = config.get(LogSettings)
    logs.configure(log_settings.level.upper(), log_settings.prefixed)
    try:
        if args.command == "run":
            return _run(config)
        url = config.get(DatabaseSettings).url
        if args.command == "db":
            return _db(url, args.action, args.revision)
        engine = db.engine_for(url)  # lazy: nothing connects until a query
        if known[args.command].needs_database:
            db.require_current(engine, url)
        ctx = CliContext(config, engine, config.get(CenterSettings).tz, time.time())
        result = known[args.command].run(args, ctx)
        if args.json or not isinstance(result, list):
            print(render_json(result))
        else:
            print(render_table(result))
        return 0
    except CallcenterError as exc:
        print(f"callcenter: {visible(str(exc))} [{exc.error_id}]", file=sys.stderr)
        return 1


def _run(config: Config) -> int:
    from callcenter.daemon import Daemon  # noqa: PLC0415 - only `run` needs the daemon

    async def go() -> None:
        await Daemon(config).run()

    asyncio.run(go())
    return 0


def _db(url: str, action: str, revision: str | None) -> int:
    if action == "upgrade":
        print(f"database at revision {db.upgrade(url)}")
    elif action == "downgrade":
        if not revision:
            print("callcenter: db downgrade needs the revision to go back to (e.g. 0007, or -1)",
                  file=sys.stderr)
            return 2
        print(f"database at revision {db.downgrade(url, revision)}")
    else:
        print(db.current_revision(db.engine_for(url)) or "empty")
    return 0


# Never printed raw (caller data): ESC starts the sequences that retitle, recolour or
# rewrite the terminal, and the bidi overrides reorder what follows them on the line.
_UNSAFE = CONTROLS
# json.dumps escapes C0 inside strings itself, and its own newlines (indent) must stay.
_UNSAFE_IN_JSON = re.compile(rf"[{BEYOND_C0}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """Text safe to print: every unsafe character written out, e.g. \\x1b or \\u202e."""
    return _UNSAFE.sub(_escape, text)


def render_json(result: Any) -> str:
    """JSON escapes C0 controls itself, but with ensure_ascii=False (so Chinese stays
    readable) DEL, C1 and the bidi controls pass raw: they are escaped here as \\uXXXX,
    which JSON decodes to the same text.  Outside strings JSON has none of them."""
    text = json.dumps(result, ensure_ascii=False, indent=1)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_table(rows: list[dict[str, Any]], lang: str | None = None) -> str:
    """A table for people: codes (statuses, outcomes, reasons ...) shown by their words
    in `lang` (default: the locale's); --json keeps the codes for scripts."""
    if not rows:
        return "(none)"
    lang = lang or labels.cli_lang()
    headers = [visible(str(h)) for h in rows[0]]
    cells = [[_cell(labels.cell(str(h), row.get(h), lang)) for h in rows[0]] for row in rows]
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
        return visible(",".join(str(v) for v in value))
    return visible(str(value))


if __name__ == "__main__":
    sys.exit(main())
