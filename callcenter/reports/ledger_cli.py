"""`callcenter report complaints|ledger|bonus`: the 投诉分类统计表 (or per agent
complained about, flagged at the month's threshold), the ledger's entries, and the
quarter's bonus with its top three.  Rows as the services return them (fixed keys),
the same as the reports page's; `--format csv|xlsx --output FILE` writes them as its
exports do."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from callcenter.cli.context import CliContext
from callcenter.complaints.settings import ComplaintSettings
from callcenter.domain.kpi_periods import parse_moment
from callcenter.domain.ledger import quarter_bounds, quarter_of
from callcenter.domain.people_glossary import BONUS, BY_AGENT, COMPLAINTS, LEDGER
from callcenter.errors import ReportRangeError
from callcenter.ledger.settings import LedgerSettings
from callcenter.reports import export
from callcenter.reports.people import PeopleRules, rows

WHAT = ("complaints", "ledger", "bonus")


def add_parsers(sub: Any) -> None:
    for what, text in (("complaints", "投诉分类统计表: complaints by month, kind and department"),
                       ("ledger", "the points ledger's entries (who, when, why)")):
        each = sub.add_parser(what, help=text)
        each.add_argument("--from", dest="start", required=True, help="a local date or date and time")
        each.add_argument("--to", dest="end", required=True, help="a local date (included)")
        if what == "complaints":
            each.add_argument("--by", choices=("category", "agent"), default="category",
                              help="agent: per agent complained about, flagged at the threshold")
        else:
            each.add_argument("--agent", help="only this agent (member interface)")
        _format(each)
    bonus = sub.add_parser("bonus", help="the quarter's points, bonus and top three")
    bonus.add_argument("--quarter", help="e.g. 2026Q4 (default: this quarter)")
    _format(bonus)


def _format(parser: Any) -> None:
    parser.add_argument("--format", dest="fmt", choices=tuple(export.FORMATS),
                        help="write the table to --output as CSV or .xlsx (with the glossary)")
    parser.add_argument("--output", type=Path, help="the file --format writes")


def table_of(args: argparse.Namespace) -> str:
    """The reports' name of the table asked for (its columns, its glossary)."""
    if args.what == "complaints":
        return BY_AGENT if args.by == "agent" else COMPLAINTS
    return LEDGER if args.what == "ledger" else BONUS


def rules_of(ctx: CliContext) -> PeopleRules:
    return PeopleRules(ctx.config.get(ComplaintSettings).flag_threshold,
                       ctx.config.get(LedgerSettings).rules)


def _range(args: argparse.Namespace, ctx: CliContext) -> tuple[float, float]:
    try:
        start = parse_moment(args.start, ctx.tz, end=False)
        end = parse_moment(args.end, ctx.tz, end=True)
    except ValueError as exc:
        raise ReportRangeError(f"--from/--to: {exc}") from None
    if end <= start:
        raise ReportRangeError("--to must come after --from")
    return start, end


def run(args: argparse.Namespace, ctx: CliContext) -> list[dict[str, Any]]:
    if args.what == "bonus":
        try:
            start, end = quarter_bounds(args.quarter or quarter_of(ctx.now, ctx.tz), ctx.tz)
        except ValueError as exc:
            raise ReportRangeError(str(exc)) from None
    else:
        start, end = _range(args, ctx)
    return rows(table_of(args), ctx.engine, start, end, ctx.tz, rules=rules_of(ctx),
                agent=getattr(args, "agent", None))
