"""`callcenter report complaints|ledger|bonus`: the 投诉分类统计表 (or per agent
complained about, flagged at the month's threshold), the ledger's entries, and the
quarter's bonus with its top three.  Rows as the services return them (fixed keys)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from callcenter.cli.context import CliContext
from callcenter.complaints import service as complaints
from callcenter.complaints.settings import ComplaintSettings
from callcenter.domain.kpi_periods import parse_moment
from callcenter.domain.ledger import quarter_of
from callcenter.errors import ReportRangeError
from callcenter.ledger import service as ledger
from callcenter.ledger.settings import LedgerSettings

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
    bonus = sub.add_parser("bonus", help="the quarter's points, bonus and top three")
    bonus.add_argument("--quarter", help="e.g. 2026Q4 (default: this quarter)")


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
        return ledger.bonus(ctx.engine, args.quarter or quarter_of(ctx.now, ctx.tz), ctx.tz,
                            ctx.config.get(LedgerSettings).rules)
    start, end = _range(args, ctx)
    if args.what == "ledger":
        def iso(at: float) -> str:
            return datetime.fromtimestamp(at, ctx.tz).isoformat(timespec="seconds")

        return ledger.entries(ctx.engine, start, end, agent=args.agent, iso=iso)
    if args.by == "agent":
        return complaints.complaints_by_agent(ctx.engine, start, end, ctx.tz,
                                              ctx.config.get(ComplaintSettings).flag_threshold)
    return complaints.complaint_table(ctx.engine, start, end, ctx.tz)
