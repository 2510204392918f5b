"""`callcenter status`: the daemon's parts as it last wrote them (links, database,
writer lag, journal, queue_log checkpoint), and whether that word is fresh."""

from __future__ import annotations

import argparse
from typing import Any

from callcenter.cli.context import CliContext
from callcenter.core.feature import Command
from callcenter.core.settings import DatabaseSettings
from callcenter.errors import NoStatus
from callcenter.outages import service
from callcenter.outages.settings import OutageSettings, status_path


def _status(args: argparse.Namespace, ctx: CliContext) -> Any:
    path = status_path(ctx.config.get(OutageSettings), ctx.config.get(DatabaseSettings).url)
    status = service.read_status(path)
    if status is None:
        raise NoStatus(f"no status at {path}: is the daemon running?")
    age = ctx.now - float(status["written_at"])
    fresh = age <= 3 * float(status["interval_s"])
    if args.json:
        return {**status, "age_s": round(age, 1), "fresh": fresh}
    rows = [{"part": name, "ok": part["ok"], "detail": part["detail"], "since": ctx.iso(part["since"]),
             "figures": ", ".join(f"{k}={v:g}" for k, v in part["figures"].items())}
            for name, part in sorted(status["parts"].items())]
    rows.append({"part": "status file", "ok": fresh, "detail": f"written {age:.0f} s ago",
                 "since": ctx.iso(float(status["written_at"])), "figures": f"pid={status['pid']}"})
    return rows


COMMANDS = (Command("status", "the daemon's links, database, writer and journal, as last written",
                    lambda _parser: None, _status, needs_database=False),)
