"""`callcenter report queues|agents --from --to [--interval] [--queue|--agent] [--json]`
and `callcenter report glossary`: the interval figures rolled up in the center's zone,
with the columns the issue fixes (scripts rely on them)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from callcenter.cli.context import CliContext
from callcenter.core.feature import Command
from callcenter.domain.kpi_glossary import glossary
from callcenter.domain.kpi_periods import INTERVALS, parse_moment, periods
from callcenter.errors import ReportRangeError
from callcenter.inbound.settings import RulesSettings
from callcenter.reports import ledger_cli, service
from callcenter.reports.settings import ReportSettings


def _arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", required=True)
    for what in ("queues", "agents"):
        each = sub.add_parser(what, help=f"KPIs per {what[:-1]}")
        each.add_argument("--from", dest="start", required=True,
                          help="a local date (2026-11-01) or date and time")
        each.add_argument("--to", dest="end", required=True,
                          help="a local date (included) or date and time (excluded)")
        each.add_argument("--interval", choices=INTERVALS,
                          help="one row per period (hours, days, weeks, months: local)")
        each.add_argument("--queue" if what == "queues" else "--agent", dest="only",
                          help="only this queue" if what == "queues"
                          else "only this agent (member interface)")
    sub.add_parser("glossary", help="what every figure means (中文 / English)")
    ledger_cli.add_parsers(sub)


def _run(args: argparse.Namespace, ctx: CliContext) -> Any:
    settings = ctx.config.get(ReportSettings)
    if args.what in ledger_cli.WHAT:
        return ledger_cli.run(args, ctx)
    if args.what == "glossary":
        ring = ctx.config.get(RulesSettings)
        return [{"column": t.column, "zh": t.zh, "zh_definition": t.zh_definition, "en": t.en,
                 "en_definition": t.en_definition}
                for t in glossary(settings.rules, ring.ring_cadence_s * ring.max_rings)]
    try:
        start = parse_moment(args.start, ctx.tz, end=False)
        end = parse_moment(args.end, ctx.tz, end=True)
    except ValueError as exc:
        raise ReportRangeError(f"--from/--to: {exc}") from None
    if end <= start:
        raise ReportRangeError("--to must come after --from")
    chosen = periods(start, end, args.interval, ctx.tz)

    def iso(at: float) -> str:
        return datetime.fromtimestamp(at, ctx.tz).isoformat(timespec="minutes")

    with_interval = args.interval is not None
    if args.what == "queues":
        return service.queue_report(ctx.engine, chosen, settings.rules, queue=args.only,
                                    iso=iso, with_interval=with_interval)
    return service.agent_report(ctx.engine, chosen, agent=args.only, iso=iso,
                                with_interval=with_interval)


COMMANDS = (Command("report", "supervisors' reports: KPIs per queue and agent, complaints, "
                    "the ledger and the bonus", _arguments, _run),)
