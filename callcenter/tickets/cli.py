"""`callcenter tickets`: the newest tickets."""

from __future__ import annotations

import argparse
from typing import Any

from callcenter.cli.context import CliContext
from callcenter.core.feature import Command
from callcenter.tickets import service


def _limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=50)


def _tickets(args: argparse.Namespace, ctx: CliContext) -> list[dict[str, Any]]:
    return service.table(ctx.engine, ctx.tz, args.limit)


COMMANDS = (Command("tickets", "show tickets", _limit, _tickets),)
