"""`callcenter queues|agents|violations`: the live picture and the rule's record."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from callcenter.core.feature import Command
from callcenter.inbound import service


def _limit(default: int) -> Callable[[argparse.ArgumentParser], None]:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--limit", type=int, default=default)
    return arguments


COMMANDS = (
    Command("queues", "show queues", _limit(50),
            lambda _args, ctx: service.queues(ctx.engine, ctx.now, ctx.tz)),
    Command("agents", "show agents", _limit(50),
            lambda _args, ctx: service.agents(ctx.engine, ctx.now, ctx.tz)),
    Command("violations", "show violations", _limit(50),
            lambda args, ctx: service.violations(ctx.engine, ctx.tz, args.limit)),
)
