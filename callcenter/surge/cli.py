"""`callcenter surge`: the level, since when, callers waiting, callbacks paused."""

from __future__ import annotations

import argparse
from typing import Any

from callcenter.cli.context import CliContext
from callcenter.core.feature import Command
from callcenter.surge import service


def _surge(args: argparse.Namespace, ctx: CliContext) -> dict[str, Any]:
    state = service.current(ctx.engine)
    return {**state.view(), "since": ctx.iso(state.since)}


COMMANDS = (Command("surge", "the surge level, since when, callers waiting",
                    lambda _parser: None, _surge),)
