"""`callcenter report queues|agents --from --to [--interval] [--queue|--agent] [--json]
[--format csv|xlsx --output FILE]`, `callcenter report complaints|ledger|bonus` (the
same --format/--output) and `callcenter report glossary`: the interval figures rolled up
in the center's zone, with the columns the issue fixes (scripts rely on them) — the
same rows and columns as the reports page and its exports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from callcenter.cli.context import CliContext
from callcenter.core.feature import Command
from callcenter.domain.kpi_glossary import Term
from callcenter.domain.kpi_periods import INTERVALS
from callcenter.errors import ReportRangeError
from callcenter.inbound.settings import RulesSettings
from callcenter.reports import export, ledger_cli, tables
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
        each.add_argument("--format", dest="fmt", choices=tuple(export.FORMATS),
                          help="write the table to --output as CSV or .xlsx (with the glossary)")
        each.add_argument("--output", type=Path, help="the file --format writes")
    sub.add_parser("glossary", help="what every figure means (中文 / English)")
    ledger_cli.add_parsers(sub)


def _run(args: argparse.Namespace, ctx: CliContext) -> Any:
    settings = ctx.config.get(ReportSettings)
    ring = ctx.config.get(RulesSettings)
    budget = ring.ring_cadence_s * ring.max_rings
    more = ledger_cli.rules_of(ctx)
    if args.what == "glossary":
        return [{"column": t.column, "table": t.table, "zh": t.zh,
                 "zh_definition": t.zh_definition, "en": t.en, "en_definition": t.en_definition}
                for t in tables.terms(settings.rules, budget, more)]
    if (args.fmt is None) != (args.output is None):
        raise ReportRangeError("--format and --output go together")
    if args.what in ledger_cli.WHAT:
        table = ledger_cli.table_of(args)
        people_rows = ledger_cli.run(args, ctx)
        if args.fmt is None:
            return people_rows
        return _write(args, table, tables.columns(table, False), people_rows,
                      tables.terms(settings.rules, budget, more, table=table))
    terms = tables.terms(settings.rules, budget, more, table=args.what)
    only = {"queue" if args.what == "queues" else "agent": args.only}
    req = tables.ReportRequest.parse(args.start, args.end, args.interval, ctx.tz, **only)
    if args.what == "queues":
        rows = tables.queue_table(ctx.engine, req, settings.rules, ctx.tz)
    else:
        rows = tables.agent_table(ctx.engine, req, ctx.tz)
    if args.fmt is None:
        return rows
    return _write(args, args.what, tables.columns(args.what, req.interval is not None), rows,
                  terms)


def _write(args: argparse.Namespace, table: str, columns: tuple[str, ...],
           rows: list[dict[str, Any]], terms: list[Term]) -> dict[str, Any]:
    args.output.write_bytes(export.export(args.fmt, table, columns, rows, terms))
    return {"written": str(args.output), "format": args.fmt, "rows": len(rows)}


COMMANDS = (Command("report", "supervisors' reports: KPIs per queue and agent, complaints, "
                    "the ledger and the bonus", _arguments, _run),)
