"""`callcenter alerts`: every alert, newest first."""

from __future__ import annotations

import argparse
from typing import Any

from callcenter.alerts import service
from callcenter.cli.context import CliContext
from callcenter.core.feature import Command


def _alerts(args: argparse.Namespace, ctx: CliContext) -> list[dict[str, Any]]:
    return [{"id": a["id"], "level": a["level"], "kind": a["kind"], "message": a["message"],
             "raised_at": ctx.iso(a["raised_at"]), "cleared_at": ctx.iso(a["cleared_at"]),
             "acknowledged": a["acknowledged_by"] or ("yes" if a["acknowledged_at"] else "")}
            for a in service.list_alerts(ctx.engine, open_only=False, limit=10_000)]


COMMANDS = (Command("alerts", "every alert: level, kind, message, raised/cleared",
                    lambda _parser: None, _alerts),)
