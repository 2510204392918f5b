"""`callcenter alerts`: every alert, newest first.  `callcenter set-aside`: outcomes
the store could not write, kept for a supervisor; `resolve ID` once dealt with."""

from __future__ import annotations

import argparse
from typing import Any

from callcenter.alerts import service
from callcenter.cli.context import CliContext
from callcenter.core import labels
from callcenter.core.feature import Command


def _alerts(args: argparse.Namespace, ctx: CliContext) -> list[dict[str, Any]]:
    english = labels.cli_lang() == "en"
    return [{"id": a["id"], "level": a["level"], "kind": a["kind"],
             "message": (a["message_en"] if english and a["message_en"] else a["message"]),
             "raised_at": ctx.iso(a["raised_at"]), "cleared_at": ctx.iso(a["cleared_at"]),
             "acknowledged": a["acknowledged_by"] or ("yes" if a["acknowledged_at"] else "")}
            for a in service.list_alerts(ctx.engine, open_only=False, limit=10_000)]


def _set_aside_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list").add_argument("--all", action="store_true", help="resolved ones too")
    sub.add_parser("resolve").add_argument("id", type=int)


def _set_aside(args: argparse.Namespace, ctx: CliContext) -> Any:
    if args.action == "resolve":
        cleared = service.resolve_set_aside(ctx.engine, args.id, ctx.now)
        return {"resolved": args.id, "alert_cleared": cleared is not None}
    return [{**row, "at": ctx.iso(row["at"]), "resolved_at": ctx.iso(row["resolved_at"])}
            for row in service.set_aside_rows(ctx.engine, open_only=not args.all)]


COMMANDS = (
    Command("alerts", "every alert: level, kind, message, raised/cleared",
            lambda _parser: None, _alerts),
    Command("set-aside", "outcomes the store could not write, kept for a supervisor",
            _set_aside_arguments, _set_aside),
)
